// Errors as values at module boundaries.
//
// Every module returns Result<T> (or Status for no value) instead of throwing.
// An Error carries a stable Errc (which the HTTP layer maps to a status code
// and a machine-readable string) and a human message.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace fsvc {

enum class Errc {
  kInvalidArgument,      // malformed request field, bad query parameter
  kInvalidPath,          // path failed normalisation (traversal, control chars...)
  kNotFound,             // no such file or folder
  kConflict,             // e.g. a file where a folder is expected
  kPayloadTooLarge,      // upload over the configured maximum
  kTooManyFiles,         // batch over its count limit
  kRangeNotSatisfiable,  // Range header outside the file
  kInsufficientStorage,  // disk full / quota
  kUnauthorized,         // no or unknown credentials
  kForbidden,            // credentials lack the role; forged link
  kGone,                 // expired link
  kRateLimited,          // token bucket empty
  kUnavailable,          // overloaded or not ready
  kInternal,             // I/O error, database error, bug
  // Request framing, answered by the HTTP boundary (src/http/boundary.h).
  kMethodNotAllowed,     // the route exists, not for this method
  kBodyNotAllowed,       // a body sent to a route that takes none
  kLengthRequired,       // an upload with neither Content-Length nor chunking
  kUnsupportedEncoding,  // Content-Encoding on a request body
  kExpectationFailed,    // an Expect other than 100-continue
  kRequestTimeout,       // a body slower than the minimum rate, or stalled
  kFormTooLarge,         // multipart form fields over their count or byte bound
  kHeaderTooLarge,       // request line + header block over MAX_HEADER_BYTES
  kUriTooLong,           // request target over its bound
  kPreconditionFailed,   // If-Match / If-None-Match / If-Unmodified-Since false (RFC 9110 13)
  kDigestMismatch,       // a checksum the client sent differs from what arrived (RFC 9530)
  kHttpsRequired,        // plain HTTP sent to a port that speaks TLS
};

// The stable, documented string for a code ("invalid_path", ...).
std::string_view ErrcName(Errc code);

struct Error {
  Errc code;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  Result(Errc code, std::string message) : v_(Error{code, std::move(message)}) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() {
  return Ok{};
}

}  // namespace fsvc
