// UploadGate: slots and declared bytes are both bounded, a lone upload always
// passes, and permits give back exactly what they took.
#include "http/upload_gate.h"

#include <gtest/gtest.h>

namespace fsvc {
namespace {

TEST(UploadGateTest, BoundsConcurrentUploads) {
  UploadGate gate({2, 1000});
  auto a = gate.TryAcquire(10);
  auto b = gate.TryAcquire(10);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(gate.TryAcquire(10));
  EXPECT_EQ(gate.Snapshot().refused, 1u);
  a.reset();
  EXPECT_TRUE(gate.TryAcquire(10));
}

TEST(UploadGateTest, BoundsDeclaredBytesButAdmitsALoneLargeUpload) {
  UploadGate gate({10, 100});
  {
    auto big = gate.TryAcquire(5000);  // alone: admitted despite the budget
    ASSERT_TRUE(big);
    EXPECT_EQ(gate.Snapshot().bytes, 5000u);
    EXPECT_FALSE(gate.TryAcquire(1));  // nothing else while it is over budget
  }
  auto a = gate.TryAcquire(60);
  ASSERT_TRUE(a);
  EXPECT_FALSE(gate.TryAcquire(41));
  auto b = gate.TryAcquire(40);
  ASSERT_TRUE(b);
  auto chunked = gate.TryAcquire(0);  // unknown length: a slot only
  ASSERT_TRUE(chunked);
  const auto f = gate.Snapshot();
  EXPECT_EQ(f.uploads, 3u);
  EXPECT_EQ(f.bytes, 100u);
}

TEST(UploadGateTest, MovedPermitsReleaseOnce) {
  UploadGate gate({1, 100});
  {
    auto p = gate.TryAcquire(50);
    ASSERT_TRUE(p);
    UploadGate::Permit moved(std::move(*p));
    p.reset();
    EXPECT_EQ(gate.Snapshot().uploads, 1u);
  }
  const auto f = gate.Snapshot();
  EXPECT_EQ(f.uploads, 0u);
  EXPECT_EQ(f.bytes, 0u);
}

}  // namespace
}  // namespace fsvc
