#include "observability/pprof/debug_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "observability/pprof/flamegraph.h"

namespace fsvc::pprof {
namespace {

bool IsHeapProfile(const Profile& p) {
  return p.sample_types.size() == 4 && p.sample_types[0].type == "alloc_objects" &&
         p.sample_types[1].type == "alloc_space" && p.sample_types[2].type == "inuse_objects" &&
         p.sample_types[3].type == "inuse_space";
}

void AppendStack(const Profile& p, const Sample& s, std::string& out) {
  char buf[64];
  for (uint64_t id : s.location_ids) {
    std::snprintf(buf, sizeof(buf), " %#" PRIx64, p.locations[id - 1].address);
    out += buf;
  }
  out += '\n';
  for (uint64_t id : s.location_ids) {
    const Location& loc = p.locations[id - 1];
    for (const Line& line : loc.lines) {
      std::snprintf(buf, sizeof(buf), "#\t%#" PRIx64 "\t", loc.address);
      out += buf + line.function;
      if (!line.file.empty()) out += "\t" + line.file + ":" + std::to_string(line.line);
      out += '\n';
    }
  }
  out += '\n';
}

std::string HeapText(const Profile& p) {
  int64_t totals[4] = {0, 0, 0, 0};
  for (const Sample& s : p.samples) {
    for (size_t i = 0; i < 4 && i < s.values.size(); ++i) totals[i] += s.values[i];
  }
  char buf[160];
  // Go writes twice the sampling rate after "heap/"; pprof halves it back when parsing.
  std::snprintf(buf, sizeof(buf),
                "heap profile: %" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "] @ heap/%" PRId64
                "\n",
                totals[2], totals[3], totals[0], totals[1], 2 * p.period);
  std::string out = buf;
  std::vector<const Sample*> order;
  for (const Sample& s : p.samples) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(),
                   [](const Sample* a, const Sample* b) { return a->values[3] > b->values[3]; });
  for (const Sample* s : order) {
    std::snprintf(buf, sizeof(buf), "%" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "] @",
                  s->values[2], s->values[3], s->values[0], s->values[1]);
    out += buf;
    AppendStack(p, *s, out);
  }
  return out;
}

std::string GenericText(const Profile& p) {
  const size_t index = p.sample_types.empty() ? 0 : p.sample_types.size() - 1;
  const std::string unit = p.sample_types.empty() ? "count" : p.sample_types[index].unit;
  std::string out = "# profile: " + std::to_string(p.samples.size()) + " stacks; values:";
  for (const auto& t : p.sample_types) out += " " + t.type + "/" + t.unit;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "; period %" PRId64 " %s/%s; duration %.2f s\n", p.period,
                p.period_type.type.c_str(), p.period_type.unit.c_str(), p.duration_nanos / 1e9);
  out += buf;

  // flat: the sample's leaf function; cum: every distinct function on the stack.
  std::map<std::string, std::pair<int64_t, int64_t>> by_function;
  int64_t total = 0;
  for (const Sample& s : p.samples) {
    if (index >= s.values.size() || s.location_ids.empty()) continue;
    const int64_t v = s.values[index];
    total += v;
    const auto& leaf = p.locations[s.location_ids.front() - 1].lines;
    if (!leaf.empty()) by_function[leaf.front().function].first += v;
    std::set<std::string> seen;
    for (uint64_t id : s.location_ids) {
      for (const Line& l : p.locations[id - 1].lines) {
        if (seen.insert(l.function).second) by_function[l.function].second += v;
      }
    }
  }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> rows(by_function.begin(),
                                                                        by_function.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.first != b.second.first ? a.second.first > b.second.first
                                            : a.second.second > b.second.second;
  });
  out += "\n# top functions by " + (p.sample_types.empty() ? "value" : p.sample_types[index].type) +
         " (total " + FormatValue(total, unit) + ")\n";
  out += "#        flat  flat%          cum   cum%  function\n";
  for (size_t i = 0; i < rows.size() && i < 50; ++i) {
    const auto& [name, fc] = rows[i];
    auto pct = [total](int64_t v) { return total > 0 ? 100.0 * v / total : 0.0; };
    std::snprintf(buf, sizeof(buf), "# %12s %5.1f%% %12s %5.1f%%  ",
                  FormatValue(fc.first, unit).c_str(), pct(fc.first),
                  FormatValue(fc.second, unit).c_str(), pct(fc.second));
    out += buf + name + "\n";
  }
  out += "\n# stacks: values @ addresses, then one frame per line (innermost first)\n";
  for (const Sample& s : p.samples) {
    for (size_t i = 0; i < s.values.size(); ++i) {
      out += (i ? " " : "") + std::to_string(s.values[i]);
    }
    out += " @";
    AppendStack(p, s, out);
  }
  return out;
}

}  // namespace

std::string RenderDebugText(const Profile& profile) {
  return IsHeapProfile(profile) ? HeapText(profile) : GenericText(profile);
}

}  // namespace fsvc::pprof
