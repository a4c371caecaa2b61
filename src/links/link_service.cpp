#include "links/link_service.h"

#include <ctime>

namespace fsvc {
namespace {

// What a link's URL is: this prefix, then the token.
constexpr std::string_view kLinkPrefix = "/d/";

int64_t UnixNow() {
  return static_cast<int64_t>(std::time(nullptr));
}

// A cached link is handed out only while it has this much life left, so a
// client never receives a link about to expire.
std::chrono::seconds CacheLifetime(std::chrono::seconds ttl) {
  const auto margin = std::min<std::chrono::seconds>(ttl / 10, std::chrono::seconds(60));
  return ttl - margin;
}

}  // namespace

LinkService::LinkService(Storage& store, LinkSigner signer, const UrlCacheConfig& cache,
                         std::chrono::seconds ttl)
    : store_(store), signer_(std::move(signer)), cache_(cache), ttl_(ttl) {
  sweeper_ = std::thread([this] {
    std::unique_lock lock(sweep_mu_);
    while (!sweep_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      cache_.SweepSome(64);  // bounded work per shard per second
      lock.lock();
    }
  });
}

LinkService::~LinkService() {
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  sweeper_.join();
}

std::string LinkService::CacheKey(std::string_view path) const {
  std::string key = std::to_string(generation_.load(std::memory_order_acquire));
  key.push_back(':');
  key.append(path);
  return key;
}

Result<IssuedLink> LinkService::LinkFor(const std::string& path) {
  const std::string key = CacheKey(path);
  CachedLink hit;
  const bool cached = cache_.Get(key, hit);
  if (cached && !store_.shared()) return IssuedLink{std::move(hit.url), hit.expires_at};

  auto info = store_.Stat(path);
  if (!info) {
    if (cached) cache_.Erase(key);
    return info.error();
  }
  // Another replica may have replaced or deleted the file: the cached link
  // stands only while it names the content there now.
  if (cached) {
    auto claims = signer_.Verify(std::string_view(hit.url).substr(kLinkPrefix.size()), UnixNow());
    if (claims && claims->sha256 == info->sha256) {
      return IssuedLink{std::move(hit.url), hit.expires_at};
    }
  }
  const int64_t expires_at = UnixNow() + ttl_.count();
  auto token = signer_.Sign(info->path, info->sha256, expires_at);
  if (!token) return token.error();
  IssuedLink link{std::string(kLinkPrefix) + *token, expires_at};
  cache_.Put(key, link.url, expires_at, CacheLifetime(ttl_));
  return link;
}

Result<OpenFile> LinkService::Resolve(std::string_view token) {
  auto claims = signer_.Verify(token, UnixNow());
  if (!claims) return claims.error();
  auto file = store_.OpenPath(claims->path);
  if (!file) return file.error();
  // The opened blob is the content the row describes, so comparing the row's
  // hash is comparing the bytes that would be served.
  if (file->info.sha256 != claims->sha256) {
    return Error{Errc::kNotFound, "the file has changed since this link was issued"};
  }
  return file;
}

void LinkService::Invalidate(std::string_view path) {
  if (!path.empty() && path.back() == '/') {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  cache_.Erase(CacheKey(path));
}

}  // namespace fsvc
