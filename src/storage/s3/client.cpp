#include "storage/s3/client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <pugixml.hpp>
#include <utility>

#include "storage/s3/sigv4.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace fsvc::s3 {
namespace {

// Bodies read into memory (XML answers, error documents). A full listing
// page of 1000 keys of 1 KiB each is about 1.5 MiB.
constexpr size_t kMaxAnswerBytes = 16 << 20;

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

using Clock = std::chrono::steady_clock;
using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

bool ParseU64(std::string_view text, uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "2026-12-03T14:08:50.123Z" (XML listings) to unix ms; 0 when malformed.
int64_t ParseIso8601(const char* text) {
  std::tm tm{};
  int ms = 0;
  const int n = std::sscanf(text, "%d-%d-%dT%d:%d:%d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  if (n < 6) return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + (n == 7 ? ms : 0);
}

std::string AmzDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

// S3's multipart ETag: MD5 over the parts' binary MD5s, then "-<count>".
// Empty when a part's ETag is not an MD5 in hex.
std::string MultipartEtag(const std::vector<CompletedPart>& parts) {
  std::string digests;
  for (const CompletedPart& part : parts) {
    if (part.etag.size() != 32) return {};
    for (size_t i = 0; i < 32; i += 2) {
      const int hi = HexDigitValue(part.etag[i]);
      const int lo = HexDigitValue(part.etag[i + 1]);
      if (hi < 0 || lo < 0) return {};
      digests += static_cast<char>(hi << 4 | lo);
    }
  }
  const std::string md5 = Md5(digests);
  return HexEncode(reinterpret_cast<const unsigned char*>(md5.data()), md5.size()) + '-' +
         std::to_string(parts.size());
}

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

std::string XmlText(const pugi::xml_document& doc) {
  StringWriter writer;
  doc.save(writer, "", pugi::format_raw);
  return std::move(writer.out);
}

// The S3 error Code wins over the status where both speak: a 200 answer to
// CompleteMultipartUpload can carry an <Error>.
Errc MapError(long status, std::string_view code) {
  if (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload" || status == 404) {
    return Errc::kNotFound;
  }
  if (code == "PreconditionFailed" || status == 412) return Errc::kPreconditionFailed;
  if (code == "AccessDenied" || status == 403) return Errc::kForbidden;
  if (code == "InvalidRange" || status == 416) return Errc::kRangeNotSatisfiable;
  if (code == "InternalError" || code == "ServiceUnavailable" || code == "SlowDown" ||
      status >= 500) {
    return Errc::kUnavailable;
  }
  return Errc::kInternal;
}

Error ErrorFromXml(const std::string& what, long status, pugi::xml_node error) {
  const std::string code = error.child_value("Code");
  std::string message = what + ": HTTP " + std::to_string(status);
  if (!code.empty()) message += ' ' + code;
  const std::string text = error.child_value("Message");
  if (!text.empty()) message += ": " + text;
  return Error{MapError(status, code), std::move(message)};
}

struct Response {
  long status = 0;
  Pairs headers;  // names lower-case
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return {};
  }
};

Result<ObjectInfo> InfoFromHeaders(const std::string& what, const Response& r) {
  ObjectInfo info;
  if (!ParseU64(r.Header("content-length"), info.length)) {
    return Error{Errc::kInternal, what + ": no Content-Length in the answer"};
  }
  info.size = info.length;
  if (const std::string range = r.Header("content-range"); !range.empty()) {
    // "bytes 0-9/100"
    const size_t dash = range.find('-');
    const size_t slash = range.find('/');
    if (range.rfind("bytes ", 0) != 0 || dash == std::string::npos || slash == std::string::npos ||
        !ParseU64(std::string_view(range).substr(6, dash - 6), info.first) ||
        !ParseU64(std::string_view(range).substr(slash + 1), info.size)) {
      return Error{Errc::kInternal, what + ": malformed Content-Range '" + range + "'"};
    }
  }
  info.etag = Unquote(r.Header("etag"));
  info.content_type = r.Header("content-type");
  if (const std::string date = r.Header("last-modified"); !date.empty()) {
    info.last_modified_ms = static_cast<int64_t>(curl_getdate(date.c_str(), nullptr)) * 1000;
  }
  constexpr std::string_view kMeta = "x-amz-meta-";
  for (const auto& [name, value] : r.headers) {
    if (name.rfind(kMeta, 0) == 0) info.metadata[name.substr(kMeta.size())] = value;
  }
  return info;
}

// What the libcurl callbacks of one call share.
struct Transfer {
  CURL* handle = nullptr;
  const std::string* what = nullptr;
  const ObjectSink* sink = nullptr;
  Response response;
  bool head_delivered = false;
  bool overflow = false;
  // Progress as last seen, for the stall bound.
  int stall_timeout_ms = 0;
  curl_off_t last_down = -1;
  curl_off_t last_up = -1;
  Clock::time_point last_moved;
  bool stalled = false;
  Status sink_status = OkStatus();
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new block (after a 100 Continue)
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    t->response.headers.emplace_back(Lower(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

int OnProgress(void* user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
  auto* t = static_cast<Transfer*>(user);
  const Clock::time_point now = Clock::now();
  if (down != t->last_down || up != t->last_up) {
    t->last_down = down;
    t->last_up = up;
    t->last_moved = now;
    return 0;
  }
  t->stalled = now - t->last_moved > std::chrono::milliseconds(t->stall_timeout_ms);
  return t->stalled ? 1 : 0;
}

// Hands the sink what the 2xx answer's headers say, once.
Status DeliverHead(Transfer& t) {
  if (t.head_delivered) return OkStatus();
  t.head_delivered = true;
  curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &t.response.status);
  if (!t.sink->on_head) return OkStatus();
  auto info = InfoFromHeaders(*t.what, t.response);
  if (!info.ok()) return info.error();
  return t.sink->on_head(*info);
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink != nullptr && status / 100 == 2) {
    t->sink_status = DeliverHead(*t);
    if (t->sink_status.ok()) t->sink_status = t->sink->on_data(std::string_view(data, n));
    return t->sink_status.ok() ? n : 0;
  }
  if (t->response.body.size() + n > kMaxAnswerBytes) {
    t->overflow = true;
    return 0;
  }
  t->response.body.append(data, n);
  return n;
}

struct Request {
  const char* op;  // "GetObject": for messages
  const char* method;
  std::string_view key;  // empty: the bucket itself
  Pairs query;
  Pairs headers;  // signed and sent
  std::string_view body;
  bool moves_object = false;  // the transfer timeout applies, not the request one
  const ObjectSink* sink = nullptr;
};

void AddIfSet(Pairs& query, const char* name, const std::string& value) {
  if (!value.empty()) query.emplace_back(name, value);
}

bool HeaderSafe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

Status AddPutHeaders(const PutOptions& options, Pairs& headers) {
  if (!options.content_type.empty()) headers.emplace_back("content-type", options.content_type);
  for (const auto& [name, value] : options.metadata) {
    if (name.empty() || !HeaderSafe(name) || !HeaderSafe(value) ||
        name.find_first_of(": ") != std::string::npos) {
      return Error{Errc::kInvalidArgument, "S3 metadata '" + name + "' is not a header"};
    }
    headers.emplace_back("x-amz-meta-" + Lower(name), value);
  }
  if (options.if_none_match) headers.emplace_back("if-none-match", "*");
  return OkStatus();
}

}  // namespace

struct Client::Impl {
  Config config;
  std::string scheme;  // "http"
  std::string host;    // the Host header: authority, or bucket.authority
  Credentials credentials;

  Mutex mu;
  std::vector<EasyHandle> idle GUARDED_BY(mu);

  // A handle borrowed for one call, reset and given back afterwards so its
  // open connection serves the next call.
  class Lease {
   public:
    Lease(Impl& impl, EasyHandle handle) : impl_(impl), handle_(std::move(handle)) {}
    ~Lease() {
      curl_easy_reset(handle_.get());
      MutexLock lock(impl_.mu);
      if (impl_.idle.size() < static_cast<size_t>(impl_.config.max_idle_connections)) {
        impl_.idle.push_back(std::move(handle_));
      }
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    CURL* get() const { return handle_.get(); }

   private:
    Impl& impl_;
    EasyHandle handle_;
  };

  EasyHandle Borrow() {
    {
      MutexLock lock(mu);
      if (!idle.empty()) {
        EasyHandle h = std::move(idle.back());
        idle.pop_back();
        return h;
      }
    }
    return EasyHandle(curl_easy_init());
  }

  std::string PathOf(std::string_view key) const {
    std::string path = "/";
    if (config.path_style) {
      path += config.bucket;
      if (!key.empty()) path += '/';
    }
    path += key;
    return path;
  }

  std::string What(const char* op, std::string_view key) const {
    return std::string("S3 ") + op + ' ' + config.bucket + (key.empty() ? "" : "/") +
           std::string(key);
  }

  Error TransportError(const std::string& what, CURLcode rc, const char* detail, const Transfer& t,
                       int timeout_ms) const {
    const std::string why = detail[0] != '\0' ? detail : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
        return {Errc::kUnavailable, what + ": cannot connect to " + config.endpoint + ": " + why};
      case CURLE_OPERATION_TIMEDOUT:
        return {Errc::kUnavailable, what + ": timed out (connect " +
                                        std::to_string(config.connect_timeout_ms) + " ms, total " +
                                        std::to_string(timeout_ms) + " ms): " + why};
      case CURLE_ABORTED_BY_CALLBACK:
        if (t.stalled) {
          return {Errc::kUnavailable, what + ": timed out: no byte moved for " +
                                          std::to_string(config.stall_timeout_ms) + " ms"};
        }
        break;
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_SSL_CONNECT_ERROR:
        return {Errc::kUnavailable, what + ": connection to " + config.endpoint + " broke: " + why};
      case CURLE_WRITE_ERROR:
        if (!t.sink_status.ok()) return t.sink_status.error();
        if (t.overflow) {
          return {Errc::kInternal,
                  what + ": answer over " + std::to_string(kMaxAnswerBytes) + " bytes"};
        }
        break;
      default:
        break;
    }
    return {Errc::kInternal, what + ": " + why};
  }

  // One signed request. A non-2xx answer comes back as its mapped Error.
  Result<Response> Perform(const Request& req) {
    const std::string what = What(req.op, req.key);
    const std::string date = AmzDate();
    const std::string payload_sha = Sha256Hex(req.body);
    SignedRequest signed_request{
        req.method,
        PathOf(req.key),
        req.query,
        {{"host", host}, {"x-amz-date", date}, {"x-amz-content-sha256", payload_sha}},
        payload_sha};
    for (const auto& header : req.headers) signed_request.headers.push_back(header);
    const std::string authorization = Authorization(signed_request, credentials, date);

    std::string url = scheme + "://" + host + EncodePath(signed_request.path);
    if (!req.query.empty()) url += '?' + CanonicalQuery(signed_request);

    Slist headers;
    const auto add = [&headers](const std::string& line) {
      curl_slist* list = curl_slist_append(headers.get(), line.c_str());
      if (list != nullptr) {
        (void)headers.release();
        headers.reset(list);
      }
      return list != nullptr;
    };
    bool added = add("Authorization: " + authorization);
    for (const auto& [name, value] : signed_request.headers) {
      // "name;" is libcurl's way to send a header with an empty value.
      added = added && add(name + (value.empty() ? ";" : ": " + value));
    }
    // No 100-continue round trip; no form content type libcurl would add to
    // a body sent as POSTFIELDS.
    added = added && add("Expect:");
    const bool has_type =
        std::any_of(req.headers.begin(), req.headers.end(),
                    [](const auto& header) { return header.first == "content-type"; });
    if (!has_type) added = added && add("Content-Type:");
    if (!added) return Error{Errc::kInternal, what + ": out of memory"};

    // Declared before the lease: the handle points at them until its reset.
    Transfer t;
    char detail[CURL_ERROR_SIZE] = "";
    EasyHandle fresh = Borrow();
    if (!fresh) return Error{Errc::kInternal, what + ": curl_easy_init failed"};
    Lease lease(*this, std::move(fresh));
    CURL* h = lease.get();
    t.handle = h;
    t.what = &what;
    t.sink = req.sink;
    const int timeout_ms =
        req.moves_object ? config.transfer_timeout_ms : config.request_timeout_ms;

    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // keys may hold "/../" or "//"
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);    // thread-safe timeouts
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    t.stall_timeout_ms = config.stall_timeout_ms;
    t.last_moved = Clock::now();
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    const std::string_view method = req.method;
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method == "PUT" || method == "POST") {
      // The body straight from the caller's buffer, no copy. Never a null
      // pointer: libcurl would then read the body from stdin.
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method);
    } else if (method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method);
    }

    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) return TransportError(what, rc, detail, t, timeout_ms);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.response.status);
    Response& r = t.response;
    if (r.status / 100 != 2) {
      pugi::xml_document doc;
      if (!r.body.empty()) doc.load_buffer(r.body.data(), r.body.size());
      return ErrorFromXml(what, r.status, doc.child("Error"));
    }
    if (req.sink != nullptr) {
      // An empty body calls no write callback.
      if (Status s = DeliverHead(t); !s.ok()) return s.error();
    }
    return std::move(r);
  }

  // Perform, then the 2xx answer's XML document, its root named `root`.
  Status PerformXml(const Request& req, const char* root, pugi::xml_document& doc) {
    auto r = Perform(req);
    if (!r.ok()) return r.error();
    return ParseXml(What(req.op, req.key), *r, root, doc);
  }

  // A 2xx answer's XML document, its root named `root`.
  static Status ParseXml(const std::string& what, const Response& r, const char* root,
                         pugi::xml_document& doc) {
    if (!doc.load_buffer(r.body.data(), r.body.size())) {
      return Error{Errc::kInternal, what + ": the answer is not XML"};
    }
    if (pugi::xml_node error = doc.child("Error")) return ErrorFromXml(what, r.status, error);
    if (!doc.child(root)) return Error{Errc::kInternal, what + ": no <" + root + "> in the answer"};
    return OkStatus();
  }
};

Result<std::unique_ptr<Client>> Client::Create(Config config) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return Error{Errc::kInternal, "curl_global_init failed"};
  auto impl = std::make_unique<Impl>();
  const std::string_view endpoint = config.endpoint;
  const size_t sep = endpoint.find("://");
  if (sep == std::string_view::npos ||
      (endpoint.substr(0, sep) != "http" && endpoint.substr(0, sep) != "https")) {
    return Error{Errc::kInvalidArgument, "S3 endpoint '" + config.endpoint + "' is not http(s)://"};
  }
  std::string authority(endpoint.substr(sep + 3));
  if (!authority.empty() && authority.back() == '/') authority.pop_back();
  if (authority.empty() || authority.find('/') != std::string::npos) {
    return Error{Errc::kInvalidArgument,
                 "S3 endpoint '" + config.endpoint + "' must be scheme://host[:port]"};
  }
  if (config.bucket.empty()) return Error{Errc::kInvalidArgument, "S3 bucket is empty"};
  impl->scheme = endpoint.substr(0, sep);
  impl->host = config.path_style ? authority : config.bucket + '.' + authority;
  impl->credentials = {config.access_key, config.secret_key, config.region};
  impl->config = std::move(config);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Status Client::CreateBucket() {
  auto r = impl_->Perform({"CreateBucket", "PUT", {}, {}, {}, {}});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Status Client::DeleteBucket() {
  auto r = impl_->Perform({"DeleteBucket", "DELETE", {}, {}, {}, {}});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::string> Client::PutObject(std::string_view key, std::string_view body,
                                      const PutOptions& options) {
  Request req{"PutObject", "PUT", key, {}, {}, body, true};
  if (Status s = AddPutHeaders(options, req.headers); !s.ok()) return s.error();
  auto r = impl_->Perform(req);
  if (!r.ok()) return r.error();
  std::string etag = Unquote(r->Header("etag"));
  if (etag.empty())
    return Error{Errc::kInternal, impl_->What(req.op, key) + ": no ETag in the answer"};
  return etag;
}

Result<ObjectInfo> Client::GetObject(std::string_view key, const ObjectSink& sink,
                                     const std::optional<ByteRange>& range,
                                     std::string_view if_match) {
  Request req{"GetObject", "GET", key, {}, {}, {}, true, &sink};
  if (!if_match.empty()) req.headers.emplace_back("if-match", '"' + std::string(if_match) + '"');
  if (range) {
    req.headers.emplace_back("range", "bytes=" + std::to_string(range->first) + '-' +
                                          (range->last ? std::to_string(*range->last) : ""));
  }
  auto r = impl_->Perform(req);
  if (!r.ok()) return r.error();
  return InfoFromHeaders(impl_->What(req.op, key), *r);
}

Result<ObjectInfo> Client::HeadObject(std::string_view key) {
  auto r = impl_->Perform({"HeadObject", "HEAD", key, {}, {}, {}});
  if (!r.ok()) return r.error();
  return InfoFromHeaders(impl_->What("HeadObject", key), *r);
}

Result<std::string> Client::CopyObject(std::string_view source_key, std::string_view key,
                                       const PutOptions& options) {
  return Copy(source_key, key, &options);
}

Result<std::string> Client::CopyObject(std::string_view source_key, std::string_view key) {
  return Copy(source_key, key, nullptr);
}

// `replace` null: S3's COPY directive, the source's content type and metadata.
Result<std::string> Client::Copy(std::string_view source_key, std::string_view key,
                                 const PutOptions* replace) {
  const std::string what = impl_->What("CopyObject", key);
  const std::string source = EncodePath("/" + impl_->config.bucket + "/" + std::string(source_key));
  Request req{"CopyObject",
              "PUT",
              key,
              {},
              {{"x-amz-copy-source", source},
               {"x-amz-metadata-directive", replace != nullptr ? "REPLACE" : "COPY"}},
              {}};
  if (replace != nullptr) {
    if (Status s = AddPutHeaders(*replace, req.headers); !s.ok()) return s.error();
  }
  pugi::xml_document doc;
  // A copy can fail after its 200 has begun: the error is then the body.
  if (Status s = impl_->PerformXml(req, "CopyObjectResult", doc); !s.ok()) return s.error();
  std::string etag = Unquote(doc.child("CopyObjectResult").child_value("ETag"));
  if (etag.empty()) return Error{Errc::kInternal, what + ": no ETag in the answer"};
  return etag;
}

Status Client::DeleteObject(std::string_view key) {
  auto r = impl_->Perform({"DeleteObject", "DELETE", key, {}, {}, {}});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::vector<DeleteResult>> Client::DeleteObjects(const std::vector<std::string>& keys) {
  const std::string what = impl_->What("DeleteObjects", {});
  if (keys.size() > 1000) {
    return Error{Errc::kInvalidArgument,
                 what + ": " + std::to_string(keys.size()) + " keys (at most 1000)"};
  }
  std::vector<DeleteResult> results;
  if (keys.empty()) return results;
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Delete");
  root.append_child("Quiet").text().set("false");
  for (const std::string& key : keys) {
    root.append_child("Object").append_child("Key").text().set(key.c_str());
  }
  const std::string body = XmlText(doc);
  // S3 requires a Content-MD5 on this call.
  auto r = impl_->Perform(
      {"DeleteObjects",
       "POST",
       {},
       {{"delete", ""}},
       {{"content-md5", Base64Encode(Md5(body))}, {"content-type", "application/xml"}},
       body});
  if (!r.ok()) return r.error();
  pugi::xml_document answer;
  if (Status s = Impl::ParseXml(what, *r, "DeleteResult", answer); !s.ok()) return s.error();
  std::map<std::string, Status> by_key;
  for (pugi::xml_node node : answer.child("DeleteResult").children()) {
    const std::string key = node.child_value("Key");
    if (std::string_view(node.name()) == "Deleted") {
      by_key.insert_or_assign(key, OkStatus());
    } else if (std::string_view(node.name()) == "Error") {
      by_key.insert_or_assign(key, ErrorFromXml(what + " " + key, r->status, node));
    }
  }
  for (const std::string& key : keys) {
    const auto it = by_key.find(key);
    results.push_back({key, it != by_key.end()
                                ? it->second
                                : Status(Errc::kInternal, what + ": no result for '" + key + "'")});
  }
  return results;
}

Result<ListPage> Client::ListObjectsV2(const ListOptions& options) {
  const std::string what = impl_->What("ListObjectsV2", {});
  Request req{"ListObjectsV2", "GET", {}, {{"list-type", "2"}}, {}, {}};
  req.query.emplace_back("max-keys", std::to_string(options.max_keys));
  AddIfSet(req.query, "prefix", options.prefix);
  AddIfSet(req.query, "delimiter", options.delimiter);
  AddIfSet(req.query, "continuation-token", options.continuation_token);
  AddIfSet(req.query, "start-after", options.start_after);
  pugi::xml_document doc;
  if (Status s = impl_->PerformXml(req, "ListBucketResult", doc); !s.ok()) return s.error();
  const pugi::xml_node result = doc.child("ListBucketResult");
  ListPage page;
  for (pugi::xml_node node : result.children("Contents")) {
    ListEntry entry{node.child_value("Key"), 0, Unquote(node.child_value("ETag")),
                    ParseIso8601(node.child_value("LastModified"))};
    if (!ParseU64(node.child_value("Size"), entry.size)) {
      return Error{Errc::kInternal, what + ": bad <Size> for '" + entry.key + "'"};
    }
    page.objects.push_back(std::move(entry));
  }
  for (pugi::xml_node node : result.children("CommonPrefixes")) {
    page.common_prefixes.emplace_back(node.child_value("Prefix"));
  }
  if (std::string_view(result.child_value("IsTruncated")) == "true") {
    page.next_token = result.child_value("NextContinuationToken");
    if (page.next_token.empty()) {
      return Error{Errc::kInternal, what + ": truncated without a NextContinuationToken"};
    }
  }
  return page;
}

Result<std::string> Client::CreateMultipartUpload(std::string_view key, const PutOptions& options) {
  const std::string what = impl_->What("CreateMultipartUpload", key);
  Request req{"CreateMultipartUpload", "POST", key, {{"uploads", ""}}, {}, {}};
  if (Status s = AddPutHeaders(options, req.headers); !s.ok()) return s.error();
  pugi::xml_document doc;
  if (Status s = impl_->PerformXml(req, "InitiateMultipartUploadResult", doc); !s.ok()) {
    return s.error();
  }
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) return Error{Errc::kInternal, what + ": no <UploadId> in the answer"};
  return id;
}

Result<std::string> Client::UploadPart(std::string_view key, std::string_view upload_id,
                                       int part_number, std::string_view body) {
  const std::string what = impl_->What("UploadPart", key);
  if (part_number < 1 || part_number > 10000) {
    return Error{Errc::kInvalidArgument,
                 what + ": part number " + std::to_string(part_number) + " not in 1..10000"};
  }
  auto r = impl_->Perform(
      {"UploadPart",
       "PUT",
       key,
       {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}},
       {},
       body,
       true});
  if (!r.ok()) return r.error();
  std::string etag = Unquote(r->Header("etag"));
  if (etag.empty()) return Error{Errc::kInternal, what + ": no ETag in the answer"};
  return etag;
}

Result<std::string> Client::CompleteMultipartUpload(std::string_view key,
                                                    std::string_view upload_id,
                                                    std::vector<CompletedPart> parts) {
  const std::string what = impl_->What("CompleteMultipartUpload", key);
  if (parts.empty()) return Error{Errc::kInvalidArgument, what + ": no parts"};
  std::sort(parts.begin(), parts.end(), [](const CompletedPart& a, const CompletedPart& b) {
    return a.part_number < b.part_number;
  });
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  for (const CompletedPart& part : parts) {
    pugi::xml_node node = root.append_child("Part");
    node.append_child("PartNumber").text().set(part.part_number);
    node.append_child("ETag").text().set(('"' + part.etag + '"').c_str());
  }
  const std::string body = XmlText(doc);
  auto r = impl_->Perform({"CompleteMultipartUpload",
                           "POST",
                           key,
                           {{"uploadId", std::string(upload_id)}},
                           {{"content-type", "application/xml"}},
                           body});
  if (!r.ok()) return r.error();
  pugi::xml_document answer;
  if (Status s = Impl::ParseXml(what, *r, "CompleteMultipartUploadResult", answer); !s.ok()) {
    return s.error();
  }
  std::string etag = Unquote(answer.child("CompleteMultipartUploadResult").child_value("ETag"));
  if (etag.empty()) etag = MultipartEtag(parts);
  if (etag.empty()) {
    return Error{Errc::kInternal, what + ": no ETag in the answer, and the parts' are not MD5s"};
  }
  return etag;
}

Status Client::AbortMultipartUpload(std::string_view key, std::string_view upload_id) {
  auto r = impl_->Perform(
      {"AbortMultipartUpload", "DELETE", key, {{"uploadId", std::string(upload_id)}}, {}, {}});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<UploadsPage> Client::ListMultipartUploads(const ListUploadsOptions& options) {
  Request req{"ListMultipartUploads",
              "GET",
              {},
              {{"uploads", ""}, {"max-uploads", std::to_string(options.max_uploads)}},
              {},
              {}};
  AddIfSet(req.query, "prefix", options.prefix);
  AddIfSet(req.query, "key-marker", options.key_marker);
  AddIfSet(req.query, "upload-id-marker", options.upload_id_marker);
  pugi::xml_document doc;
  if (Status s = impl_->PerformXml(req, "ListMultipartUploadsResult", doc); !s.ok()) {
    return s.error();
  }
  const pugi::xml_node result = doc.child("ListMultipartUploadsResult");
  UploadsPage page;
  for (pugi::xml_node node : result.children("Upload")) {
    page.uploads.push_back({node.child_value("Key"), node.child_value("UploadId"),
                            ParseIso8601(node.child_value("Initiated"))});
  }
  if (std::string_view(result.child_value("IsTruncated")) == "true") {
    page.next_key_marker = result.child_value("NextKeyMarker");
    page.next_upload_id_marker = result.child_value("NextUploadIdMarker");
  }
  return page;
}

}  // namespace fsvc::s3
