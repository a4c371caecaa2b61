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
    case Errc::kMethodNotAllowed:
      return "method_not_allowed";
    case Errc::kBodyNotAllowed:
      return "body_not_allowed";
    case Errc::kLengthRequired:
      return "length_required";
    case Errc::kUnsupportedEncoding:
      return "unsupported_encoding";
    case Errc::kExpectationFailed:
      return "expectation_failed";
    case Errc::kRequestTimeout:
      return "request_timeout";
    case Errc::kFormTooLarge:
      return "form_too_large";
    case Errc::kHeaderTooLarge:
      return "header_too_large";
    case Errc::kUriTooLong:
      return "uri_too_long";
    case Errc::kPreconditionFailed:
      return "precondition_failed";
    case Errc::kDigestMismatch:
      return "digest_mismatch";
    case Errc::kHttpsRequired:
      return "https_required";
  }
  return "internal";
}

}  // namespace fsvc
