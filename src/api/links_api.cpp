#include "api/links_api.h"

#include "api/file_download.h"
#include "api/json_views.h"
#include "api/preconditions.h"
#include "api/request_params.h"
#include "http/error_response.h"
#include "links/batch_request.h"
#include "storage/path.h"

namespace fsvc {
namespace {

nlohmann::json LinkJson(const std::string& path, const IssuedLink& link) {
  return {{"path", path},
          {"url", link.url},
          {"expires_at", Rfc3339(link.expires_at * 1000)},
          {"expires_at_unix", link.expires_at}};
}

}  // namespace

void RegisterLinkRoutes(HttpServer& server, LinkService& links, const Config& config) {
  RouteTable& r = server.routes();
  r.Add({.method = "GET",
         .pattern = "/download",
         .access = Access::kRead,
         .rate = RateClass::kRead,
         .body = BodyMode::kNone,
         .summary = "A signed, expiring download link for a file",
         .query = {{"path", true, "the file"}},
         .handler = [&links](const Request& req, Response& res) {
           auto path = FilePathParam(req);
           if (!path) return SendError(res, path.error());
           auto link = links.LinkFor(*path);
           if (!link) return SendError(res, link.error());
           SendJson(res, 200, LinkJson(*path, *link));
         }});
  // Open: the signed token is the credential.
  r.Add({.method = "GET",
         .pattern = "/d/{token}",
         .access = Access::kOpen,
         .rate = RateClass::kRead,
         .body = BodyMode::kNone,
         .summary = "Download a file through a signed link",
         .headers = kReadPreconditions,
         .handler = [&links](const Request& req, Response& res) {
           auto file = links.Resolve(req.captures[0]);
           if (!file) return SendError(res, file.error());
           ServeFile(req, res, std::move(*file));
         }});
  r.Add({.method = "POST",
         .pattern = "/batch-download",
         .access = Access::kRead,
         .rate = RateClass::kRead,
         .body = BodyMode::kSmall,
         .summary = "Signed download links for many files, a result per path",
         .body_type = "application/json",
         .handler = [&links, &config](const Request& req, Response& res) {
           auto paths =
               ParseBatchDownloadRequest(req.body, static_cast<size_t>(config.max_batch_files));
           if (!paths) return SendError(res, paths.error());
           nlohmann::json results = nlohmann::json::array();
           int succeeded = 0;
           for (const std::string& raw : *paths) {
             auto path = NormalizeFilePath(raw);
             auto link = path ? links.LinkFor(*path) : Result<IssuedLink>(path.error());
             if (link) {
               ++succeeded;
               results.push_back(LinkJson(*path, *link));
             } else {
               nlohmann::json item = ErrorJson(link.error());
               item["path"] = raw;
               results.push_back(std::move(item));
             }
           }
           const int failed = static_cast<int>(results.size()) - succeeded;
           SendJson(res, 200, {{"links", results}, {"succeeded", succeeded}, {"failed", failed}});
         }});
}

}  // namespace fsvc
