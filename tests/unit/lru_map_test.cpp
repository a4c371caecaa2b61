#include "cache/lru_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

namespace fsvc {
namespace {

TEST(LruMapTest, KeepsRecencyOrder) {
  LruMap<int> map;
  map.Insert("a", 1, 1);
  map.Insert("b", 2, 2);
  map.Insert("c", 3, 3);
  EXPECT_EQ(map.Oldest()->key, "a");
  map.Touch(map.Find("a", 1));
  EXPECT_EQ(map.Oldest()->key, "b");
  EXPECT_EQ(map.begin()->key, "a");
  map.Erase(map.Oldest());
  EXPECT_EQ(map.Oldest()->key, "c");
  EXPECT_EQ(map.Find("b", 2), map.end());
  EXPECT_EQ(map.size(), 2u);
}

TEST(LruMapTest, SameHashDifferentKeys) {
  LruMap<int> map;
  map.Insert("x", 0, 1);  // 0 is the empty marker inside the index
  map.Insert("y", 0, 2);
  EXPECT_EQ(map.Find("x", 0)->value, 1);
  EXPECT_EQ(map.Find("y", 0)->value, 2);
  map.Erase(map.Find("x", 0));
  EXPECT_EQ(map.Find("x", 0), map.end());
  EXPECT_EQ(map.Find("y", 0)->value, 2);
}

// Random inserts and erases against std::map, with few distinct hashes
// (long chains) or many, over key ranges that make the index grow across
// several rounds and shrink back: exercises splits, merges and chain edits.
TEST(LruMapTest, MatchesReferenceWhileGrowingAndShrinking) {
  const std::size_t kFewHashes = 5;
  for (const std::size_t distinct : {kFewHashes, std::size_t{1} << 20}) {
    LruMap<int> map;
    std::map<std::string, int> reference;
    std::mt19937 rng(static_cast<unsigned>(distinct));
    std::uniform_int_distribution<int> key_id(0, 2999);
    const auto hash_of = [&](int id) {
      return (static_cast<std::size_t>(id) * 0x9E3779B97F4A7C15ull) % distinct;
    };
    for (int step = 0; step < 80000; ++step) {
      const int id = key_id(rng);
      const std::string key = "k" + std::to_string(id);
      const auto found = map.Find(key, hash_of(id));
      ASSERT_EQ(found != map.end(), reference.count(key) == 1) << key;
      // Mostly inserts in the first half (growth), mostly erases after.
      const bool growing = step < 40000;
      if (found == map.end()) {
        if (!growing && step % 4 != 0) continue;
        map.Insert(key, hash_of(id), step);
        reference[key] = step;
      } else {
        ASSERT_EQ(found->value, reference[key]);
        if (growing && step % 3 == 0) {
          map.Touch(found);
        } else {
          map.Erase(found);
          reference.erase(key);
        }
      }
      ASSERT_EQ(map.size(), reference.size());
    }
    for (const auto& [key, value] : reference) {
      const int id = std::stoi(key.substr(1));
      ASSERT_NE(map.Find(key, hash_of(id)), map.end());
      EXPECT_EQ(map.Find(key, hash_of(id))->value, value);
    }
    while (!map.empty()) map.Erase(map.Oldest());
    EXPECT_EQ(map.Find("k1", hash_of(1)), map.end());
  }
}

}  // namespace
}  // namespace fsvc
