// Multipart staging (api/upload_stream.h) fed the event sequences httplib's
// parser can produce: part headers with arbitrary names, filenames and
// types, body chunks of any size (also before any header), and a body that
// ends early. Whatever happens, once the result is dropped nothing staged
// stays on disk.
#include <httplib.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "api/upload_stream.h"
#include "storage/file_store.h"

namespace {

namespace fs = std::filesystem;

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

// Consumes a length-prefixed string (one length byte) from the input.
std::string Take(const uint8_t*& data, size_t& size) {
  if (size == 0) return {};
  size_t n = std::min<size_t>(data[0], size - 1);
  std::string s(reinterpret_cast<const char*>(data + 1), n);
  data += n + 1;
  size -= n + 1;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Store& store = TheStore();
  const httplib::ContentReader reader(
      [](httplib::ContentReceiver) { return false; },
      [data, size](httplib::MultipartContentHeader header, httplib::ContentReceiver body) mutable {
        while (size > 0) {
          const uint8_t op = data[0];
          ++data;
          --size;
          switch (op % 4) {
            case 0: {
              httplib::MultipartFormData meta;
              meta.name = Take(data, size);
              meta.filename = Take(data, size);
              meta.content_type = Take(data, size);
              if (!header(meta)) return false;
              break;
            }
            case 1:
            case 2: {
              const std::string chunk = Take(data, size);
              // Repeat short chunks to reach the size limits cheaply.
              for (int i = 0; i <= (op >> 4); ++i) {
                if (!body(chunk.data(), chunk.size())) return false;
              }
              break;
            }
            default:
              return false;  // the body ended early
          }
        }
        return true;
      });
  {
    auto staged = fsvc::StageMultipart(reader, *store.files, {512, 3});
    if (staged) {
      if (staged->files.size() > 3) std::abort();
      for (const fsvc::StagedFile& f : staged->files) {
        if (f.blob.has_value() == f.error.has_value()) std::abort();
        if (f.blob && f.blob->digest().size > 512) std::abort();
      }
    }
  }
  if (FilesBelow(fs::path(store.dir) / "blobs") != 0 ||
      FilesBelow(fs::path(store.dir) / "tmp") != 0) {
    std::abort();  // a staged blob outlived its upload
  }
  return 0;
}
