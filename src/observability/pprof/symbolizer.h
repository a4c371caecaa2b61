// Turns the code addresses of a Profile into function names, files and lines, and
// describes the loaded objects they belong to as pprof mappings.
//
// Contract: addresses are looked up exactly as given, so captures store return addresses
// minus one (the call instruction). Names come from `addr2line -f -i -C` (DWARF and the full
// symbol table; run once per object per Symbolize call, only if binutils is installed),
// falling back to dladdr + abi::__cxa_demangle (the dynamic symbol table: the server links
// with ENABLE_EXPORTS), then to "object+0xoffset". Results are cached per address. Every
// mapping is marked as already symbolized so that pprof never looks for the binary.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "observability/pprof/profile_proto.h"

namespace fsvc::pprof {

class Symbolizer {
 public:
  // The process-wide instance, so that the address cache survives between profiles.
  static Symbolizer& Global();

  // Fills `lines` and `mapping_id` of every location and appends the mappings they use.
  void Symbolize(Profile& profile);

  // addr2line costs about 1 s and 120 MB (charged to our cgroup) on a 40 MB binary with
  // DWARF; on a tight memory limit the server may turn it off and keep names only.
  void set_use_addr2line(bool use) { use_addr2line_ = use; }

 private:
  std::atomic<bool> use_addr2line_{true};
  std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<Line>> cache_;
};

// "ns::f<int>(int, char) const" -> "ns::f<int>": the short form pprof shows by default.
std::string DisplayName(std::string_view demangled);

// abi::__cxa_demangle, or the input itself when it is not a mangled C++ name.
std::string Demangle(const char* symbol);

}  // namespace fsvc::pprof
