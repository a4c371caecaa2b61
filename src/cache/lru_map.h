// A recency-ordered hash map: one shard of the URL cache and of the rate
// limiter's client table.
//
// Contract: not thread-safe (each shard guards one with its own mutex). The
// caller hashes the key once, picks its shard from that hash and passes the
// hash in, so no operation hashes a key again. Find, Touch, Insert and Erase are
// O(1); the least recently used entry is Oldest(). An iterator stays valid until
// its own entry is erased. Never rehashes after Reserve(n) while size() <= n, so
// no operation stalls its shard for a full pass.
// ShardCounter: a statistic written under its shard's mutex, read without it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace fsvc {
namespace lru_detail {
// Small allocations come from 16-byte size classes (jemalloc and glibc alike).
constexpr std::size_t RoundToAllocation(std::size_t n) {
  return (n + 15) / 16 * 16;
}
}  // namespace lru_detail

// One writer at a time (the holder of the shard's mutex), so a relaxed load +
// store is exact and costs no locked instruction; readers need no lock.
class ShardCounter {
 public:
  void Add(std::uint64_t n) { Set(Read() + n); }
  void Sub(std::uint64_t n) { Set(Read() - n); }
  void Set(std::uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::uint64_t Read() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

template <class V>
class LruMap {
  // The index's key views the entry's own string; a list node never moves, so
  // the view stays valid for the entry's lifetime.
  struct Key {
    std::string_view text;
    std::size_t hash;
  };

 public:
  struct Entry {
    std::string key;
    std::size_t hash;
    V value;
  };
  using Iter = typename std::list<Entry>::iterator;

  void Reserve(std::size_t entries) { index_.reserve(entries); }
  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  Iter begin() { return order_.begin(); }  // most recent
  Iter end() { return order_.end(); }

  Iter Find(std::string_view key, std::size_t hash) {
    auto it = index_.find(Key{key, hash});
    return it == index_.end() ? order_.end() : it->second;
  }
  void Touch(Iter it) {
    if (it != order_.begin()) order_.splice(order_.begin(), order_, it);
  }
  // Precondition: `key` is absent. The new entry is the most recent.
  Iter Insert(std::string_view key, std::size_t hash, V value) {
    order_.push_front(Entry{std::string(key), hash, std::move(value)});
    const Iter it = order_.begin();
    index_.emplace(Key{it->key, hash}, it);
    return it;
  }
  // Precondition: !empty().
  Iter Oldest() { return std::prev(order_.end()); }
  void Erase(Iter it) {
    index_.erase(Key{it->key, it->hash});
    order_.erase(it);
  }

  // Heap bytes an entry occupies besides the heap storage of its key and
  // value: the list node, the index node and its share of the bucket array.
  static constexpr std::size_t kNodeBytes =
      lru_detail::RoundToAllocation(sizeof(Entry) + 2 * sizeof(void*)) +
      lru_detail::RoundToAllocation(sizeof(void*) + sizeof(std::pair<const Key, Iter>)) +
      sizeof(void*);

  // Heap bytes behind a string of this capacity (0 while it fits inline).
  static constexpr std::size_t HeapBytes(std::size_t capacity) {
    return capacity > kInlineCapacity ? lru_detail::RoundToAllocation(capacity + 1) : 0;
  }

 private:
  static constexpr std::size_t kInlineCapacity = std::string().capacity();

  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept { return k.hash; }
  };
  struct KeyEq {
    bool operator()(const Key& a, const Key& b) const noexcept {
      return a.hash == b.hash && a.text == b.text;
    }
  };

  std::list<Entry> order_;  // front = most recently used
  std::unordered_map<Key, Iter, KeyHash, KeyEq> index_;
};

}  // namespace fsvc
