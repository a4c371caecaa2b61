// A self-contained SVG flame graph of a Profile, so that a browser is enough to look at one.
//
// Contract: stacks grow upwards from "all" at the bottom; a frame's width is its share of
// the chosen sample value, children sorted by name (flamegraph.pl's layout), inlined frames
// shown as their own frames. Each frame has a <title> tooltip "name (value, percent)".
// Frames narrower than 0.1% of the width are left out. Interactive through inline script
// (no external resources): click a frame to zoom into it, "Reset zoom" to go back, "Search"
// to highlight the frames whose name contains a term and show their share of the total.
#pragma once

#include <cstddef>
#include <string>

#include "observability/pprof/profile_proto.h"

namespace fsvc::pprof {

struct FlameGraphOptions {
  std::string title = "Flame graph";
  // Index into profile.sample_types; npos means the last one (pprof's default).
  size_t value_index = std::string::npos;
  int width = 1200;
};

std::string RenderFlameGraphSvg(const Profile& profile, const FlameGraphOptions& options);

// "1.25 s", "3.0 MiB", "42": a value with its profile unit, for people.
std::string FormatValue(int64_t value, const std::string& unit);

}  // namespace fsvc::pprof
