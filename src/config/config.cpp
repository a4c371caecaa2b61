#include "config/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include "observability/allocator_tuning.h"

extern char** environ;

namespace fsvc {
namespace {

// One setting: its flag, its variable, and how to read and print it.
struct Option {
  std::string_view flag;  // without leading "--"
  std::string_view env;
  std::string_view help;
  std::function<Status(Config&, std::string_view)> set;
  std::function<std::string(const Config&)> show;
  bool secret = false;  // its value is never shown: not by --help, logs or /debug/pprof/cmdline
};

Status Invalid(std::string_view flag, std::string_view value, std::string_view why) {
  // An error message ends up on stderr and in logs, so a secret's value stays out of it.
  const std::string shown = IsSecretFlag(flag) ? std::string(kRedacted) : std::string(value);
  return Error{Errc::kInvalidArgument,
               "--" + std::string(flag) + "=" + shown + ": " + std::string(why)};
}

template <class T>
Option Int(std::string_view flag, std::string_view env, std::string_view help, T Config::*field,
           T min, T max) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) -> Status {
            T parsed{};
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
            if (ec != std::errc() || end != v.data() + v.size()) {
              return Invalid(flag, v, "not a whole number");
            }
            if (parsed < min || parsed > max) {
              return Invalid(flag, v,
                             "out of range " + std::to_string(min) + ".." + std::to_string(max));
            }
            c.*field = parsed;
            return OkStatus();
          },
          [=](const Config& c) { return std::to_string(c.*field); }};
}

// Sizes accept a K/M/G suffix (powers of 1024): MAX_UPLOAD_BYTES=512M. They
// are capped at kMaxSizeSetting so sums such as max_upload_bytes + 1 MiB of
// multipart framing cannot wrap around.
Option Size(std::string_view flag, std::string_view env, std::string_view help,
            uint64_t Config::*field) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) -> Status {
            uint64_t n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end == v.data()) return Invalid(flag, v, "not a size");
            std::string_view unit(end, v.data() + v.size() - end);
            int shift = 0;
            if (unit == "K" || unit == "k")
              shift = 10;
            else if (unit == "M" || unit == "m")
              shift = 20;
            else if (unit == "G" || unit == "g")
              shift = 30;
            else if (!unit.empty())
              return Invalid(flag, v, "unknown unit (use K, M or G)");
            if (n > (kMaxSizeSetting >> shift)) {
              return Invalid(flag, v,
                             "too large (at most " + std::to_string(kMaxSizeSetting) + " bytes)");
            }
            c.*field = n << shift;
            return OkStatus();
          },
          [=](const Config& c) { return std::to_string(c.*field); }};
}

Option Bool(std::string_view flag, std::string_view env, std::string_view help,
            bool Config::*field) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) -> Status {
            if (v == "true" || v == "1" || v == "yes" || v == "on")
              c.*field = true;
            else if (v == "false" || v == "0" || v == "no" || v == "off")
              c.*field = false;
            else
              return Invalid(flag, v, "expected true or false");
            return OkStatus();
          },
          [=](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

Option Text(std::string_view flag, std::string_view env, std::string_view help,
            std::string Config::*field) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) -> Status {
            if (v.empty()) return Invalid(flag, v, "must not be empty");
            c.*field = std::string(v);
            return OkStatus();
          },
          [=](const Config& c) { return c.*field; }};
}

// A bool spelled as one of two words (DURABILITY=strict|none).
Option Choice(std::string_view flag, std::string_view env, std::string_view help,
              bool Config::*field, std::string_view yes, std::string_view no) {
  return {flag, env, help,
          [=](Config& c, std::string_view v) -> Status {
            if (v != yes && v != no) {
              return Invalid(flag, v, "expected " + std::string(yes) + " or " + std::string(no));
            }
            c.*field = v == yes;
            return OkStatus();
          },
          [=](const Config& c) { return std::string(c.*field ? yes : no); }};
}

// Text whose value is never printed (API keys, the link secret): --help says
// only whether it is set.
Option Secret(std::string_view flag, std::string_view env, std::string_view help,
              std::string Config::*field) {
  Option o = Text(flag, env, help, field);
  o.show = [=](const Config& c) { return std::string((c.*field).empty() ? "" : "(set)"); };
  o.secret = true;
  return o;
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      Text("host", "HOST", "address to listen on", &Config::host),
      Int("port", "PORT", "TCP port (0 picks a free one)", &Config::port, 0, 65535),
      Choice("storage", "STORAGE", "where files live: local (DATA_DIR) or s3 (S3_BUCKET)",
             &Config::s3_storage, "s3", "local"),
      Text("data-dir", "DATA_DIR", "folder for blobs and the SQLite metadata", &Config::data_dir),
      Text("s3-endpoint", "S3_ENDPOINT", "S3 endpoint, http(s)://host:port (STORAGE=s3)",
           &Config::s3_endpoint),
      Text("s3-bucket", "S3_BUCKET", "S3 bucket holding the files (STORAGE=s3)",
           &Config::s3_bucket),
      Text("s3-region", "S3_REGION", "S3 region the requests are signed for", &Config::s3_region),
      Secret("s3-access-key", "S3_ACCESS_KEY", "S3 access key id", &Config::s3_access_key),
      Secret("s3-secret-key", "S3_SECRET_KEY", "S3 secret access key", &Config::s3_secret_key),
      Text("s3-access-key-file", "S3_ACCESS_KEY_FILE", "file holding the S3 access key id",
           &Config::s3_access_key_file),
      Text("s3-secret-key-file", "S3_SECRET_KEY_FILE", "file holding the S3 secret access key",
           &Config::s3_secret_key_file),
      Bool("s3-path-style", "S3_PATH_STYLE",
           "address the bucket as endpoint/bucket (false: bucket.endpoint, needs DNS)",
           &Config::s3_path_style),
      Size("s3-part-bytes", "S3_PART_BYTES",
           "upload part size, 5M..5G: memory per upload on the s3 backend", &Config::s3_part_bytes),
      Int("s3-stale-upload-sec", "S3_STALE_UPLOAD_SEC",
          "age at which a dead replica's unfinished upload is removed at start",
          &Config::s3_stale_upload_sec, 1, 30 * 24 * 3600),
      Int("threads", "THREADS", "worker threads (default: from CPU quota and memory)",
          &Config::threads, 1, 65536),
      Int("listen-backlog", "LISTEN_BACKLOG", "listen(2) backlog", &Config::listen_backlog, 16,
          1 << 20),
      Int("keep-alive-max-requests", "KEEP_ALIVE_MAX_REQUESTS", "requests per connection",
          &Config::keep_alive_max_requests, 1, 1 << 30),
      Int("keep-alive-timeout", "KEEP_ALIVE_TIMEOUT", "seconds an idle connection is kept",
          &Config::keep_alive_timeout_sec, 1, 3600),
      Int("read-timeout", "READ_TIMEOUT", "seconds a read may stall", &Config::read_timeout_sec, 1,
          3600),
      Int("write-timeout", "WRITE_TIMEOUT", "seconds a write to a stalled reader may block",
          &Config::write_timeout_sec, 1, 3600),
      Int("header-timeout", "HEADER_TIMEOUT", "seconds a request header may take to arrive",
          &Config::header_timeout_sec, 1, 3600),
      Int("max-connections", "MAX_CONNECTIONS", "open connections (default: from memory, fd limit)",
          &Config::max_connections, 1, 1 << 22),
      Int("admission-queue", "ADMISSION_QUEUE", "requests waiting for a thread before 503s",
          &Config::admission_queue, 1, 1 << 22),
      Int("max-concurrent-uploads", "MAX_CONCURRENT_UPLOADS",
          "uploads at once (default: from memory)", &Config::max_concurrent_uploads, 1, 1 << 20),
      Size("max-upload-inflight-bytes", "MAX_UPLOAD_INFLIGHT_BYTES",
           "bytes declared by uploads in progress (default: from memory)",
           &Config::max_upload_inflight_bytes),
      Int("shutdown-grace", "SHUTDOWN_GRACE", "seconds in-flight requests get on SIGTERM",
          &Config::shutdown_grace_sec, 0, 3600),
      Size("min-body-rate", "MIN_BODY_RATE",
           "bytes per second a request body must average over each window (0: off)",
           &Config::min_body_rate),
      Int("body-rate-window", "BODY_RATE_WINDOW", "seconds over which MIN_BODY_RATE is averaged",
          &Config::body_rate_window_sec, 1, 3600),
      Int("max-bodies-per-client", "MAX_BODIES_PER_CLIENT",
          "request bodies one client may send at once (0: no limit)",
          &Config::max_bodies_per_client, 0, 1 << 20),
      Int("max-form-fields", "MAX_FORM_FIELDS", "non-file fields in one multipart form",
          &Config::max_form_fields, 0, 1 << 20),
      Size("max-form-field-bytes", "MAX_FORM_FIELD_BYTES",
           "bytes of all non-file fields of one multipart form together",
           &Config::max_form_field_bytes),
      Size("disk-reserve-bytes", "DISK_RESERVE_BYTES",
           "free disk space uploads must leave for deletes and metadata (507 beyond)",
           &Config::disk_reserve_bytes),
      Choice("durability", "DURABILITY",
             "strict: writes are acknowledged once fsync'd (in groups); none: never fsync",
             &Config::durable, "strict", "none"),
      Size("max-upload-bytes", "MAX_UPLOAD_BYTES", "largest accepted upload (K/M/G suffix)",
           &Config::max_upload_bytes),
      Int("max-batch-files", "MAX_BATCH_FILES", "files per batch request", &Config::max_batch_files,
          1, 100000),
      Int("max-page-size", "MAX_PAGE_SIZE", "cap on /list pageSize", &Config::max_page_size, 1,
          100000),
      Int("max-header-bytes", "MAX_HEADER_BYTES", "largest request line + header block",
          &Config::max_header_bytes, 1024, 16384),
      Int("link-ttl", "LINK_TTL", "seconds a signed download link stays valid",
          &Config::link_ttl_sec, 1, 7 * 24 * 3600),
      Secret("link-secret", "LINK_SECRET",
             "HMAC secret for links (default: generated, kept in data dir)", &Config::link_secret),
      Size("url-cache-max-bytes", "URL_CACHE_MAX_BYTES",
           "link cache byte budget (default: from memory)", &Config::url_cache_max_bytes),
      Int("url-cache-max-entries", "URL_CACHE_MAX_ENTRIES",
          "link cache entries (default: from memory)", &Config::url_cache_max_entries, 0, 1 << 26),
      Int("rate-read-per-sec", "RATE_READ_PER_SEC", "read requests per second per client",
          &Config::rate_read_per_sec, 1, 1 << 20),
      Int("rate-read-burst", "RATE_READ_BURST", "read burst per client", &Config::rate_read_burst,
          1, 1 << 20),
      Int("rate-write-per-sec", "RATE_WRITE_PER_SEC", "write requests per second per client",
          &Config::rate_write_per_sec, 1, 1 << 20),
      Int("rate-write-burst", "RATE_WRITE_BURST", "write burst per client",
          &Config::rate_write_burst, 1, 1 << 20),
      Int("rate-limit-max-clients", "RATE_LIMIT_MAX_CLIENTS", "clients the limiter tracks",
          &Config::rate_limit_max_clients, 16, 1 << 24),
      Int("trusted-proxy-hops", "TRUSTED_PROXY_HOPS",
          "proxies in front whose X-Forwarded-For is trusted (0: use the peer address)",
          &Config::trusted_proxy_hops, 0, 16),
      Text("trusted-proxies", "TRUSTED_PROXIES",
           "comma-separated peer addresses whose X-Request-Id is kept (else one is made)",
           &Config::trusted_proxies),
      Bool("enable-profiling", "ENABLE_PROFILING", "serve /debug/pprof/*",
           &Config::enable_profiling),
      Int("alloc-decay-ms", "ALLOC_DECAY_MS",
          "ms jemalloc keeps freed pages before returning them (default: from memory)",
          &Config::alloc_decay_ms, 0, 3600 * 1000),
      Int("pprof-max-seconds", "PPROF_MAX_SECONDS", "longest CPU profile (seconds) pprof may ask",
          &Config::pprof_max_seconds, 1, 3600),
      Size("heap-sample-bytes", "HEAP_SAMPLE_BYTES",
           "mean bytes between heap samples (rounded down to a power of two)",
           &Config::heap_sample_bytes),
      Int("mutex-profile-rate", "MUTEX_PROFILE_RATE",
          "time 1 in N contended lock waits for /debug/pprof/mutex (0: none)",
          &Config::mutex_profile_rate, 0, 1 << 20),
      Bool("disable-rate-limiter", "DISABLE_RATE_LIMITER", "switch the rate limiter off",
           &Config::disable_rate_limiter),
      Bool("server-timing", "SERVER_TIMING", "add a Server-Timing header to responses",
           &Config::server_timing),
      Text("tls-cert-file", "TLS_CERT_FILE",
           "PEM certificate chain: serve HTTPS only (with TLS_KEY_FILE)", &Config::tls_cert_file),
      Text("tls-key-file", "TLS_KEY_FILE", "PEM private key of TLS_CERT_FILE",
           &Config::tls_key_file),
      Text("access-log", "ACCESS_LOG", "one JSON line per request: off, stdout or a file path",
           &Config::access_log),
      Text("cors-allowed-origins", "CORS_ALLOWED_ORIGINS",
           "origins browsers may call from, comma-separated, or * (empty: CORS off)",
           &Config::cors_allowed_origins),
      Text("cors-allowed-methods", "CORS_ALLOWED_METHODS", "methods a page may use",
           &Config::cors_allowed_methods),
      Text("cors-allowed-headers", "CORS_ALLOWED_HEADERS", "request headers a page may send",
           &Config::cors_allowed_headers),
      Bool("cors-allow-credentials", "CORS_ALLOW_CREDENTIALS",
           "let pages send credentials (never with origin *)", &Config::cors_allow_credentials),
      Int("cors-max-age", "CORS_MAX_AGE", "seconds a browser may cache a preflight",
          &Config::cors_max_age, 0, 86400),
      Bool("auth", "AUTH", "require API keys (AUTH=off serves every route to anyone)",
           &Config::auth),
      Text("api-keys-file", "API_KEYS_FILE",
           "file of API keys, lines 'role:KEY' or 'role sha256:HEX'", &Config::api_keys_file),
      Secret("api-keys", "API_KEYS", "API keys as comma-separated 'role:KEY' entries",
             &Config::api_keys),
      Text("log-level", "LOG_LEVEL", "error, warn, info or debug", &Config::log_level),
  };
  return options;
}

// Thread bound: one thread per CPU computes; the rest exist only for
// requests that block (disk, a client reading or sending slowly), which is
// what bounds how many such requests run at once. Idle threads cost ~40 KiB
// of RSS and exit after 30 s; 4 MiB of memory per thread covers what a
// blocked download or upload holds.
int DeriveThreads(const MachineLimits& l) {
  const double cpus = std::max(1.0, l.EffectiveCpus());
  const uint64_t by_memory = l.EffectiveMemory() / (4u << 20);  // 4 MiB per connection
  const uint64_t by_cpu = static_cast<uint64_t>(cpus * 64);
  return static_cast<int>(std::clamp<uint64_t>(std::min(by_memory, by_cpu), 16, 1024));
}

// Connection limits: an open connection costs ~64 KiB at worst (kernel
// socket buffers charged to the cgroup, read-ahead, bookkeeping); requests
// waiting for a thread cost a queue entry each but add latency, so half the
// connections may wait. An upload holds a thread, a write buffer (64 KiB, or
// up to 256 KiB while a small one is held whole for its segment) and
// socket buffers: 4 MiB of memory per upload slot is generous (256 on a
// t3.micro, so 100 concurrent small uploads are admitted rather than 503'd);
// large uploads are bounded by their declared bytes, half of memory.
void DeriveConnectionLimits(Config& c) {
  const uint64_t memory = c.limits.EffectiveMemory();
  if (c.max_connections == 0) {
    c.max_connections = static_cast<int>(std::clamp<uint64_t>(memory >> 16, 256, 1 << 20));
  }
  if (c.admission_queue == 0) c.admission_queue = std::max(64, c.max_connections / 2);
  if (c.max_concurrent_uploads == 0) {
    uint64_t uploads = std::clamp<uint64_t>(memory >> 22, 4, 1024);
    // On s3 every upload holds a part buffer in memory: together at most
    // half of it.
    if (c.s3_storage) uploads = std::clamp<uint64_t>(memory / 2 / c.s3_part_bytes, 1, uploads);
    c.max_concurrent_uploads = static_cast<int>(uploads);
  }
  if (c.max_upload_inflight_bytes == 0) c.max_upload_inflight_bytes = memory / 2;
}

}  // namespace

bool IsSecretFlag(std::string_view flag) {
  if (flag.substr(0, 2) == "--") flag.remove_prefix(2);
  return std::any_of(Options().begin(), Options().end(),
                     [&](const Option& o) { return o.secret && o.flag == flag; });
}

std::vector<std::string> RedactArgs(std::vector<std::string> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg.substr(0, 2) != "--") continue;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      if (IsSecretFlag(std::string_view(arg).substr(0, eq))) {
        arg = arg.substr(0, eq + 1) + std::string(kRedacted);
      }
    } else if (IsSecretFlag(arg) && i + 1 < args.size()) {
      // "--flag value": ParseConfig takes the next word as the value, whatever it is.
      args[++i] = std::string(kRedacted);
    }
  }
  return args;
}

// A key given as a file wins over none, and loses to nothing: giving both
// is a mistake worth refusing. Trailing newlines (editors add one) go.
Status ReadKeyFile(std::string_view flag, const std::string& file, std::string& key) {
  if (file.empty()) return OkStatus();
  if (!key.empty()) return Invalid(flag, file, "the key is also given directly");
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return Invalid(flag, file, "cannot be read");
  key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.empty()) return Invalid(flag, file, "is empty");
  return OkStatus();
}

// STORAGE=s3 needs a bucket, an endpoint and both keys, and a LINK_SECRET:
// replicas must sign links alike, and none has a data folder to keep one in.
Status CheckS3(Config& c) {
  if (auto st = ReadKeyFile("s3-access-key-file", c.s3_access_key_file, c.s3_access_key); !st) {
    return st;
  }
  if (auto st = ReadKeyFile("s3-secret-key-file", c.s3_secret_key_file, c.s3_secret_key); !st) {
    return st;
  }
  if (!c.s3_storage) return OkStatus();
  for (const auto& [value, name] :
       {std::pair{&c.s3_endpoint, "S3_ENDPOINT"}, std::pair{&c.s3_bucket, "S3_BUCKET"},
        std::pair{&c.s3_access_key, "S3_ACCESS_KEY"}, std::pair{&c.s3_secret_key, "S3_SECRET_KEY"},
        std::pair{&c.link_secret, "LINK_SECRET"}}) {
    if (value->empty()) {
      return Error{Errc::kInvalidArgument, std::string("STORAGE=s3 needs ") + name};
    }
  }
  if (c.s3_part_bytes < (uint64_t{5} << 20) || c.s3_part_bytes > (uint64_t{5} << 30)) {
    return Invalid("s3-part-bytes", std::to_string(c.s3_part_bytes), "must be 5M..5G");
  }
  return OkStatus();
}

Result<ParsedConfig> ParseConfig(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env,
                                 const MachineLimits& limits) {
  ParsedConfig parsed;
  Config& c = parsed.config;
  c.limits = limits;
  c.threads = DeriveThreads(limits);

  for (const Option& o : Options()) {
    auto it = env.find(std::string(o.env));
    if (it == env.end() || it->second.empty()) continue;
    if (auto s = o.set(c, it->second); !s) {
      return Error{Errc::kInvalidArgument, std::string(o.env) + ": " + s.error().message};
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help_requested = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") {
      return Error{Errc::kInvalidArgument, "unexpected argument '" + std::string(arg) + "'"};
    }
    arg.remove_prefix(2);
    std::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    auto it = std::find_if(Options().begin(), Options().end(),
                           [&](const Option& o) { return o.flag == name; });
    if (it == Options().end()) {
      return Error{Errc::kInvalidArgument, "unknown flag --" + std::string(name) + " (see --help)"};
    }
    if (!has_value) {
      // A bare boolean flag means true; any other flag takes the next word.
      if (it->show(c) == "true" || it->show(c) == "false") {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Error{Errc::kInvalidArgument, "--" + std::string(name) + " needs a value"};
      }
    }
    if (auto s = it->set(c, value); !s) return s.error();
  }
  if (auto st = CheckS3(c); !st) return st.error();
  if (c.default_page_size > c.max_page_size) c.default_page_size = c.max_page_size;
  DeriveConnectionLimits(c);
  // The link cache gets ~1.5 % of memory (16 MiB on a 1 GiB t3.micro); an
  // entry (path, token URL, node) costs about 256 bytes.
  if (c.url_cache_max_bytes == 0) {
    c.url_cache_max_bytes =
        std::clamp<uint64_t>(limits.EffectiveMemory() / 64, 1u << 20, 256u << 20);
  }
  if (c.alloc_decay_ms == 0) {
    c.alloc_decay_ms = static_cast<int>(DeriveDirtyDecayMs(limits.EffectiveMemory()));
  }
  if (c.url_cache_max_entries == 0) {
    c.url_cache_max_entries = static_cast<int>(c.url_cache_max_bytes / 256);
  }
  return parsed;
}

std::string ConfigHelp(const Config& defaults) {
  std::ostringstream out;
  out << "file-service " << FSVC_VERSION
      << " - file upload/download service\n\n"
         "Usage: file-service [--flag=value ...]\n"
         "Every flag can also be set by the environment variable shown; flags win.\n\n";
  for (const Option& o : Options()) {
    std::string left = "  --" + std::string(o.flag) + " (" + std::string(o.env) + ")";
    left.resize(std::max<size_t>(left.size() + 1, 46), ' ');
    out << left << o.help << " [" << o.show(defaults) << "]\n";
  }
  const MachineLimits& l = defaults.limits;
  out << "\nDerived from this machine: cgroup " << l.cgroup_version << ", " << l.EffectiveCpus()
      << " CPUs, " << (l.EffectiveMemory() >> 20) << " MiB memory\n";
  return out.str();
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (auto eq = kv.find('='); eq != std::string_view::npos) {
      env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  return env;
}

}  // namespace fsvc
