// An S3 client for one bucket: the object, listing and multipart calls the
// s3 storage backend needs, over libcurl with our SigV4 signer (sigv4.h).
//
// Contract for every call:
// - Thread-safe: one Client serves any number of threads at once; each call
//   borrows its own connection (kept alive in a small pool between calls).
// - Never hangs: each call is bounded by Config's timeouts (below), so a store
//   that is down or stalls gives kUnavailable within them.
// - No retries: a failed call is reported as is; the caller decides.
// - Keys are raw UTF-8 (any byte but NUL; '+', ' ', '%', '/' are sent
//   encoded as S3 wants them). Listings are XML, so keys with control
//   characters other than tab, LF and CR cannot be listed.
// - Errors map the store's answer to Errc:
//     404 (NoSuchKey, NoSuchBucket, NoSuchUpload)   kNotFound
//     412                                           kPreconditionFailed
//     403                                           kForbidden
//     416                                           kRangeNotSatisfiable
//     5xx, no connection, timeout, broken transfer  kUnavailable
//     any other answer                              kInternal
//   and the message names the call, the key, the HTTP status and the S3 error
//   Code and Message (or the transport failure: "cannot connect", "timed
//   out after ... ms").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace fsvc::s3 {

struct Config {
  std::string endpoint;  // "http://host:port" (or https://), no path
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  // Path style ("endpoint/bucket/key") works on every S3-compatible store;
  // virtual-host style ("bucket.host/key") needs DNS for each bucket.
  bool path_style = true;
  int connect_timeout_ms = 2000;
  // Total bound on every call that moves no object body (HEAD, DELETE,
  // listings, multipart control, buckets).
  int request_timeout_ms = 30000;
  // Total bound on GetObject, PutObject and UploadPart; 0: none, the stall
  // bound alone guards them (a large object may take long, yet it moves).
  int transfer_timeout_ms = 0;
  // Any call during which no byte moves either way for this long fails
  // (checked about once a second): this also catches a store that accepts
  // connections and never answers. libcurl's own low-speed check averages
  // over 5 s, so a sent body hid a silent store from it for that long.
  int stall_timeout_ms = 10000;
  // Idle connections kept for reuse; more concurrent calls open more.
  int max_idle_connections = 8;
};

// "x-amz-meta-<name>" headers: names lower-case (S3 folds them), values
// printable ASCII (they travel in HTTP headers).
using Metadata = std::map<std::string, std::string>;

struct ObjectInfo {
  uint64_t size = 0;    // the whole object's size
  uint64_t first = 0;   // GetObject: offset of the first byte sent
  uint64_t length = 0;  // GetObject/HeadObject: bytes in this answer's body
  std::string etag;     // without the quotes; "<hex>-<parts>" for multipart
  std::string content_type;
  Metadata metadata;
  int64_t last_modified_ms = 0;  // unix ms (whole seconds: HTTP dates)
};

struct PutOptions {
  std::string content_type;  // empty: none sent (the store picks its default)
  Metadata metadata;
  // If-None-Match: * — kPreconditionFailed when the key already exists.
  bool if_none_match = false;
};

// Bytes `first`..`last` inclusive; no `last`: to the end.
struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

// Where GetObject puts what it reads. `on_head` (optional) is called once,
// before any body byte, with the answer's headers (the ObjectInfo GetObject
// returns); `on_data` gets the body in chunks of libcurl's buffer size (at
// most 16 KiB). A non-OK Status from either stops the transfer and is what
// GetObject returns.
struct ObjectSink {
  std::function<Status(const ObjectInfo&)> on_head;
  std::function<Status(std::string_view)> on_data;
};

struct ListEntry {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without the quotes
  int64_t last_modified_ms = 0;
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;           // empty: no grouping
  std::string continuation_token;  // from the previous page's next_token
  int max_keys = 1000;             // S3 caps it at 1000
  std::string start_after;         // keys after this one (ignored with a token)
};

struct ListPage {
  std::vector<ListEntry> objects;
  std::vector<std::string> common_prefixes;  // with the delimiter at the end
  std::string next_token;                    // empty: this was the last page
};

struct DeleteResult {
  std::string key;
  Status status;  // a key that did not exist counts as deleted (S3 says so)
};

struct CompletedPart {
  int part_number = 0;  // 1..10000
  std::string etag;     // as UploadPart returned it
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
  int64_t initiated_ms = 0;  // unix ms
};

struct ListUploadsOptions {
  std::string prefix;
  // From the previous page's next_key_marker / next_upload_id_marker.
  std::string key_marker;
  std::string upload_id_marker;
  int max_uploads = 1000;  // S3 caps it at 1000
};

struct UploadsPage {
  std::vector<MultipartUpload> uploads;
  // Both empty: this was the last page; otherwise pass them back.
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

class Client {
 public:
  // kInvalidArgument when the endpoint is not "http(s)://authority" or the
  // bucket is empty. Contacts nothing.
  static Result<std::unique_ptr<Client>> Create(Config config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The configured bucket (tests make one per test). CreateBucket:
  // kInternal "BucketAlreadyOwnedByYou"/"BucketAlreadyExists" when it
  // exists; DeleteBucket: kInternal "BucketNotEmpty" unless it is empty.
  Status CreateBucket();
  Status DeleteBucket();

  // Stores `body` under `key` in one request (S3 allows up to 5 GiB; use
  // multipart above a few MiB). Returns the new object's ETag.
  Result<std::string> PutObject(std::string_view key, std::string_view body,
                                const PutOptions& options = {});

  // Streams the object (or `range` of it: 206, ObjectInfo::first/length say
  // which bytes) into `sink`; memory stays bounded by libcurl's buffer.
  // kRangeNotSatisfiable when `range` starts past the end.
  // With `if_match` (an ETag without quotes), kPreconditionFailed unless
  // the object is still that version.
  Result<ObjectInfo> GetObject(std::string_view key, const ObjectSink& sink,
                               const std::optional<ByteRange>& range = std::nullopt,
                               std::string_view if_match = {});

  Result<ObjectInfo> HeadObject(std::string_view key);

  // A server-side copy of `source_key` (up to 5 GiB) to `key`, with the
  // content type and metadata of `options` in place of the source's.
  // if_none_match is sent, but RGW 16.2 ignores it on a copy. Returns the
  // new object's ETag.
  Result<std::string> CopyObject(std::string_view source_key, std::string_view key,
                                 const PutOptions& options);
  // The same, keeping the source's content type and metadata (no HEAD needed
  // to carry them over).
  Result<std::string> CopyObject(std::string_view source_key, std::string_view key);

  // OK also when the key does not exist (S3 answers 204 either way).
  Status DeleteObject(std::string_view key);

  // Up to 1000 keys in one request (kInvalidArgument beyond); one result per
  // key, in the order given.
  Result<std::vector<DeleteResult>> DeleteObjects(const std::vector<std::string>& keys);

  Result<ListPage> ListObjectsV2(const ListOptions& options);

  // Returns the upload id. Content type and metadata are the final object's.
  Result<std::string> CreateMultipartUpload(std::string_view key, const PutOptions& options = {});
  // Returns the part's ETag. Parts but the last must be at least 5 MiB.
  Result<std::string> UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                                 std::string_view body);
  // `parts` in any order (sorted here, as S3 requires ascending numbers).
  // Returns the object's ETag; when the store's answer has none (RGW sends
  // an empty <ETag>), it is computed from the parts' ETags as S3 and RGW
  // compute it (MD5 of the parts' binary MD5s, "-<count>"), not read back
  // with a HEAD that a concurrent writer could race.
  Result<std::string> CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                                              std::vector<CompletedPart> parts);
  // kNotFound when the upload does not exist (any more).
  Status AbortMultipartUpload(std::string_view key, std::string_view upload_id);
  // The uploads begun and neither completed nor aborted, keys under the
  // prefix, in key order.
  Result<UploadsPage> ListMultipartUploads(const ListUploadsOptions& options);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  Result<std::string> Copy(std::string_view source_key, std::string_view key,
                           const PutOptions* replace);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsvc::s3
