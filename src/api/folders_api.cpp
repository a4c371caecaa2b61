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

// The page a listing route returns: the folder, its page size and cursor.
struct PageRequest {
  std::string folder;
  int size = 0;
  std::string cursor;
};
Result<PageRequest> ReadPageRequest(const Request& req, const Config& config) {
  auto folder = FolderPathParam(req);
  if (!folder) return folder.error();
  auto size = IntParam(req, "pageSize", config.default_page_size, config.max_page_size);
  if (!size) return size.error();
  return PageRequest{std::move(*folder), *size, req.Param("cursor")};
}

std::vector<QueryParam> PageQuery() {
  return {{"path", false, "the folder (default: the root)"},
          {"pageSize", false, "entries per page"},
          {"cursor", false, "next_cursor of the previous page"}};
}

}  // namespace

void RegisterFolderRoutes(HttpServer& server, Storage& store, const Config& config) {
  RouteTable& r = server.routes();
  r.Add({.method = "GET",
         .pattern = "/list",
         .access = Access::kRead,
         .rate = RateClass::kRead,
         .body = BodyMode::kNone,
         .summary = "List the files of a folder, one page at a time",
         .query = PageQuery(),
         .handler = [&store, &config](const Request& req, Response& res) {
           auto want = ReadPageRequest(req, config);
           if (!want) return SendError(res, want.error());
           auto page = store.List(want->folder, want->cursor, want->size);
           if (!page) return SendError(res, page.error());
           nlohmann::json files = nlohmann::json::array();
           for (const auto& f : page->files) files.push_back(FileJson(f));
           SendJson(res, 200,
                    {{"path", want->folder},
                     {"files", files},
                     {"next_cursor", Cursor(page->next_cursor)}});
         }});
  r.Add({.method = "GET",
         .pattern = "/list-folders",
         .access = Access::kRead,
         .rate = RateClass::kRead,
         .body = BodyMode::kNone,
         .summary = "List the subfolders of a folder, one page at a time",
         .query = PageQuery(),
         .handler = [&store, &config](const Request& req, Response& res) {
           auto want = ReadPageRequest(req, config);
           if (!want) return SendError(res, want.error());
           auto page = store.ListFolders(want->folder, want->cursor, want->size);
           if (!page) return SendError(res, page.error());
           nlohmann::json folders = nlohmann::json::array();
           for (const auto& p : page->folders) {
             folders.push_back({{"path", p}, {"name", BaseName(p)}});
           }
           SendJson(res, 200,
                    {{"path", want->folder},
                     {"folders", folders},
                     {"next_cursor", Cursor(page->next_cursor)}});
         }});
  r.Add({.method = "POST",
         .pattern = "/create-folder",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kSmall,
         .summary = "Create a folder (201 new, 200 already there)",
         .query = {{"path", true, "the folder"}},
         .handler = [&store](const Request& req, Response& res) {
           auto folder = FolderPathParam(req);
           if (!folder) return SendError(res, folder.error());
           if (folder->empty()) {
             return SendError(res, {Errc::kInvalidArgument, "'path' is required"});
           }
           auto created = store.CreateFolder(*folder);
           if (!created) return SendError(res, created.error());
           SendJson(res, *created ? 201 : 200, {{"path", *folder}, {"created", *created}});
         }});
  r.Add({.method = "DELETE",
         .pattern = "/delete-folder",
         .access = Access::kWrite,
         .rate = RateClass::kWrite,
         .body = BodyMode::kNone,
         .summary = "Delete a folder and every file below it",
         .query = {{"path", true, "the folder"}},
         .handler = [&store](const Request& req, Response& res) {
           auto folder = FolderPathParam(req);
           if (!folder) return SendError(res, folder.error());
           auto removed = store.DeleteFolder(*folder);
           if (!removed) return SendError(res, removed.error());
           SendJson(res, 200, {{"deleted", *folder}, {"files", *removed}});
         }});
}

}  // namespace fsvc
