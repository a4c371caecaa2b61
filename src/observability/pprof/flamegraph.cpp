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
    // data-*: what the script needs to zoom and search without re-reading the profile.
    out += "<g class=\"f\" data-n=\"" + name + "\" data-v=\"" + std::to_string(n.value) +
           "\" data-d=\"" + std::to_string(depth) + "\"><title>" + name + " (" +
           FormatValue(n.value, unit) + ", " + pct + ")</title>" + geometry + Colour(n.name) +
           "\"/>";
    const size_t fits = static_cast<size_t>(std::max(0.0, (w - 6) / kCharWidth));
    std::string label;
    if (fits >= 3) label = n.name.size() <= fits ? n.name : n.name.substr(0, fits - 2) + "..";
    char pos[96];
    std::snprintf(pos, sizeof(pos), "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + 12);
    out += pos + XmlEscape(label) + "</text></g>\n";
    double child_x = x;
    for (const auto& [child_name, child] : n.children) {
      Frame(child, child_x, depth + 1);
      child_x += tree.node(child).value * scale;
    }
  }
};

// The controls at the top right; the script shows "Reset zoom" only while zoomed.
constexpr const char* kControls =
    "<text id=\"fg-reset\" class=\"ctl\" x=\"100%\" dx=\"-160\" y=\"20\" "
    "style=\"display:none\">Reset zoom</text>\n"
    "<text id=\"fg-search\" class=\"ctl\" x=\"100%\" dx=\"-70\" y=\"20\">Search</text>\n"
    "<text id=\"fg-matched\" x=\"100%\" dx=\"-260\" y=\"34\"></text>\n";

// Zoom: the clicked frame and what it called fill the width, its callers span the width,
// every other frame hides. Search: frames whose name contains the term turn magenta and
// "Matched" shows their share of the total (a match inside another match counts once).
// The same functions are window.fgZoom/fgReset/fgSearch for scripts and tests.
constexpr const char* kScript = R"js((function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var resetButton = document.getElementById('fg-reset');
  frames.forEach(function (g) {
    var r = g.querySelector('rect');
    g.fx = +r.getAttribute('x');
    g.fw = +r.getAttribute('width');
    g.fd = +g.getAttribute('data-d');
    g.fv = +g.getAttribute('data-v');
    g.ffill = r.getAttribute('fill');
    g.addEventListener('click', function () { zoom(g); });
  });
  function within(inner, outer) {
    return outer.fx <= inner.fx + 1e-6 && inner.fx + inner.fw <= outer.fx + outer.fw + 1e-6;
  }
  function place(g, x, w) {
    var r = g.querySelector('rect'), t = g.querySelector('text'), n = g.getAttribute('data-n');
    r.setAttribute('x', x.toFixed(2));
    r.setAttribute('width', w.toFixed(2));
    t.setAttribute('x', (x + 3).toFixed(2));
    var fits = Math.floor((w - 6) / 7);
    t.textContent = fits < 3 ? '' : (n.length <= fits ? n : n.substring(0, fits - 2) + '..');
    g.style.display = '';
  }
  function zoom(z) {
    var scale = fgWidth / z.fw;
    frames.forEach(function (g) {
      if (g.fd >= z.fd && within(g, z)) place(g, 10 + (g.fx - z.fx) * scale, g.fw * scale);
      else if (g.fd < z.fd && within(z, g)) place(g, 10, fgWidth);
      else g.style.display = 'none';
    });
    resetButton.style.display = '';
  }
  function reset() {
    frames.forEach(function (g) { place(g, g.fx, g.fw); });
    resetButton.style.display = 'none';
  }
  function search(term) {
    var matched = frames.filter(function (g) {
      var hit = !!term && g.getAttribute('data-n').indexOf(term) >= 0;
      g.querySelector('rect').setAttribute('fill', hit ? 'rgb(230,0,230)' : g.ffill);
      return hit;
    });
    var sum = 0;
    matched.forEach(function (g) {
      var nested = matched.some(function (o) { return o.fd < g.fd && within(g, o); });
      if (!nested) sum += g.fv;
    });
    var share = fgTotal > 0 ? 100 * sum / fgTotal : 0;
    document.getElementById('fg-matched').textContent =
        term ? 'Matched: ' + share.toFixed(2) + '%' : '';
    return share;
  }
  resetButton.addEventListener('click', reset);
  document.getElementById('fg-search').addEventListener('click', function () {
    var term = prompt('Search frames whose name contains:', '');
    if (term !== null) search(term);
  });
  window.fgZoom = zoom;
  window.fgReset = reset;
  window.fgSearch = search;
})();
)js";

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
                "rect:hover{stroke:#000;stroke-width:0.5}g.f,.ctl{cursor:pointer}.ctl{pointer-"
                "events:all;fill:#2b6cb0}</style>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdf6e3\"/>\n",
                width, height, width, height);
  svg += head;
  svg += "<text x=\"10\" y=\"20\" style=\"font-size:16px\">" + XmlEscape(options.title) +
         "</text>\n<text x=\"10\" y=\"34\">" + XmlEscape(type.type) + ": " +
         XmlEscape(FormatValue(total, type.unit)) +
         " total. Hover a frame for its share; click to zoom.</text>\n";
  svg += kControls;
  if (total > 0) layout.Frame(0, 10, 0);
  svg += layout.out;
  svg += "<script type=\"text/ecmascript\"><![CDATA[\nvar fgTotal = " + std::to_string(total) +
         ", fgWidth = " + std::to_string(width - 20) + ";\n" + kScript + "]]></script>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace fsvc::pprof
