// Writer of Prometheus' text exposition format 0.0.4, as `promtool check metrics` accepts.
//
// Contract: call Family() once per metric name, then its samples; HELP and TYPE are written
// once, label values and HELP text are escaped. A repeated or invalid family name, or a
// sample without a family, is a programming error the writer refuses (the samples are
// dropped and ok() turns false) rather than emitting text Prometheus would reject.
// Counter names should end in _total and use base units (_seconds, _bytes), per promtool.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsvc {

class PrometheusText {
 public:
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
  enum class Type { kCounter, kGauge, kHistogram };
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void Family(std::string_view name, Type type, std::string_view help);
  void Sample(double value, const Labels& labels = {});
  // `buckets` holds (upper bound, cumulative count) in increasing order; +Inf is added.
  void HistogramSample(const std::vector<std::pair<double, uint64_t>>& buckets, double sum,
                       uint64_t count, const Labels& labels = {});

  bool ok() const { return ok_; }
  const std::string& text() const { return out_; }

  static bool ValidName(std::string_view name);

 private:
  void Line(std::string_view suffix, const Labels& labels, double value);

  std::string out_;
  std::string family_;
  Type type_ = Type::kGauge;
  std::set<std::string, std::less<>> seen_;
  bool ok_ = true;
};

}  // namespace fsvc
