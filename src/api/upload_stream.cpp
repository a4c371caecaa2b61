#include "api/upload_stream.h"

#include "http/multipart.h"

namespace fsvc {
namespace {

constexpr size_t kMaxFieldBytes = 4096;
// RFC 2046 5.1.1: a boundary is 1 to 70 characters.
constexpr size_t kMaxBoundaryBytes = 70;

}  // namespace

Result<std::unique_ptr<SealedUpload>> StageRawBody(const Request& req, Storage& store,
                                                   uint64_t max_bytes) {
  // The declared size lets a disk without room for it refuse at once.
  auto writer = store.BeginUpload(max_bytes, req.body_length);
  if (!writer) return writer.error();
  if (auto st = req.ReadBody([&](std::string_view chunk) { return (*writer)->Write(chunk); });
      !st) {
    return st.error();
  }
  return store.Seal(std::move(*writer));
}

Result<StagedUpload> StageMultipart(const Request& req, Storage& store,
                                    const UploadLimits& limits) {
  const std::string boundary = req.MultipartBoundary();
  if (boundary.empty() || boundary.size() > kMaxBoundaryBytes) {
    return Error{Errc::kInvalidArgument,
                 "multipart/form-data needs a boundary of 1 to 70 characters"};
  }
  StagedUpload out;
  std::unique_ptr<UploadWriter> writer;  // the file part being received
  std::string* field = nullptr;          // the form field being received
  size_t field_count = 0;
  uint64_t field_bytes = 0;

  // Closes the part in progress: seals its blob unless it failed.
  auto finish_part = [&]() -> Status {
    field = nullptr;
    if (!writer) return OkStatus();
    StagedFile& f = out.files.back();
    std::unique_ptr<UploadWriter> spent = std::move(writer);
    if (f.error) return OkStatus();
    auto sealed = store.Seal(std::move(spent));
    if (sealed) {
      f.sealed = std::move(*sealed);
    } else if (sealed.error().code == Errc::kPayloadTooLarge) {
      f.error = sealed.error();
    } else {
      return sealed.error();
    }
    return OkStatus();
  };

  auto on_part = [&](const MultipartParser::Part& part) -> Status {
    if (auto st = finish_part(); !st) return st;
    if (part.filename.empty()) {
      if (++field_count > limits.max_fields) {
        return Error{Errc::kFormTooLarge, "more than " + std::to_string(limits.max_fields) +
                                              " form fields in one request"};
      }
      field = &out.fields.emplace(part.name, std::string())->second;
      return OkStatus();
    }
    if (out.files.size() >= limits.max_files) {
      return Error{Errc::kTooManyFiles,
                   "more than " + std::to_string(limits.max_files) + " files in one request"};
    }
    out.files.push_back(
        StagedFile{part.name, part.filename, part.content_type, part.headers, {}, {}});
    auto w = store.BeginUpload(limits.max_file_bytes);
    if (!w) return w.error();
    writer = std::move(*w);
    return OkStatus();
  };

  auto on_data = [&](std::string_view data) -> Status {
    if (field) {
      if (field->size() + data.size() > kMaxFieldBytes) {
        return Error{Errc::kInvalidArgument,
                     "a form field is longer than " + std::to_string(kMaxFieldBytes) + " bytes"};
      }
      field_bytes += data.size();
      if (field_bytes > limits.max_field_bytes) {
        return Error{Errc::kFormTooLarge, "the form fields hold more than " +
                                              std::to_string(limits.max_field_bytes) + " bytes"};
      }
      field->append(data);
      return OkStatus();
    }
    if (!writer) return OkStatus();
    StagedFile& f = out.files.back();
    if (f.error) return OkStatus();  // drain the rest of a failed part
    if (auto st = writer->Write(data); !st) {
      if (st.error().code != Errc::kPayloadTooLarge) return st;
      f.error = st.error();
    }
    return OkStatus();
  };

  MultipartParser parser(boundary, {on_part, on_data});
  // The whole body is read even past the closing delimiter (the parser
  // ignores the epilogue), so the connection stays in step.
  if (auto st = req.ReadBody([&](std::string_view chunk) { return parser.Feed(chunk); }); !st) {
    return st.error();
  }
  if (auto st = parser.Finish(); !st) return st.error();
  if (auto st = finish_part(); !st) return st.error();
  return out;
}

}  // namespace fsvc
