#include "api/preconditions.h"

#include <ctime>

namespace fsvc {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> HeaderIfPresent(const Request& req, std::string_view name) {
  if (!req.HasHeader(name)) return std::nullopt;
  return std::string(Trim(req.Header(name)));
}

std::optional<int64_t> DateHeader(const Request& req, std::string_view name) {
  if (!req.HasHeader(name)) return std::nullopt;
  return ParseHttpDate(req.Header(name));
}

int64_t ModifiedSeconds(const FileInfo& f) {
  return f.modified_ms / 1000;
}

}  // namespace

bool ETagListMatches(std::string_view header, std::string_view etag, bool weak) {
  header = Trim(header);
  if (header == "*") return true;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = Trim(header.substr(pos, end - pos));
    const bool is_weak = tag.substr(0, 2) == "W/";
    if (is_weak) tag.remove_prefix(2);
    if ((weak || !is_weak) && tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

bool IfRangeMatches(std::string_view value, const FileInfo& file, int64_t now_ms) {
  value = Trim(value);
  if (value.starts_with('"') || value.starts_with("W/")) {
    return ETagListMatches(value, file.ETag(), /*weak=*/false);
  }
  const std::optional<int64_t> date = ParseHttpDate(value);
  return date && *date == ModifiedSeconds(file) && ModifiedSeconds(file) < now_ms / 1000;
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  const std::string s(Trim(text));
  // IMF-fixdate, then the obsolete RFC 850 and asctime forms.
  static constexpr const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT",
                                             "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&tm));
  }
  return std::nullopt;
}

Preconditions Preconditions::From(const Request& req) {
  Preconditions p;
  p.if_match_ = HeaderIfPresent(req, "If-Match");
  p.if_none_match_ = HeaderIfPresent(req, "If-None-Match");
  p.if_unmodified_since_ = DateHeader(req, "If-Unmodified-Since");
  p.if_modified_since_ = DateHeader(req, "If-Modified-Since");
  return p;
}

bool Preconditions::empty() const {
  return !if_match_ && !if_none_match_ && !if_unmodified_since_ && !if_modified_since_;
}

Preconditions::Outcome Preconditions::Evaluate(const FileInfo* current, bool safe) const {
  const std::string etag = current ? current->ETag() : std::string();
  if (if_match_) {
    if (!current || !ETagListMatches(*if_match_, etag, /*weak=*/false)) return Outcome::kFailed;
  } else if (if_unmodified_since_ && current && ModifiedSeconds(*current) > *if_unmodified_since_) {
    return Outcome::kFailed;
  }
  if (if_none_match_) {
    if (current && ETagListMatches(*if_none_match_, etag, /*weak=*/true)) {
      return safe ? Outcome::kNotModified : Outcome::kFailed;
    }
  } else if (safe && if_modified_since_ && current &&
             ModifiedSeconds(*current) <= *if_modified_since_) {
    return Outcome::kNotModified;
  }
  return Outcome::kProceed;
}

Status Preconditions::CheckWrite(const FileInfo* current) const {
  if (Evaluate(current, /*safe=*/false) == Outcome::kProceed) return OkStatus();
  return Error{Errc::kPreconditionFailed,
               current ? "precondition failed: the file's ETag is now " + current->ETag()
                       : std::string("precondition failed: there is no file at that path")};
}

FileGuard Preconditions::Guard() const {
  if (!if_match_ && !if_none_match_ && !if_unmodified_since_) return nullptr;
  return [p = *this](const FileInfo* current) { return p.CheckWrite(current); };
}

}  // namespace fsvc
