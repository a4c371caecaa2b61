// Download links: batch-download body parsing (ours, and nlohmann's DOM for
// reference), token signing and verification.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>

#include "alloc_counter.h"
#include "links/batch_request.h"
#include "links/link_signer.h"

namespace fsvc::bench {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr char kPath[] = "users/alice/photos/2024/img_1042.jpg";
constexpr char kSha[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

std::string BatchBody(std::int64_t paths) {
  std::string body = R"({"paths":[)";
  for (std::int64_t i = 0; i < paths; ++i) {
    if (i > 0) body += ',';
    body += "\"users/alice/photos/2024/img_" + std::to_string(1000 + i) + ".jpg\"";
  }
  return body + "]}";
}

void BM_BatchDownloadParse(benchmark::State& state) {
  const std::string body = BatchBody(state.range(0));
  const AllocationCounter allocations;
  for (auto _ : state) benchmark::DoNotOptimize(ParseBatchDownloadRequest(body, 1000));
  allocations.Report(state);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_BatchDownloadParse)->Arg(5)->Arg(10)->Arg(100);

// Building the document and reading it back, as a handler written the obvious
// way would: the yardstick for the SAX parser above.
void BM_BatchDownloadParseDomReference(benchmark::State& state) {
  const std::string body = BatchBody(state.range(0));
  const AllocationCounter allocations;
  for (auto _ : state) {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    auto paths = doc.at("paths").get<std::vector<std::string>>();
    benchmark::DoNotOptimize(paths);
  }
  allocations.Report(state);
}
BENCHMARK(BM_BatchDownloadParseDomReference)->Arg(10);

const LinkSigner& Signer() {
  static const LinkSigner signer =
      std::move(LinkSigner::Create("bench secret: 32 bytes, not real")).value();
  return signer;
}

void BM_LinkSign(benchmark::State& state) {
  const LinkSigner& signer = Signer();
  std::int64_t expiry = kNow;
  const AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(signer.Sign(kPath, kSha, ++expiry));
  }
  allocations.Report(state);
}
BENCHMARK(BM_LinkSign)->ThreadRange(1, 2)->UseRealTime();

void BM_LinkVerify(benchmark::State& state) {
  const LinkSigner& signer = Signer();
  const std::string token = signer.Sign(kPath, kSha, kNow + 900).value();
  const AllocationCounter allocations;
  for (auto _ : state) benchmark::DoNotOptimize(signer.Verify(token, kNow));
  allocations.Report(state);
}
BENCHMARK(BM_LinkVerify)->ThreadRange(1, 2)->UseRealTime();

}  // namespace
}  // namespace fsvc::bench
