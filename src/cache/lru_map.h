// A recency-ordered hash map: one shard of the URL cache and of the rate
// limiter's client table.
//
// Contract: not thread-safe (each shard guards one with its own mutex). The
// caller hashes the key once, picks its shard from that hash and passes the
// hash in, so no operation hashes a key again. Find, Touch, Insert and Erase are
// O(1) (amortised only for the segment directory's growth); the least recently
// used entry is Oldest(). An iterator stays valid until its own entry is
// erased. The index grows and shrinks one bucket at a time with the entries,
// never in a pass over the table that would stall its shard, and an empty
// map holds no memory: nothing is allocated in proportion to a limit.
// ShardCounter: a statistic written under its shard's mutex, read without it.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
 public:
  struct Entry {
    std::string key;
    std::size_t hash;
    V value;
    // The next entry of the same index bucket: the map's own bookkeeping.
    typename std::list<Entry>::iterator next_in_bucket{};
  };
  using Iter = typename std::list<Entry>::iterator;

  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  Iter begin() { return order_.begin(); }  // most recent
  Iter end() { return order_.end(); }

  Iter Find(std::string_view key, std::size_t hash) {
    if (buckets_ == 0) return order_.end();
    for (Iter it = Bucket(hash); it != Iter{}; it = it->next_in_bucket) {
      if (it->hash == hash && it->key == key) return it;
    }
    return order_.end();
  }
  void Touch(Iter it) {
    if (it != order_.begin()) order_.splice(order_.begin(), order_, it);
  }
  // Precondition: `key` is absent. The new entry is the most recent.
  Iter Insert(std::string_view key, std::size_t hash, V value) {
    if (buckets_ == 0) Grow();
    order_.push_front(Entry{std::string(key), hash, std::move(value)});
    const Iter it = order_.begin();
    Iter& head = Bucket(hash);
    it->next_in_bucket = head;
    head = it;
    if (order_.size() > buckets_) Grow();
    return it;
  }
  // Precondition: !empty().
  Iter Oldest() { return std::prev(order_.end()); }
  void Erase(Iter it) {
    Iter* link = &Bucket(it->hash);
    while (*link != it) link = &(*link)->next_in_bucket;
    *link = it->next_in_bucket;
    order_.erase(it);
    if (buckets_ > kSegment && order_.size() < buckets_ / 4) Shrink();
    if (order_.empty()) Clear();
  }

  // Heap bytes an entry occupies besides the heap storage of its key and
  // value: its list node and its share of the index at half load.
  static constexpr std::size_t kNodeBytes =
      lru_detail::RoundToAllocation(sizeof(Entry) + 2 * sizeof(void*)) + 2 * sizeof(Iter);

  // Heap bytes behind a string of this capacity (0 while it fits inline).
  static std::size_t HeapBytes(std::size_t capacity) {
    // Not constexpr: clang cannot evaluate libstdc++'s string constructor.
    static const std::size_t inline_capacity = std::string().capacity();
    return capacity > inline_capacity ? lru_detail::RoundToAllocation(capacity + 1) : 0;
  }

 private:
  // Linear hashing (Litwin) over chained buckets: the index grows by one
  // bucket when the entries outnumber the buckets, splitting the one bucket
  // the split pointer names, and shrinks by one (merging it back) when they
  // fall below a quarter, so no operation ever rehashes the whole table and
  // an idle map holds nothing. Buckets live in fixed segments, so growth
  // never moves them; the segment directory is all that reallocates.
  static constexpr std::size_t kSegmentBits = 6;
  static constexpr std::size_t kSegment = std::size_t{1} << kSegmentBits;  // also the least size

  std::size_t RoundSize() const { return kSegment << level_; }
  Iter& Slot(std::size_t b) { return segments_[b >> kSegmentBits][b & (kSegment - 1)]; }
  Iter& Bucket(std::size_t hash) {
    std::size_t b = hash & (RoundSize() - 1);
    if (b < split_) b = hash & (2 * RoundSize() - 1);
    return Slot(b);
  }

  // Adds bucket split_ + RoundSize() and moves into it the entries of
  // bucket split_ that now hash there (all buckets are split_ + one round).
  void Grow() {
    if (buckets_ == 0) {
      segments_.push_back(std::make_unique<Iter[]>(kSegment));
      buckets_ = kSegment;
      return;
    }
    const std::size_t target = split_ + RoundSize();
    if ((target & (kSegment - 1)) == 0) segments_.push_back(std::make_unique<Iter[]>(kSegment));
    const std::size_t mask = 2 * RoundSize() - 1;
    Iter* from = &Slot(split_);
    Iter* to = &Slot(target);
    for (Iter it = *from; it != Iter{}; it = *from) {
      if ((it->hash & mask) == target) {
        *from = it->next_in_bucket;
        it->next_in_bucket = *to;
        *to = it;
      } else {
        from = &it->next_in_bucket;
      }
    }
    ++buckets_;
    if (++split_ == RoundSize()) {
      ++level_;
      split_ = 0;
    }
  }
  // The reverse of the last Grow(): the last bucket's chain joins the bucket
  // it was split from, and a segment left empty is freed.
  void Shrink() {
    if (split_ == 0) {
      --level_;
      split_ = RoundSize();
    }
    --split_;
    const std::size_t last = split_ + RoundSize();
    Iter& into = Slot(split_);
    Iter& from = Slot(last);
    if (from != Iter{}) {
      Iter tail = from;
      while (tail->next_in_bucket != Iter{}) tail = tail->next_in_bucket;
      tail->next_in_bucket = into;
      into = from;
      from = Iter{};
    }
    --buckets_;
    if ((last & (kSegment - 1)) == 0) segments_.pop_back();
  }
  void Clear() {
    segments_ = decltype(segments_)();  // gives the directory back too
    buckets_ = split_ = level_ = 0;
  }

  std::list<Entry> order_;  // front = most recently used; owns the entries
  std::vector<std::unique_ptr<Iter[]>> segments_;
  std::size_t buckets_ = 0;  // in use: RoundSize() + split_, or 0 before the first insert
  std::size_t split_ = 0;    // the next bucket to split
  std::size_t level_ = 0;
};

}  // namespace fsvc
