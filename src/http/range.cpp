#include "http/range.h"

#include <charconv>

#include "http/message.h"

namespace fsvc {
namespace {

bool ParseNumber(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits never overflow uint64
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ByteRange ParseRange(std::string_view header, uint64_t size) {
  ByteRange r;
  header = Trim(header);
  // The range unit is case-insensitive (RFC 9110 14.1); any other unit is ignored.
  constexpr std::string_view kUnit = "bytes=";
  if (!EqualsIgnoreCase(header.substr(0, kUnit.size()), kUnit)) return r;
  const std::string_view spec = Trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return r;  // multi-range: serve it all
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return r;
  const std::string_view first = Trim(spec.substr(0, dash));
  const std::string_view last = Trim(spec.substr(dash + 1));

  uint64_t a = 0, b = 0;
  if (first.empty()) {  // suffix: the last N bytes
    if (!ParseNumber(last, b)) return r;
    if (b == 0 || size == 0) return {ByteRange::kUnsatisfiable, 0, 0};
    const uint64_t n = b < size ? b : size;
    return {ByteRange::kSatisfiable, size - n, n};
  }
  if (!ParseNumber(first, a)) return r;
  if (last.empty()) {
    b = UINT64_MAX;
  } else if (!ParseNumber(last, b) || b < a) {
    return r;  // syntactically invalid: ignored, per RFC 9110
  }
  if (a >= size) return {ByteRange::kUnsatisfiable, 0, 0};
  const uint64_t end = b < size - 1 ? b : size - 1;
  return {ByteRange::kSatisfiable, a, end - a + 1};
}

}  // namespace fsvc
