// In-memory profile in pprof's model, and its encoding as gzipped profile.proto.
//
// Contract: a Profile is what every capture (CPU, heap) produces and what every renderer
// (profile.proto, ?debug=1 text, flame graph) consumes. Location ids and mapping ids are
// 1-based indices into `locations` and `mappings`; 0 means "none". Lines of a location are
// innermost (inlined) first, as in profile.proto. EncodeProfile never fails; Gzip fails only
// if zlib does (kInternal).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/error.h"

namespace fsvc::pprof {

struct ValueType {
  std::string type;  // "samples", "cpu", "inuse_space", ...
  std::string unit;  // "count", "nanoseconds", "bytes"
};

struct Line {
  std::string function;     // display name: demangled, without the parameter list
  std::string system_name;  // full demangled (or raw) symbol
  std::string file;         // source file, empty when unknown
  int64_t line = 0;         // 0 when unknown
};

struct Mapping {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t offset = 0;
  std::string file;
  std::string build_id;
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct Location {
  uint64_t address = 0;
  uint64_t mapping_id = 0;
  std::vector<Line> lines;
};

struct Sample {
  std::vector<uint64_t> location_ids;  // leaf first
  std::vector<int64_t> values;         // one per sample type
};

struct Profile {
  std::vector<ValueType> sample_types;
  std::string default_sample_type;  // empty: pprof picks the last one
  ValueType period_type;
  int64_t period = 0;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  std::vector<std::string> comments;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Sample> samples;

  // Returns the id of the location at `address`, creating an unsymbolized one if needed,
  // so that every sample sharing a frame shares its location.
  uint64_t InternLocation(uint64_t address);

 private:
  std::unordered_map<uint64_t, uint64_t> location_by_address_;
};

// What grew between two profiles of counters kept since start (Go's ?seconds=N delta
// profiles): `after` minus `before`, sample by sample where the stacks (as addresses)
// match; samples whose values all cancel out are dropped; time_nanos is `before`'s.
Profile DeltaProfile(const Profile& before, Profile after);

// Serialises to the (uncompressed) profile.proto wire format.
std::string EncodeProfile(const Profile& profile);

// gzip (RFC 1952) of `data`, which is what pprof expects on the wire and in files.
Result<std::string> Gzip(std::string_view data);

inline Result<std::string> EncodeProfileGzipped(const Profile& profile) {
  return Gzip(EncodeProfile(profile));
}

}  // namespace fsvc::pprof
