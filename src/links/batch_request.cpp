#include "links/batch_request.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

namespace fsvc {
namespace {

// nlohmann's SAX interface: no document is built, and the strings it hands
// over live in the lexer's reused buffer, so the only allocations are the
// result vector and one per path.
class BatchRequestSax {
 public:
  using json = nlohmann::json;

  explicit BatchRequestSax(std::size_t max_paths) : max_paths_(max_paths) {}

  bool null() { return OnValue(Kind::kScalar); }
  bool boolean(bool) { return OnValue(Kind::kScalar); }
  bool number_integer(json::number_integer_t) { return OnValue(Kind::kScalar); }
  bool number_unsigned(json::number_unsigned_t) { return OnValue(Kind::kScalar); }
  bool number_float(json::number_float_t, const json::string_t&) { return OnValue(Kind::kScalar); }
  bool binary(json::binary_t&) { return OnValue(Kind::kScalar); }
  bool string(json::string_t& value) {
    if (!InPaths()) return OnValue(Kind::kScalar);
    if (paths_.size() == max_paths_) {
      return Fail(Errc::kTooManyFiles,
                  "at most " + std::to_string(max_paths_) + " paths per batch-download request");
    }
    paths_.emplace_back(value);  // copied: the lexer keeps its buffer's capacity
    return true;
  }
  bool start_object(std::size_t) {
    if (!OnValue(Kind::kObject)) return false;
    ++depth_;
    return true;
  }
  bool key(json::string_t& name) {
    if (depth_ != 1) return true;
    paths_next_ = name == "paths";
    if (paths_next_ && seen_paths_) return Fail(Errc::kInvalidArgument, "duplicate \"paths\"");
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (!OnValue(Kind::kArray)) return false;
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    // Drop the "[json.exception.parse_error.101] " tag: the rest says where and why.
    const std::string_view what = e.what();
    const auto tag_end = what.find("] ");
    return Fail(
        Errc::kInvalidArgument,
        "malformed JSON: " +
            std::string(tag_end == std::string_view::npos ? what : what.substr(tag_end + 2)));
  }

  Result<std::vector<std::string>> Finish(bool parsed) && {
    if (error_) return std::move(*error_);
    if (!parsed) return Error{Errc::kInvalidArgument, "malformed JSON"};
    if (!seen_paths_) return Error{Errc::kInvalidArgument, "missing \"paths\""};
    if (paths_.empty()) return Error{Errc::kInvalidArgument, "\"paths\" must not be empty"};
    return std::move(paths_);
  }

 private:
  enum class Kind { kScalar, kObject, kArray };

  bool InPaths() const { return depth_ == 2 && in_paths_array_; }

  // Every value but a path string passes here before it is entered.
  bool OnValue(Kind kind) {
    if (depth_ == 0) {
      return kind == Kind::kObject || Fail(Errc::kInvalidArgument, "body must be a JSON object");
    }
    if (depth_ == 1 && paths_next_) {
      paths_next_ = false;
      if (kind != Kind::kArray) {
        return Fail(Errc::kInvalidArgument, "\"paths\" must be an array of strings");
      }
      seen_paths_ = in_paths_array_ = true;
      paths_.reserve(std::min<std::size_t>(max_paths_, 16));
      return true;
    }
    if (depth_ == 1) in_paths_array_ = false;  // another field's value
    if (InPaths()) {
      return Fail(Errc::kInvalidArgument,
                  "paths[" + std::to_string(paths_.size()) + "] must be a string");
    }
    return true;
  }

  bool Fail(Errc code, std::string message) {
    error_ = Error{code, std::move(message)};
    return false;
  }

  std::size_t max_paths_;
  int depth_ = 0;
  bool paths_next_ = false;      // the last key at depth 1 was "paths"
  bool in_paths_array_ = false;  // depth 2 is the "paths" array
  bool seen_paths_ = false;
  std::vector<std::string> paths_;
  std::optional<Error> error_;
};

}  // namespace

Result<std::vector<std::string>> ParseBatchDownloadRequest(std::string_view body,
                                                           std::size_t max_paths) {
  BatchRequestSax sax(max_paths);
  // Errors reach the handler's parse_error(); nothing throws unless it does.
  const bool parsed = nlohmann::json::sax_parse(body, &sax);
  return std::move(sax).Finish(parsed);
}

}  // namespace fsvc
