#include "platform/cgroup.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fsvc {
namespace {

namespace fs = std::filesystem;

// A fake / holding only the /proc and /sys files the reader looks at.
class FakeRoot {
 public:
  FakeRoot() {
    std::string templ = (fs::temp_directory_path() / "cgroup-root-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
    Write("/proc/meminfo", "MemTotal:        8000000 kB\nMemFree:  100 kB\n");
  }
  ~FakeRoot() { fs::remove_all(path_); }
  FakeRoot(const FakeRoot&) = delete;
  FakeRoot& operator=(const FakeRoot&) = delete;

  void Write(const std::string& file, const std::string& text) const {
    fs::create_directories(fs::path(path_ + file).parent_path());
    std::ofstream(path_ + file) << text;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr uint64_t kGiB = uint64_t{1} << 30;

// Docker on a cgroup v1 host: /proc/self/cgroup names the host's group, but
// the container sees that group mounted as the root of each hierarchy.
TEST(CgroupTest, V1ContainerReadsTheGroupAtTheMountRoot) {
  FakeRoot r;
  r.Write("/proc/self/cgroup",
          "12:pids:/docker/abc\n5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n"
          "1:name=systemd:/docker/abc\n0::/system.slice/containerd.service\n");
  r.Write("/proc/self/mountinfo",
          "700 690 0:60 / / rw,relatime master:1 - overlay overlay rw\n"
          "710 700 0:62 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
          "711 710 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid master:12 - cgroup "
          "cgroup rw,cpu,cpuacct\n"
          "712 710 0:31 /docker/abc /sys/fs/cgroup/memory ro,nosuid master:13 - cgroup cgroup "
          "rw,memory\n"
          "713 710 0:32 /docker/abc /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n");
  r.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "200000\n");
  r.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  r.Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", std::to_string(kGiB) + "\n");
  r.Write("/sys/fs/cgroup/memory/memory.usage_in_bytes", "52428800\n");

  const MachineLimits l = ReadMachineLimits(r.path());
  EXPECT_EQ(l.cgroup_version, "v1");
  EXPECT_EQ(l.cgroup_path, "/docker/abc");
  EXPECT_EQ(l.memory_dir, r.path() + "/sys/fs/cgroup/memory");
  ASSERT_TRUE(l.cpu_quota_cores.has_value());
  EXPECT_DOUBLE_EQ(*l.cpu_quota_cores, 2.0);
  EXPECT_EQ(l.memory_limit_bytes, kGiB);
  EXPECT_EQ(l.physical_memory_bytes, uint64_t{8000000} * 1024);
  EXPECT_EQ(ReadCgroupMemoryUsage(l), uint64_t{52428800});
}

// On a v1 host (hybrid: an empty v2 hierarchy beside it) the group lies below
// the mount, and a lower limit on an ancestor binds.
TEST(CgroupTest, V1HostWalksUpToTheMountAndIgnoresTheEmptyV2Hierarchy) {
  FakeRoot r;
  r.Write("/proc/self/cgroup", "4:memory:/jobs/one\n2:cpu:/jobs/one\n0::/\n");
  r.Write("/proc/self/mountinfo",
          "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
          "35 31 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
          "41 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  r.Write("/sys/fs/cgroup/cpu/jobs/one/cpu.cfs_quota_us", "-1\n");
  r.Write("/sys/fs/cgroup/cpu/jobs/one/cpu.cfs_period_us", "100000\n");
  r.Write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  r.Write("/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes", std::to_string(kGiB) + "\n");
  r.Write("/sys/fs/cgroup/memory/jobs/one/memory.limit_in_bytes", std::to_string(2 * kGiB));
  r.Write("/sys/fs/cgroup/memory/jobs/one/memory.usage_in_bytes", "4096\n");
  r.Write("/sys/fs/cgroup/unified/cpu.max", "50000 100000\n");

  const MachineLimits l = ReadMachineLimits(r.path());
  EXPECT_EQ(l.cgroup_version, "v1");
  EXPECT_EQ(l.memory_dir, r.path() + "/sys/fs/cgroup/memory/jobs/one");
  EXPECT_FALSE(l.cpu_quota_cores.has_value());
  EXPECT_EQ(l.memory_limit_bytes, kGiB);
  EXPECT_EQ(ReadCgroupMemoryUsage(l), uint64_t{4096});
}

// cgroup v2 with a cgroup namespace (Docker's default there): "0::/" and the
// group mounted at /sys/fs/cgroup.
TEST(CgroupTest, V2ContainerReadsTheNamespaceRoot) {
  FakeRoot r;
  r.Write("/proc/self/cgroup", "0::/\n");
  r.Write("/proc/self/mountinfo",
          "800 790 0:70 / / rw - overlay overlay rw\n"
          "805 800 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw\n");
  r.Write("/sys/fs/cgroup/cpu.max", "20000 100000\n");
  r.Write("/sys/fs/cgroup/memory.max", std::to_string(kGiB) + "\n");
  r.Write("/sys/fs/cgroup/memory.current", "1234567\n");

  const MachineLimits l = ReadMachineLimits(r.path());
  EXPECT_EQ(l.cgroup_version, "v2");
  EXPECT_EQ(l.memory_dir, r.path() + "/sys/fs/cgroup");
  ASSERT_TRUE(l.cpu_quota_cores.has_value());
  EXPECT_DOUBLE_EQ(*l.cpu_quota_cores, 0.2);
  EXPECT_EQ(l.memory_limit_bytes, kGiB);
  EXPECT_EQ(ReadCgroupMemoryUsage(l), uint64_t{1234567});
}

// cgroup v2 without a namespace, the hierarchy bind-mounted from one group
// down: paths are taken relative to the mounted group.
TEST(CgroupTest, V2PathIsRelativeToTheMountedGroup) {
  FakeRoot r;
  r.Write("/proc/self/cgroup", "0::/user.slice/app/worker\n");
  r.Write("/proc/self/mountinfo",
          "805 800 0:26 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  r.Write("/sys/fs/cgroup/app/worker/cpu.max", "max 100000\n");
  r.Write("/sys/fs/cgroup/app/worker/memory.max", "max\n");
  r.Write("/sys/fs/cgroup/app/memory.max", std::to_string(3 * kGiB) + "\n");
  r.Write("/sys/fs/cgroup/app/worker/memory.current", "777\n");

  const MachineLimits l = ReadMachineLimits(r.path());
  EXPECT_EQ(l.cgroup_version, "v2");
  EXPECT_EQ(l.memory_dir, r.path() + "/sys/fs/cgroup/app/worker");
  EXPECT_FALSE(l.cpu_quota_cores.has_value());
  EXPECT_EQ(l.memory_limit_bytes, 3 * kGiB);
  EXPECT_EQ(ReadCgroupMemoryUsage(l), uint64_t{777});
  EXPECT_EQ(l.EffectiveMemory(), 3 * kGiB);  // below MemTotal
}

TEST(CgroupTest, NoCgroupMountsMeansNoLimits) {
  FakeRoot r;
  r.Write("/proc/self/cgroup", "0::/\n4:memory:/\n");
  r.Write("/proc/self/mountinfo", "700 690 0:60 / / rw - ext4 /dev/vda rw\n");

  const MachineLimits l = ReadMachineLimits(r.path());
  EXPECT_EQ(l.cgroup_version, "none");
  EXPECT_FALSE(l.cpu_quota_cores.has_value());
  EXPECT_FALSE(l.memory_limit_bytes.has_value());
  EXPECT_FALSE(ReadCgroupMemoryUsage(l).has_value());
  EXPECT_EQ(l.EffectiveMemory(), l.physical_memory_bytes);
}

// This process, on whatever machine runs the test: the usage file the reader
// found exists (the bug was a path that did not).
TEST(CgroupTest, ThisProcessUsageIsReadableWhereAMemoryGroupIsFound) {
  const MachineLimits l = ReadMachineLimits();
  if (l.memory_dir.empty()) GTEST_SKIP() << "no memory cgroup here";
  const auto usage = ReadCgroupMemoryUsage(l);
  ASSERT_TRUE(usage.has_value()) << l.memory_dir;
  EXPECT_GT(*usage, 0u);
}

}  // namespace
}  // namespace fsvc
