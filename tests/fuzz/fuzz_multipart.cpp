// Multipart bodies as raw bytes, through the streaming parser
// (http/multipart.h) and the staging built on it (api/upload_stream.h).
// Input: one byte choosing the chunk size (1 to 64), then the body, with
// boundary "fzB". Checks: the parser reports the same parts and bytes
// whether the body arrives whole or in chunks; staging stays within its
// limits; and once the result is dropped nothing staged stays on disk.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "api/upload_stream.h"
#include "common/storage_census.h"
#include "http/message.h"
#include "http/multipart.h"
#include "storage/file_store.h"

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kBoundary = "fzB";

struct Store {
  std::string dir;
  std::unique_ptr<fsvc::FileStore> files;
};

Store& TheStore() {
  static Store* s = [] {
    auto* st = new Store;
    // Sealing a blob fsyncs it: in memory (/dev/shm) that costs nothing.
    std::error_code ec;
    const fs::path base =
        fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string tmpl = (base / "fsvc-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    st->dir = tmpl;
    auto opened = fsvc::FileStore::Open({st->dir, 1});
    if (!opened) std::abort();
    st->files = std::move(*opened);
    std::atexit([] { fs::remove_all(TheStore().dir); });
    return st;
  }();
  return *s;
}

size_t FilesBelow(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    n += it->is_regular_file();
  }
  return n;
}

// What the parser reported, as one string: each part's header fields, then
// its bytes; and how the parse ended.
struct Trace {
  std::string events;
  bool ok = true;
  bool finished = false;
};

Trace Parse(std::string_view body, size_t chunk) {
  Trace t;
  fsvc::MultipartParser parser(kBoundary, {[&t](const fsvc::MultipartParser::Part& p) {
                                             t.events += "\n[" + p.name + "|" + p.filename + "|" +
                                                         p.content_type + "]";
                                             return fsvc::OkStatus();
                                           },
                                           [&t](std::string_view data) {
                                             t.events.append(data);
                                             return fsvc::OkStatus();
                                           }});
  for (size_t at = 0; at < body.size() && t.ok; at += chunk) {
    t.ok = parser.Feed(body.substr(at, chunk)).ok();
  }
  t.finished = t.ok && parser.Finish().ok();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = data[0] % 64 + 1;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const Trace whole = Parse(body, body.size() + 1);
  const Trace split = Parse(body, chunk);
  // An error may be found at a different byte, so only successful parses
  // must agree event for event.
  if (whole.ok != split.ok || whole.finished != split.finished) std::abort();
  if (whole.ok && whole.events != split.events) std::abort();

  Store& store = TheStore();
  fsvc::Request req;
  req.headers.emplace_back("Content-Type",
                           "multipart/form-data; boundary=" + std::string(kBoundary));
  req.SetBodyPuller([body, chunk](const fsvc::BodySink& sink) -> fsvc::Status {
    for (size_t at = 0; at < body.size(); at += chunk) {
      if (auto st = sink(body.substr(at, chunk)); !st) return st;
    }
    return fsvc::OkStatus();
  });
  {
    auto staged = fsvc::StageMultipart(req, *store.files, {512, 3, 4, 256});
    if (staged && !whole.finished) std::abort();  // staging may also refuse over its limits
    if (staged) {
      if (staged->files.size() > 3 || staged->fields.size() > 4) std::abort();
      for (const fsvc::StagedFile& f : staged->files) {
        if ((f.sealed != nullptr) == f.error.has_value()) std::abort();
        if (f.sealed && f.sealed->size() > 512) std::abort();
      }
    }
  }
  // Small blobs go to segments: a dropped one's range is punched out, so no data stays.
  if (fsvc::testutil::Census(store.dir) != fsvc::testutil::StorageCensus{} ||
      FilesBelow(fs::path(store.dir) / "tmp") != 0) {
    std::abort();  // a staged blob outlived its upload
  }
  return 0;
}
