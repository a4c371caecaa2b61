#include "api/files_api.h"

#include "api/file_download.h"
#include "api/json_views.h"
#include "api/request_params.h"
#include "api/upload_stream.h"
#include "http/error_response.h"
#include "http/mime_types.h"
#include "storage/path.h"

namespace fsvc {
namespace {

// The client's Content-Type, unless it is one of the generic values tools
// send by default; then the name's extension decides.
std::string ContentTypeFor(std::string_view declared, std::string_view name) {
  if (declared.empty() || declared == "application/octet-stream" ||
      declared.rfind("application/x-www-form-urlencoded", 0) == 0 ||
      declared.rfind("multipart/", 0) == 0) {
    return MimeTypeFor(name);
  }
  return std::string(declared);
}

void SendCommitted(httplib::Response& res, const FileStore::Committed& c) {
  res.set_header("ETag", c.info.ETag());
  res.set_header("Location", "/files/" + c.info.path);
  SendJson(res, c.created ? 201 : 200, FileJson(c.info));
}

// Folder for a multipart upload: the form field wins over the query string.
Result<std::string> UploadFolder(const httplib::Request& req, const StagedUpload& staged) {
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
Result<StagedForm> ReadUploadForm(const httplib::Request& req, const httplib::ContentReader& reader,
                                  FileStore& store, const Config& config) {
  if (!req.is_multipart_form_data()) {
    return Error{Errc::kInvalidArgument, "expected a multipart/form-data body"};
  }
  auto staged = StageMultipart(
      reader, store, {config.max_upload_bytes, static_cast<size_t>(config.max_batch_files)});
  if (!staged) return staged.error();
  if (staged->files.empty()) {
    return Error{Errc::kInvalidArgument, "no file part in the form (field 'file')"};
  }
  auto folder = UploadFolder(req, *staged);
  if (!folder) return folder.error();
  return StagedForm{std::move(*staged), std::move(*folder)};
}

void PutFile(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader& reader, FileStore& store, const Config& config) {
  auto path = NormalizeFilePath(req.matches[1].str());
  if (!path) return SendErrorAndClose(res, path.error());
  if (req.is_multipart_form_data()) {
    return SendErrorAndClose(
        res, {Errc::kInvalidArgument, "PUT takes the raw file body; use POST /upload for forms"});
  }
  auto blob = StageRawBody(reader, store, config.max_upload_bytes);
  if (!blob) return SendErrorAndClose(res, blob.error());
  auto done = store.Commit(std::move(*blob), *path,
                           ContentTypeFor(req.get_header_value("Content-Type"), *path));
  if (!done) return SendError(res, done.error());
  SendCommitted(res, *done);
}

void Upload(const httplib::Request& req, httplib::Response& res,
            const httplib::ContentReader& reader, FileStore& store, const Config& config) {
  auto form = ReadUploadForm(req, reader, store, config);
  if (!form) return SendErrorAndClose(res, form.error());
  StagedUpload& staged = form->upload;
  const std::string& folder = form->folder;
  // All names and sizes are checked before anything is committed.
  std::vector<std::string> paths;
  for (const StagedFile& f : staged.files) {
    if (f.error) return SendError(res, *f.error);
    auto path = NormalizeFilePath(JoinPath(folder, f.filename));
    if (!path) return SendError(res, path.error());
    paths.push_back(std::move(*path));
  }
  nlohmann::json files = nlohmann::json::array();
  for (size_t i = 0; i < paths.size(); ++i) {
    StagedFile& f = staged.files[i];
    auto done =
        store.Commit(std::move(*f.blob), paths[i], ContentTypeFor(f.content_type, paths[i]));
    if (!done) {
      nlohmann::json body = ErrorJson(done.error());
      body["files"] = files;  // committed before the failure; they stay
      return SendJson(res, HttpStatusFor(done.error().code), body);
    }
    files.push_back(FileJson(done->info));
  }
  SendJson(res, 201, {{"files", files}});
}

void BatchUpload(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader, FileStore& store, const Config& config) {
  auto form = ReadUploadForm(req, reader, store, config);
  if (!form) return SendErrorAndClose(res, form.error());
  StagedUpload& staged = form->upload;
  const std::string& folder = form->folder;
  nlohmann::json results = nlohmann::json::array();
  int succeeded = 0;
  for (StagedFile& f : staged.files) {
    nlohmann::json item = {{"name", f.filename}};
    auto path = NormalizeFilePath(JoinPath(folder, f.filename));
    Result<FileStore::Committed> done =
        f.error ? Result<FileStore::Committed>(*f.error)
        : !path ? Result<FileStore::Committed>(path.error())
                : store.Commit(std::move(*f.blob), *path, ContentTypeFor(f.content_type, *path));
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

void DeletePath(httplib::Response& res, FileStore& store, const Result<std::string>& path) {
  if (!path) return SendError(res, path.error());
  if (auto st = store.Delete(*path); !st) return SendError(res, st.error());
  SendJson(res, 200, {{"deleted", *path}});
}

}  // namespace

void RegisterFileRoutes(HttpServer& server, FileStore& store, const Config& config) {
  server.AllowLargeBodies("/files/");
  server.AllowLargeBodies("/upload");
  server.AllowLargeBodies("/batch-upload");
  auto& r = server.routes();
  r.Put(R"(/files/(.+))", [&store, &config](const httplib::Request& req, httplib::Response& res,
                                            const httplib::ContentReader& reader) {
    PutFile(req, res, reader, store, config);
  });
  r.Get(R"(/files/(.+))", [&store](const httplib::Request& req, httplib::Response& res) {
    auto path = NormalizeFilePath(req.matches[1].str());
    if (!path) return SendError(res, path.error());
    auto file = store.OpenPath(*path);
    if (!file) return SendError(res, file.error());
    ServeFile(req, res, std::move(*file));
  });
  r.Delete(R"(/files/(.+))", [&store](const httplib::Request& req, httplib::Response& res) {
    DeletePath(res, store, NormalizeFilePath(req.matches[1].str()));
  });
  r.Delete("/delete", [&store](const httplib::Request& req, httplib::Response& res) {
    DeletePath(res, store, FilePathParam(req));
  });
  r.Post("/upload", [&store, &config](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
    Upload(req, res, reader, store, config);
  });
  r.Post("/batch-upload", [&store, &config](const httplib::Request& req, httplib::Response& res,
                                            const httplib::ContentReader& reader) {
    BatchUpload(req, res, reader, store, config);
  });
}

}  // namespace fsvc
