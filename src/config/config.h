// All of the service's configuration, in one place.
//
// Every setting is a flag (--data-dir=DIR or --data-dir DIR) and an
// environment variable (DATA_DIR); a flag wins over the environment, which
// wins over the default. Defaults that depend on the instance (threads,
// upload concurrency, cache budget) are derived from the cgroup's CPU and
// memory limits, so the same binary sizes itself on a t3.micro or a t3.medium.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "platform/cgroup.h"
#include "util/error.h"

namespace fsvc {

struct Config {
  // Network.
  std::string host = "0.0.0.0";
  int port = 8080;
  int listen_backlog = 4096;
  int threads = 0;  // derived
  int keep_alive_max_requests = 1000;
  int keep_alive_timeout_sec = 5;
  int read_timeout_sec = 30;
  int write_timeout_sec = 60;  // long: slow readers are still served
  // Connection handling (src/http/connection_server.h); 0 = derived.
  int header_timeout_sec = 10;  // whole request header, from its first byte
  int max_connections = 0;      // open at once; beyond: 503 + close
  int admission_queue = 0;      // requests waiting for a thread; beyond: 503
  int max_concurrent_uploads = 0;
  uint64_t max_upload_inflight_bytes = 0;  // declared by uploads in progress
  int shutdown_grace_sec = 10;
  // Request bodies (src/http/boundary.h): a body must keep up this rate,
  // averaged over each window, or the request is cut off with 408.
  uint64_t min_body_rate = 1024;  // bytes per second; 0 = off
  int body_rate_window_sec = 10;
  int max_bodies_per_client = 16;  // request bodies in progress per client; 0 = off

  // Storage: local (SQLite + DATA_DIR) or s3 (one bucket, shared by
  // replicas; docs/s3.md).
  bool s3_storage = false;
  std::string data_dir = "./data";
  std::string s3_endpoint;  // "http(s)://host:port"
  std::string s3_bucket;
  std::string s3_region = "us-east-1";
  std::string s3_access_key;  // or read from S3_ACCESS_KEY_FILE
  std::string s3_secret_key;  // or read from S3_SECRET_KEY_FILE
  std::string s3_access_key_file;
  std::string s3_secret_key_file;
  bool s3_path_style = true;
  uint64_t s3_part_bytes = uint64_t{8} << 20;
  // Uploads left this long by a replica that died are swept at start.
  int s3_stale_upload_sec = 24 * 3600;
  uint64_t max_upload_bytes = uint64_t{5} << 30;
  int max_batch_files = 100;
  int max_page_size = 1000;
  int default_page_size = 100;
  int max_header_bytes = 8192;  // the request line and header block, together
  // Multipart form fields (not files): how many, and their bytes together.
  int max_form_fields = 64;
  uint64_t max_form_field_bytes = 64 << 10;
  // Free space kept on the data folder's disk: an upload that would leave
  // less is refused with 507, so deletes and metadata writes always fit.
  uint64_t disk_reserve_bytes = uint64_t{8} << 20;
  // DURABILITY=strict: a write is acknowledged once it would survive a power
  // cut (fsync'd, in groups); none: no fsync at all, for labs that measure
  // what durability costs (a process crash still loses nothing acknowledged).
  bool durable = true;

  // Signed links and their cache (0 = derived from the memory limit).
  int link_ttl_sec = 3600;
  std::string link_secret;  // empty: generated once into the data folder
  uint64_t url_cache_max_bytes = 0;
  int url_cache_max_entries = 0;

  // Rate limiter: per client, reads and writes in separate buckets.
  int rate_read_per_sec = 10;
  int rate_read_burst = 30;
  int rate_write_per_sec = 5;
  int rate_write_burst = 15;
  int rate_limit_max_clients = 16384;
  int trusted_proxy_hops = 0;   // > 0: clients keyed by X-Forwarded-For
  std::string trusted_proxies;  // peer addresses whose X-Request-Id is kept

  // Access control (src/auth): on unless AUTH=off is set explicitly.
  bool auth = true;
  std::string api_keys_file;  // lines "role:KEY" or "role sha256:HEX"
  std::string api_keys;       // the same entries, comma-separated

  // Features.
  bool enable_profiling = false;
  bool disable_rate_limiter = false;
  bool server_timing = false;
  // TLS (src/http/tls.h): on when both are set, PEM files.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string access_log = "off";  // off, stdout or a file (src/http/access_log.h)
  // CORS (src/http/cors.h): off while no origin is allowed.
  std::string cors_allowed_origins;
  std::string cors_allowed_methods = "GET, HEAD, PUT, POST, DELETE";
  std::string cors_allowed_headers =
      "Authorization, Content-Type, If-Match, If-None-Match, If-Modified-Since, "
      "If-Unmodified-Since, Range, If-Range, Content-Digest, Repr-Digest, Content-MD5, "
      "x-amz-checksum-sha256, X-Request-Id";
  bool cors_allow_credentials = false;
  int cors_max_age = 600;
  // jemalloc's dirty-page decay (0 = derived from the memory limit).
  int alloc_decay_ms = 0;

  // Profiling (/debug/pprof): cap on ?seconds=, and the mean bytes between heap samples.
  int pprof_max_seconds = 120;
  uint64_t heap_sample_bytes = uint64_t{512} << 10;
  // One contended fsvc::Mutex wait in this many (per thread) is timed for
  // /debug/pprof/mutex; 0: none.
  int mutex_profile_rate = 10;
  std::string log_level = "info";

  // What the defaults were derived from; reported by /health.
  MachineLimits limits;
};

// Parses argv and the environment. Returns kInvalidArgument with a message
// naming the bad setting. `--help` is reported through `help_requested`.
struct ParsedConfig {
  Config config;
  bool help_requested = false;
};
Result<ParsedConfig> ParseConfig(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& env,
                                 const MachineLimits& limits);

// The --help text: every flag, its variable, and its current/derived default.
std::string ConfigHelp(const Config& defaults);

// Secrets (API keys, the link secret) are never shown: --help prints "(set)",
// and anything that shows a command line passes it through RedactArgs first.
// `flag` is a flag name, with or without its leading "--".
bool IsSecretFlag(std::string_view flag);
inline constexpr std::string_view kRedacted = "(redacted)";
// `args` with the value of every secret flag replaced by kRedacted, in both
// the --flag=value and the --flag value forms.
std::vector<std::string> RedactArgs(std::vector<std::string> args);

// The largest value a size setting may take (4 EiB): sizes are added to
// (an upload's limit plus its multipart framing), and must not wrap around.
inline constexpr uint64_t kMaxSizeSetting = uint64_t{1} << 62;

// The environment of this process as a map, for ParseConfig.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace fsvc
