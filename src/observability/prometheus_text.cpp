#include "observability/prometheus_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fsvc {
namespace {

bool NameChar(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

std::string Escape(std::string_view s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  // The shortest form that reads back as the same double: 0.0005, not 0.00050000000000000001.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

const char* TypeName(PrometheusText::Type t) {
  switch (t) {
    case PrometheusText::Type::kCounter:
      return "counter";
    case PrometheusText::Type::kGauge:
      return "gauge";
    case PrometheusText::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

bool PrometheusText::ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0)) return false;
  }
  return true;
}

void PrometheusText::Family(std::string_view name, Type type, std::string_view help) {
  if (!ValidName(name) || !seen_.emplace(name).second) {
    ok_ = false;
    family_.clear();
    return;
  }
  family_ = std::string(name);
  type_ = type;
  out_ += "# HELP " + family_ + " " + Escape(help, false) + "\n";
  out_ += "# TYPE " + family_ + " " + TypeName(type) + "\n";
}

void PrometheusText::Line(std::string_view suffix, const Labels& labels, double value) {
  out_ += family_;
  out_ += suffix;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += labels[i].first + "=\"" + Escape(labels[i].second, true) + "\"";
    }
    out_ += '}';
  }
  out_ += ' ' + FormatValue(value) + '\n';
}

void PrometheusText::Sample(double value, const Labels& labels) {
  bool labels_ok = true;
  for (const auto& [key, v] : labels) {
    labels_ok = labels_ok && ValidName(key) && key.find(':') == std::string::npos;
  }
  if (family_.empty() || type_ == Type::kHistogram || !labels_ok) {
    ok_ = false;
    return;
  }
  Line("", labels, value);
}

void PrometheusText::HistogramSample(const std::vector<std::pair<double, uint64_t>>& buckets,
                                     double sum, uint64_t count, const Labels& labels) {
  if (family_.empty() || type_ != Type::kHistogram) {
    ok_ = false;
    return;
  }
  Labels with_le = labels;
  with_le.emplace_back("le", "");
  for (const auto& [bound, cumulative] : buckets) {
    with_le.back().second = FormatValue(bound);
    Line("_bucket", with_le, static_cast<double>(cumulative));
  }
  with_le.back().second = "+Inf";
  Line("_bucket", with_le, static_cast<double>(count));
  Line("_sum", labels, sum);
  Line("_count", labels, static_cast<double>(count));
}

}  // namespace fsvc
