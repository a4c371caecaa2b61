#include "api/folders_api.h"

#include "api/json_views.h"
#include "api/request_params.h"
#include "http/error_response.h"
#include "storage/path.h"

namespace fsvc {
namespace {

nlohmann::json Cursor(const std::string& next) {
  return next.empty() ? nlohmann::json(nullptr) : nlohmann::json(next);
}

}  // namespace

void RegisterFolderRoutes(HttpServer& server, FileStore& store, const Config& config) {
  auto& r = server.routes();
  r.Get("/list", [&store, &config](const httplib::Request& req, httplib::Response& res) {
    auto folder = FolderPathParam(req);
    if (!folder) return SendError(res, folder.error());
    auto size = IntParam(req, "pageSize", config.default_page_size, config.max_page_size);
    if (!size) return SendError(res, size.error());
    auto page = store.List(*folder, req.get_param_value("cursor"), *size);
    if (!page) return SendError(res, page.error());
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : page->files) files.push_back(FileJson(f));
    SendJson(res, 200,
             {{"path", *folder}, {"files", files}, {"next_cursor", Cursor(page->next_cursor)}});
  });
  r.Get("/list-folders", [&store, &config](const httplib::Request& req, httplib::Response& res) {
    auto folder = FolderPathParam(req);
    if (!folder) return SendError(res, folder.error());
    auto size = IntParam(req, "pageSize", config.default_page_size, config.max_page_size);
    if (!size) return SendError(res, size.error());
    auto page = store.ListFolders(*folder, req.get_param_value("cursor"), *size);
    if (!page) return SendError(res, page.error());
    nlohmann::json folders = nlohmann::json::array();
    for (const auto& p : page->folders) folders.push_back({{"path", p}, {"name", BaseName(p)}});
    SendJson(res, 200,
             {{"path", *folder}, {"folders", folders}, {"next_cursor", Cursor(page->next_cursor)}});
  });
  server.Post("/create-folder",
              [&store](const httplib::Request& req, const std::string&, httplib::Response& res) {
                auto folder = FolderPathParam(req);
                if (!folder) return SendError(res, folder.error());
                if (folder->empty())
                  return SendError(res, {Errc::kInvalidArgument, "'path' is required"});
                auto created = store.CreateFolder(*folder);
                if (!created) return SendError(res, created.error());
                SendJson(res, *created ? 201 : 200, {{"path", *folder}, {"created", *created}});
              });
  r.Delete("/delete-folder", [&store](const httplib::Request& req, httplib::Response& res) {
    auto folder = FolderPathParam(req);
    if (!folder) return SendError(res, folder.error());
    auto removed = store.DeleteFolder(*folder);
    if (!removed) return SendError(res, removed.error());
    SendJson(res, 200, {{"deleted", *folder}, {"files", *removed}});
  });
}

}  // namespace fsvc
