// Signed download links for stored files, cached per path.
//
// LinkFor(path) returns a link valid for the configured TTL; the same link is
// handed out again from the bounded URL cache until shortly before it
// expires, so a hot path costs neither a metadata lookup nor an HMAC.
// Resolve(token) verifies a token and serves the file only while its path
// still holds the exact content the link was issued for (the token carries
// path and SHA-256): a deleted file, or one replaced by other bytes, is
// kNotFound, never a different file. A background thread sweeps expired
// cache entries a few at a time.
//
// Invalidation: a changed or deleted file's cache entry is erased. A store
// that other replicas change too (Storage::shared()) is asked on every hit
// whether the cached link still names the file's content. Deleting a
// folder advances a generation that is part of every cache key, which drops
// all older entries in O(1); they age out of the LRU on their own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "cache/url_cache.h"
#include "links/link_signer.h"
#include "storage/storage.h"

namespace fsvc {

struct IssuedLink {
  std::string url;         // "/d/<token>", relative to the service
  int64_t expires_at = 0;  // unix seconds
};

class LinkService {
 public:
  LinkService(Storage& store, LinkSigner signer, const UrlCacheConfig& cache,
              std::chrono::seconds ttl);
  ~LinkService();
  LinkService(const LinkService&) = delete;
  LinkService& operator=(const LinkService&) = delete;

  // kInvalidPath / kNotFound as the store says.
  Result<IssuedLink> LinkFor(const std::string& normalized_path);
  // kForbidden (forged, malformed), kGone (expired), kNotFound (deleted, or
  // the path now holds other content: that link is dead for good, and 404
  // keeps 410 meaning "expired" only).
  Result<OpenFile> Resolve(std::string_view token);
  // A file's content changed or it was deleted; "folder/" for a folder.
  void Invalidate(std::string_view path);

  UrlCacheStats CacheStats() const { return cache_.Stats(); }

 private:
  std::string CacheKey(std::string_view path) const;

  Storage& store_;
  const LinkSigner signer_;
  UrlCache cache_;
  const std::chrono::seconds ttl_;
  std::atomic<uint64_t> generation_{0};

  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace fsvc
