#include "http/range.h"

#include <gtest/gtest.h>

namespace fsvc {
namespace {

void ExpectRange(std::string_view header, uint64_t size, uint64_t offset, uint64_t length) {
  const ByteRange r = ParseRange(header, size);
  ASSERT_EQ(r.kind, ByteRange::kSatisfiable) << header;
  EXPECT_EQ(r.offset, offset) << header;
  EXPECT_EQ(r.length, length) << header;
}

TEST(RangeTest, SatisfiableForms) {
  ExpectRange("bytes=0-0", 10, 0, 1);
  ExpectRange("bytes=2-5", 10, 2, 4);
  ExpectRange("bytes=2-", 10, 2, 8);
  ExpectRange("bytes=5-999", 10, 5, 5);  // end clipped to the size
  ExpectRange("bytes=-3", 10, 7, 3);     // suffix
  ExpectRange("bytes=-30", 10, 0, 10);   // suffix longer than the file
  ExpectRange("Bytes= 1-2 ", 10, 1, 2);
  ExpectRange("BYTES=1-2", 10, 1, 2);  // the unit is case-insensitive
}

TEST(RangeTest, Unsatisfiable) {
  EXPECT_EQ(ParseRange("bytes=10-", 10).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=10-20", 10).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-0", 10).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-", 0).kind, ByteRange::kUnsatisfiable);
}

TEST(RangeTest, IgnoredForms) {
  for (std::string_view h :
       {"", "bytes", "bytes=", "items=0-1", "bytes=a-b", "bytes=5-2", "bytes=0-1,3-4", "bytes=--1",
        "bytes=1", "bytes=99999999999999999999-", "bytes=-18446744073709551616", "bytes=0x10-",
        "bytes\x1d"
        "0-1"}) {
    EXPECT_EQ(ParseRange(h, 100).kind, ByteRange::kIgnore) << h;
  }
}

}  // namespace
}  // namespace fsvc
