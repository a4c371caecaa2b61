#include "observability/pprof/flamegraph.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace fsvc::pprof {
namespace {

struct Node {
  std::string name;
  int64_t value = 0;
  std::map<std::string, size_t> children;  // by name: sorted, merged
};

class Tree {
 public:
  Tree() { nodes_.push_back(Node{"all", 0, {}}); }
  void Add(const std::vector<const std::string*>& root_first, int64_t value) {
    size_t at = 0;
    nodes_[0].value += value;
    for (const std::string* name : root_first) {
      auto it = nodes_[at].children.find(*name);
      if (it == nodes_[at].children.end()) {
        it = nodes_[at].children.emplace(*name, nodes_.size()).first;
        nodes_.push_back(Node{*name, 0, {}});
      }
      at = it->second;
      nodes_[at].value += value;
    }
  }
  const Node& node(size_t i) const { return nodes_[i]; }
  int Depth(size_t i = 0) const {
    int d = 0;
    for (const auto& [name, child] : nodes_[i].children) d = std::max(d, Depth(child));
    return d + 1;
  }

 private:
  std::vector<Node> nodes_;
};

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Warm colours, stable per name, as flamegraph.pl's default palette.
std::string Colour(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "rgb(%u,%u,%u)", 205 + h % 50, 80 + (h >> 8) % 150,
                50 + (h >> 16) % 50);
  return buf;
}

constexpr int kFrameHeight = 16;
constexpr int kHeader = 40;
constexpr double kCharWidth = 7.0;  // 12px monospace, roughly

struct Layout {
  const Tree& tree;
  double scale;  // pixels per unit of value
  double min_width;
  int image_height;
  int64_t total;
  std::string unit;
  std::string out;

  void Frame(size_t i, double x, int depth) {
    const Node& n = tree.node(i);
    const double w = n.value * scale;
    if (w < min_width) return;
    const double y = image_height - (depth + 1) * kFrameHeight;
    char pct[32];
    std::snprintf(pct, sizeof(pct), "%.2f%%", total > 0 ? 100.0 * n.value / total : 0.0);
    std::string name = XmlEscape(n.name);
    char geometry[160];
    std::snprintf(geometry, sizeof(geometry),
                  "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"", x, y,
                  w, kFrameHeight - 1);
    out += "<g><title>" + name + " (" + FormatValue(n.value, unit) + ", " + pct + ")</title>" +
           geometry + Colour(n.name) + "\"/>";
    const size_t fits = static_cast<size_t>((w - 6) / kCharWidth);
    if (fits >= 3) {
      std::string label = n.name.size() <= fits ? n.name : n.name.substr(0, fits - 2) + "..";
      char pos[96];
      std::snprintf(pos, sizeof(pos), "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + 12);
      out += pos + XmlEscape(label) + "</text>";
    }
    out += "</g>\n";
    double child_x = x;
    for (const auto& [child_name, child] : n.children) {
      Frame(child, child_x, depth + 1);
      child_x += tree.node(child).value * scale;
    }
  }
};

}  // namespace

std::string FormatValue(int64_t value, const std::string& unit) {
  char buf[64];
  const double v = static_cast<double>(value);
  if (unit == "nanoseconds") {
    if (v >= 1e9) {
      std::snprintf(buf, sizeof(buf), "%.2f s", v / 1e9);
    } else {
      std::snprintf(buf, sizeof(buf), "%.2f ms", v / 1e6);
    }
  } else if (unit == "bytes") {
    if (v >= 1 << 30) {
      std::snprintf(buf, sizeof(buf), "%.2f GiB", v / (1 << 30));
    } else if (v >= 1 << 20) {
      std::snprintf(buf, sizeof(buf), "%.2f MiB", v / (1 << 20));
    } else {
      std::snprintf(buf, sizeof(buf), "%.1f KiB", v / 1024);
    }
  } else if (unit == "count" || unit.empty()) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld %s", static_cast<long long>(value), unit.c_str());
  }
  return buf;
}

std::string RenderFlameGraphSvg(const Profile& profile, const FlameGraphOptions& options) {
  const size_t index = options.value_index < profile.sample_types.size()
                           ? options.value_index
                           : profile.sample_types.size() - 1;
  const ValueType type =
      profile.sample_types.empty() ? ValueType{"value", "count"} : profile.sample_types[index];

  Tree tree;
  std::vector<const std::string*> stack;
  for (const Sample& s : profile.samples) {
    if (index >= s.values.size() || s.values[index] <= 0) continue;
    stack.clear();
    for (auto id = s.location_ids.rbegin(); id != s.location_ids.rend(); ++id) {
      if (*id == 0 || *id > profile.locations.size()) continue;
      const auto& lines = profile.locations[*id - 1].lines;
      for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
        stack.push_back(&line->function);
      }
    }
    tree.Add(stack, s.values[index]);
  }

  const int64_t total = tree.node(0).value;
  const int width = std::max(200, options.width);
  const int height = kHeader + tree.Depth() * kFrameHeight + 8;
  Layout layout{tree,
                total > 0 ? (width - 20.0) / total : 0.0,
                (width - 20.0) / 1000,
                height - 8,
                total,
                type.unit,
                {}};

  std::string svg;
  char head[512];
  std::snprintf(head, sizeof(head),
                "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "xmlns=\"http://www.w3.org/2000/svg\">\n"
                "<style>text{font:12px monospace;fill:#000;pointer-events:none}"
                "rect:hover{stroke:#000;stroke-width:0.5}</style>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdf6e3\"/>\n",
                width, height, width, height);
  svg += head;
  svg += "<text x=\"10\" y=\"20\" style=\"font-size:16px\">" + XmlEscape(options.title) +
         "</text>\n<text x=\"10\" y=\"34\">" + XmlEscape(type.type) + ": " +
         XmlEscape(FormatValue(total, type.unit)) +
         " total. Hover a frame for its share; width = share of the total.</text>\n";
  if (total > 0) layout.Frame(0, 10, 0);
  svg += layout.out;
  svg += "</svg>\n";
  return svg;
}

}  // namespace fsvc::pprof
