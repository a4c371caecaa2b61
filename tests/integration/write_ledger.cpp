#include "write_ledger.h"

#include <gtest/gtest.h>

#include "test_client.h"

namespace fsvc::testing {

void WriteLedger::Start(const ServerProcess& server) {
  Join();
  stop_ = false;
  for (int w = 0; w < writers_; ++w)
    threads_.emplace_back([this, &server, w] { Write(server, w); });
}

void WriteLedger::Join() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WriteLedger::Write(const ServerProcess& server, int w) {
  auto c = server.Client(5);
  for (int i = 0; !stop_; ++i) {
    const std::string path = "w" + std::to_string(w) + "/f" + std::to_string(i % 7);
    const bool del = i % 5 == 4;
    const std::string body = del ? "" : body_(w, i);
    const std::string next = del ? "" : Sha256Hex(body);
    {
      std::lock_guard lock(mu_);
      states_[path].pending = next;
    }
    auto res = del ? c->Delete("/files/" + path)
                   : c->Put("/files/" + path, body, "application/octet-stream");
    const bool applied =
        res && (res->status == 200 || res->status == 201 || (del && res->status == 404));
    if (!applied) return;  // the server is gone: the answer is unknown
    std::lock_guard lock(mu_);
    states_[path] = {next, std::nullopt};
    ++acknowledged_;
  }
}

void WriteLedger::Verify(httplib::Client& c, const std::string& when) {
  std::lock_guard lock(mu_);
  for (auto& [path, st] : states_) {
    auto res = c.Get("/files/" + path);
    ASSERT_TRUE(res) << path << " " << when;
    const std::string found = res->status == 200 ? Sha256Hex(res->body) : "";
    if (res->status != 200) {
      EXPECT_EQ(res->status, 404) << path << " " << when;
    }
    EXPECT_TRUE(found == st.acked || (st.pending && found == *st.pending))
        << path << " " << when << ": found '" << found << "', acknowledged '" << st.acked << "'";
    st = {found, std::nullopt};
  }
}

std::vector<std::string> WriteLedger::Present() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [path, st] : states_) {
    if (!st.acked.empty()) out.push_back(path);
  }
  return out;
}

std::vector<std::string> WriteLedger::folders() const {
  std::vector<std::string> out;
  for (int w = 0; w < writers_; ++w) out.push_back("w" + std::to_string(w));
  return out;
}

}  // namespace fsvc::testing
