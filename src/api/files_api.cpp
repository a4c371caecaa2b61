#include "api/files_api.h"

#include "api/client_digest.h"
#include "api/file_download.h"
#include "api/json_views.h"
#include "api/preconditions.h"
#include "api/request_params.h"
#include "api/upload_stream.h"
#include "http/error_response.h"
#include "http/mime_types.h"
#include "storage/path.h"
#include "util/percent_encode.h"

namespace fsvc {
namespace {

// The client's Content-Type, unless it is one of the generic values tools
// send by default; then the name's extension decides.
std::string ContentTypeFor(std::string_view declared, std::string_view name) {
  const auto generic = [declared](std::string_view prefix) {
    return declared.size() >= prefix.size() &&
           EqualsIgnoreCase(declared.substr(0, prefix.size()), prefix);
  };
  if (declared.empty() || generic("application/octet-stream") ||
      generic("application/x-www-form-urlencoded") || generic("multipart/")) {
    return MimeTypeFor(name);
  }
  return std::string(declared);
}

void SendCommitted(Response& res, const Storage::Committed& c) {
  res.SetHeader("ETag", c.info.ETag());
  res.SetHeader("Repr-Digest", DigestFieldValue(c.info.sha256));
  // A stored name may hold '?', '#', '%' or spaces: the header carries a URI.
  res.SetHeader("Location", "/files/" + PercentEncode(c.info.path, "/"));
  SendJson(res, c.created ? 201 : 200, FileJson(c.info));
}

// Folder for a multipart upload: the form field wins over the query string.
Result<std::string> UploadFolder(const Request& req, const StagedUpload& staged) {
  auto it = staged.fields.find("path");
  if (it != staged.fields.end()) return NormalizeFolderPath(it->second);
  return FolderPathParam(req);
}

// A multipart upload as both upload routes read it: the staged parts (at
// least one file) and the folder they go into. Fails as a whole otherwise.
struct StagedForm {
  StagedUpload upload;
  std::string folder;
};
Result<StagedForm> ReadUploadForm(const Request& req, Storage& store, const Config& config) {
  if (!req.IsMultipartForm()) {
    return Error{Errc::kInvalidArgument, "expected a multipart/form-data body"};
  }
  auto staged =
      StageMultipart(req, store,
                     {config.max_upload_bytes, static_cast<size_t>(config.max_batch_files),
                      static_cast<size_t>(config.max_form_fields), config.max_form_field_bytes});
  if (!staged) return staged.error();
  if (staged->files.empty()) {
    return Error{Errc::kInvalidArgument, "no file part in the form (field 'file')"};
  }
  auto folder = UploadFolder(req, *staged);
  if (!folder) return folder.error();
  return StagedForm{std::move(*staged), std::move(*folder)};
}

// A file part that arrived whole and matches the checksums its headers
// carry.
Status CheckPart(const StagedFile& f) {
  if (f.error) return *f.error;
  auto expected = ExpectedDigestsFrom(f.headers);
  if (!expected) return expected.error();
  return VerifyDigests(*expected, *f.sealed);
}

// Every file of an all-or-nothing upload, named; the first failed part or
// bad name fails them all, before anything is committed.
Result<std::vector<Storage::Staged>> NameAll(StagedForm& form) {
  std::vector<Storage::Staged> named;
  named.reserve(form.upload.files.size());
  for (StagedFile& f : form.upload.files) {
    if (auto st = CheckPart(f); !st) return st.error();
    auto path = NormalizeFilePath(JoinPath(form.folder, f.filename));
    if (!path) return path.error();
    std::string type = ContentTypeFor(f.content_type, *path);
    named.push_back({std::move(f.sealed), std::move(*path), std::move(type)});
  }
  return named;
}

void PutFile(const Request& req, Response& res, Storage& store, const Config& config) {
  auto path = NormalizeFilePath(req.captures[0]);
  if (!path) return SendErrorAndClose(res, path.error());
  if (req.IsMultipartForm()) {
    return SendErrorAndClose(
        res, {Errc::kInvalidArgument, "PUT takes the raw file body; use POST /upload for forms"});
  }
  const Preconditions pre = Preconditions::From(req);
  const FileGuard guard = pre.Guard();
  if (guard) {
    // Refused before the body is read when it already fails; the commit
    // asks again, since another writer may change the file meanwhile.
    auto now = store.Stat(*path);
    if (!now && now.error().code != Errc::kNotFound) return SendErrorAndClose(res, now.error());
    if (auto st = pre.CheckWrite(now ? &*now : nullptr); !st) {
      return SendErrorAndClose(res, st.error());
    }
  }
  auto expected = ExpectedDigestsFrom(req.headers);
  if (!expected) return SendErrorAndClose(res, expected.error());
  auto sealed = StageRawBody(req, store, config.max_upload_bytes);
  if (!sealed) return SendErrorAndClose(res, sealed.error());
  if (auto st = VerifyDigests(*expected, **sealed); !st) return SendError(res, st.error());
  auto done = store.Commit(
      {std::move(*sealed), *path, ContentTypeFor(req.Header("Content-Type"), *path)}, guard);
  if (!done) return SendError(res, done.error());
  SendCommitted(res, *done);
}

void Upload(const Request& req, Response& res, Storage& store, const Config& config) {
  auto form = ReadUploadForm(req, store, config);
  if (!form) return SendErrorAndClose(res, form.error());
  auto named = NameAll(*form);
  if (!named) return SendError(res, named.error());
  // One transaction: every file of the form is stored, or none is.
  auto done = store.CommitAll(std::move(*named));
  if (!done) return SendError(res, done.error());
  nlohmann::json files = nlohmann::json::array();
  for (const Storage::Committed& c : *done) files.push_back(FileJson(c.info));
  SendJson(res, 201, {{"files", files}});
}

void BatchUpload(const Request& req, Response& res, Storage& store, const Config& config) {
  auto form = ReadUploadForm(req, store, config);
  if (!form) return SendErrorAndClose(res, form.error());
  StagedUpload& staged = form->upload;
  const std::string& folder = form->folder;
  nlohmann::json results = nlohmann::json::array();
  int succeeded = 0;
  for (StagedFile& f : staged.files) {
    nlohmann::json item = {{"name", f.filename}};
    auto path = NormalizeFilePath(JoinPath(folder, f.filename));
    const Status part = CheckPart(f);
    Result<Storage::Committed> done =
        !part   ? Result<Storage::Committed>(part.error())
        : !path ? Result<Storage::Committed>(path.error())
                : store.Commit({std::move(f.sealed), *path, ContentTypeFor(f.content_type, *path)});
    if (done) {
      ++succeeded;
      item["status"] = done->created ? 201 : 200;
      item["file"] = FileJson(done->info);
    } else {
      item["status"] = HttpStatusFor(done.error().code);
      item.update(ErrorJson(done.error()));
    }
    results.push_back(std::move(item));
  }
  const int failed = static_cast<int>(results.size()) - succeeded;
  SendJson(res, failed == 0 ? 200 : 207,
           {{"results", results}, {"succeeded", succeeded}, {"failed", failed}});
}

void DeletePath(const Request& req, Response& res, Storage& store,
                const Result<std::string>& path) {
  if (!path) return SendError(res, path.error());
  if (auto st = store.Delete(*path, Preconditions::From(req).Guard()); !st) {
    return SendError(res, st.error());
  }
  SendJson(res, 200, {{"deleted", *path}});
}

std::vector<HeaderParam> Concat(std::vector<HeaderParam> a, const std::vector<HeaderParam>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

void RegisterFileRoutes(HttpServer& server, Storage& store, const Config& config) {
  RouteTable& r = server.routes();
  r.Add({.method = "PUT",
         .pattern = "/files/{path...}",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kStreamed,
         .summary = "Store the raw body as the file at path (201 new, 200 replaced)",
         .body_type = "application/octet-stream",
         .headers = Concat(kWritePreconditions, kUploadDigestHeaders),
         .handler = [&store, &config](const Request& req, Response& res) {
           PutFile(req, res, store, config);
         }});
  r.Add({.method = "GET",
         .pattern = "/files/{path...}",
         .access = Access::kRead,
         .rate = RateClass::kRead,
         .body = BodyMode::kNone,
         .summary = "Download a file (HEAD, Range, conditional requests)",
         .headers = kReadPreconditions,
         .handler = [&store](const Request& req, Response& res) {
           auto path = NormalizeFilePath(req.captures[0]);
           if (!path) return SendError(res, path.error());
           auto file = store.OpenPath(*path);
           if (!file) return SendError(res, file.error());
           ServeFile(req, res, std::move(*file));
         }});
  r.Add({.method = "DELETE",
         .pattern = "/files/{path...}",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kNone,
         .summary = "Delete the file at path",
         .headers = kWritePreconditions,
         .handler = [&store](const Request& req, Response& res) {
           DeletePath(req, res, store, NormalizeFilePath(req.captures[0]));
         }});
  r.Add({.method = "DELETE",
         .pattern = "/delete",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kNone,
         .summary = "Delete the file named by the query",
         .query = {{"path", true, "the file"}},
         .headers = kWritePreconditions,
         .handler = [&store](const Request& req, Response& res) {
           DeletePath(req, res, store, FilePathParam(req));
         }});
  r.Add({.method = "POST",
         .pattern = "/upload",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kStreamed,
         .summary = "Upload the form's files into a folder: all of them, or an error (a file "
                    "part may carry Content-Digest, Content-MD5 or x-amz-checksum-sha256)",
         .query = {{"path", false, "the folder (a 'path' form field wins)"}},
         .body_type = "multipart/form-data",
         .handler = [&store, &config](const Request& req, Response& res) {
           Upload(req, res, store, config);
         }});
  r.Add({.method = "POST",
         .pattern = "/batch-upload",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kStreamed,
         .summary = "Upload the form's files into a folder, with a result per file (a file "
                    "part may carry Content-Digest, Content-MD5 or x-amz-checksum-sha256)",
         .query = {{"path", false, "the folder (a 'path' form field wins)"}},
         .body_type = "multipart/form-data",
         .handler = [&store, &config](const Request& req, Response& res) {
           BatchUpload(req, res, store, config);
         }});
}

}  // namespace fsvc
