// A recency-ordered hash map: one shard of the URL cache and of the rate
// limiter's client table.
//
// Contract: not thread-safe (each shard guards one with its own mutex). The
// caller hashes the key once, picks its shard from that hash and passes the
// hash in, so no operation hashes a key again. Find, Touch, Insert and Erase are
// O(1); the least recently used entry is Oldest(). An iterator stays valid until
// its own entry is erased. Never rehashes while size() stays within the last
// Reserve(n), so no operation stalls its shard for a pass over the table.
// ShardCounter: a statistic written under its shard's mutex, read without it.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
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
  };
  using Iter = typename std::list<Entry>::iterator;

  // Sizes the index for `entries` at half load.
  void Reserve(std::size_t entries) {
    if (entries * 2 > slots_.size()) Rebuild(std::bit_ceil(std::max<std::size_t>(entries * 2, 8)));
  }
  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  Iter begin() { return order_.begin(); }  // most recent
  Iter end() { return order_.end(); }

  Iter Find(std::string_view key, std::size_t hash) {
    if (slots_.empty()) return order_.end();
    const std::size_t stored = Stored(hash);
    for (std::size_t i = stored & mask_; slots_[i].hash != kEmpty; i = (i + 1) & mask_) {
      if (slots_[i].hash == stored && slots_[i].it->key == key) return slots_[i].it;
    }
    return order_.end();
  }
  void Touch(Iter it) {
    if (it != order_.begin()) order_.splice(order_.begin(), order_, it);
  }
  // Precondition: `key` is absent. The new entry is the most recent.
  Iter Insert(std::string_view key, std::size_t hash, V value) {
    if ((order_.size() + 1) * 4 > slots_.size() * 3)
      Rebuild(std::max<std::size_t>(slots_.size() * 2, 8));
    order_.push_front(Entry{std::string(key), hash, std::move(value)});
    Place(order_.begin());
    return order_.begin();
  }
  // Precondition: !empty().
  Iter Oldest() { return std::prev(order_.end()); }
  void Erase(Iter it) {
    const std::size_t stored = Stored(it->hash);
    std::size_t hole = stored & mask_;
    while (slots_[hole].hash != stored || slots_[hole].it != it) hole = (hole + 1) & mask_;
    order_.erase(it);
    // Backward-shift deletion: pull later members of the probe run into the
    // hole unless that would move one before its home slot; no tombstones.
    for (std::size_t j = (hole + 1) & mask_; slots_[j].hash != kEmpty; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].hash & mask_;
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
  }

  // Heap bytes an entry occupies besides the heap storage of its key and
  // value: its list node and its share of the index at half load.
  static constexpr std::size_t kNodeBytes =
      lru_detail::RoundToAllocation(sizeof(Entry) + 2 * sizeof(void*)) + 2 * 2 * sizeof(void*);

  // Heap bytes behind a string of this capacity (0 while it fits inline).
  static std::size_t HeapBytes(std::size_t capacity) {
    // Not constexpr: clang cannot evaluate libstdc++'s string constructor.
    static const std::size_t inline_capacity = std::string().capacity();
    return capacity > inline_capacity ? lru_detail::RoundToAllocation(capacity + 1) : 0;
  }

 private:
  static constexpr std::size_t kEmpty = 0;

  // Open addressing with linear probing over a power-of-two table: a lookup
  // is a mask and, usually, one slot; the full hash in the slot spares a
  // visit to the entry for every slot but the right one.
  struct Slot {
    std::size_t hash = kEmpty;
    Iter it{};
  };
  static_assert(sizeof(Slot) == 2 * sizeof(void*));

  static std::size_t Stored(std::size_t hash) { return hash == kEmpty ? 1 : hash; }

  void Place(Iter it) {
    std::size_t i = Stored(it->hash) & mask_;
    while (slots_[i].hash != kEmpty) i = (i + 1) & mask_;
    slots_[i] = Slot{Stored(it->hash), it};
  }
  void Rebuild(std::size_t slot_count) {
    slots_.assign(slot_count, Slot{});
    mask_ = slot_count - 1;
    for (auto it = order_.begin(); it != order_.end(); ++it) Place(it);
  }

  std::list<Entry> order_;  // front = most recently used; owns the entries
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace fsvc
