#include "api/upload_stream.h"

namespace fsvc {
namespace {

constexpr size_t kMaxFieldBytes = 4096;

Error Interrupted() {
  return Error{Errc::kInvalidArgument, "the request body ended early or could not be read"};
}

}  // namespace

Result<PendingBlob> StageRawBody(const httplib::ContentReader& reader, FileStore& store,
                                 uint64_t max_bytes) {
  auto writer = store.BeginUpload(max_bytes);
  if (!writer) return writer.error();
  std::optional<Error> failure;
  const bool read_ok = reader([&](const char* data, size_t len) {
    if (auto st = writer->Write({data, len}); !st) {
      failure = st.error();
      return false;
    }
    return true;
  });
  if (failure) return *failure;
  if (!read_ok) return Interrupted();
  return store.Seal(std::move(*writer));
}

Result<StagedUpload> StageMultipart(const httplib::ContentReader& reader, FileStore& store,
                                    const UploadLimits& limits) {
  StagedUpload out;
  std::optional<BlobWriter> writer;  // the file part being received
  std::string* field = nullptr;      // the form field being received
  std::optional<Error> fatal;

  // Closes the part in progress: seals its blob unless it failed.
  auto finish_part = [&]() -> bool {
    if (!writer) return true;
    StagedFile& f = out.files.back();
    if (!f.error) {
      auto sealed = store.Seal(std::move(*writer));
      if (sealed) {
        f.blob.emplace(std::move(*sealed));
      } else if (sealed.error().code == Errc::kPayloadTooLarge) {
        f.error = sealed.error();
      } else {
        fatal = sealed.error();
      }
    }
    writer.reset();
    return !fatal;
  };

  const bool read_ok = reader(
      [&](const httplib::MultipartFormData& part) {
        if (!finish_part()) return false;
        field = nullptr;
        if (part.filename.empty()) {
          field = &out.fields.emplace(part.name, std::string())->second;
          return true;
        }
        if (out.files.size() >= limits.max_files) {
          fatal = Error{Errc::kTooManyFiles,
                        "more than " + std::to_string(limits.max_files) + " files in one request"};
          return false;
        }
        out.files.push_back(StagedFile{part.name, part.filename, part.content_type, {}, {}});
        auto w = store.BeginUpload(limits.max_file_bytes);
        if (!w) {
          fatal = w.error();
          return false;
        }
        writer.emplace(std::move(*w));
        return true;
      },
      [&](const char* data, size_t len) {
        if (field) {
          if (field->size() + len > kMaxFieldBytes) {
            fatal = Error{Errc::kInvalidArgument, "a form field is longer than " +
                                                      std::to_string(kMaxFieldBytes) + " bytes"};
            return false;
          }
          field->append(data, len);
          return true;
        }
        if (!writer) return true;
        StagedFile& f = out.files.back();
        if (f.error) return true;  // drain the rest of a failed part
        if (auto st = writer->Write({data, len}); !st) {
          if (st.error().code != Errc::kPayloadTooLarge) {
            fatal = st.error();
            return false;
          }
          f.error = st.error();
        }
        return true;
      });
  if (fatal) return *fatal;
  if (!read_ok) return Interrupted();
  if (!finish_part()) return *fatal;
  return out;
}

}  // namespace fsvc
