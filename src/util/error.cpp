#include "util/error.h"

namespace fsvc {

std::string_view ErrcName(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kInvalidPath:
      return "invalid_path";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kConflict:
      return "conflict";
    case Errc::kPayloadTooLarge:
      return "payload_too_large";
    case Errc::kTooManyFiles:
      return "too_many_files";
    case Errc::kRangeNotSatisfiable:
      return "range_not_satisfiable";
    case Errc::kInsufficientStorage:
      return "insufficient_storage";
    case Errc::kUnauthorized:
      return "unauthorized";
    case Errc::kForbidden:
      return "forbidden";
    case Errc::kGone:
      return "gone";
    case Errc::kRateLimited:
      return "rate_limited";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace fsvc
