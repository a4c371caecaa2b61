// Where the memory goes: the process's RSS and its cgroup's usage, each split into parts,
// for /metrics/memory (`breakdown`) and /metrics (fsvc_memory_breakdown_bytes,
// fsvc_cgroup_memory_breakdown_bytes).
//
// Contract: `process` splits rss_bytes (RssAnon + RssFile + RssShmem of /proc/self/status)
// into heap_allocated (jemalloc's allocated less SQLite's), sqlite (what SQLite holds: page
// cache, schema, statements; it allocates through jemalloc), heap_fragmentation (active -
// allocated), heap_dirty (freed pages not yet returned to the OS), thread_stacks (resident pages of
// the threads' stacks), library_data (the binary's and libraries' written pages: relocations,
// .data, .bss), and mapped_files (RssFile + RssShmem: the binary, libraries, mapped files), then
// `other`, the remainder (anonymous memory none of these explain, the allocator's resident metadata
// among it; signed, as the parts come from different sources). jemalloc counts an extent's pages
// whether they were touched or not; when its four heap figures sum to more than the heap
// mappings hold resident (SmapsParts::heap_mappings), they are scaled down in proportion to that
// resident total, and what they counted beyond it is heap_not_resident, outside the parts.
// Parts the build or platform cannot give (no jemalloc) are absent and fall into `other`. `cgroup`
// splits the cgroup's usage into anon, page_cache, kernel and socket_buffers where its memory.stat
// (v2) or kmem files (v1) show them, then other. tcp_socket_buffers_netns is the kernel's TCP
// buffer memory of the whole network namespace
// (/proc/net/sockstat), for when the cgroup does not account sockets. Never fails.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observability/memory_stats.h"
#include "observability/prometheus_text.h"
#include "platform/cgroup.h"

namespace fsvc {

struct MemoryPart {
  std::string name;
  int64_t bytes = 0;
};

struct MemoryBreakdown {
  std::optional<uint64_t> rss_bytes;
  std::vector<MemoryPart> process;  // sums to rss_bytes
  // Heap bytes jemalloc counts whose pages are not resident (allocated, never touched).
  std::optional<uint64_t> heap_not_resident;
  std::optional<uint64_t> cgroup_usage_bytes;
  std::vector<MemoryPart> cgroup;  // sums to cgroup_usage_bytes
  std::optional<uint64_t> tcp_socket_buffers_netns;
};

MemoryBreakdown ReadMemoryBreakdown(const MachineLimits& limits,
                                    const std::optional<JemallocStats>& jemalloc,
                                    std::optional<uint64_t> sqlite_bytes);

// What a /proc/PID/smaps text says of the parts no allocator counts, and of the heap's residency.
struct SmapsParts {
  // Resident bytes of "[stack]" and of each read-write anonymous mapping that starts where
  // an inaccessible anonymous one ends (the guard page glibc puts below every thread stack).
  uint64_t thread_stacks = 0;
  // The binary's and the libraries' private pages: the Anonymous (written, so copied) pages
  // of their file mappings (relocations, .data), and the resident pages of the read-write
  // anonymous mapping that starts where one of theirs ends (.bss).
  uint64_t library_data = 0;
  // Resident bytes of every other anonymous mapping and of "[heap]": where the allocator's
  // extents and metadata live (and any other anonymous mmap, of which the service has none).
  uint64_t heap_mappings = 0;
};
SmapsParts ReadSmapsParts(std::string_view smaps);

nlohmann::json BreakdownJson(const MemoryBreakdown& breakdown);
void WritePrometheus(const MemoryBreakdown& breakdown, PrometheusText& out);

}  // namespace fsvc
