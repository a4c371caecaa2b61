#include "http/error_response.h"

namespace fsvc {

int HttpStatusFor(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return 400;
    case Errc::kInvalidPath:
      return 400;
    case Errc::kUnauthorized:
      return 401;
    case Errc::kForbidden:
      return 403;
    case Errc::kNotFound:
      return 404;
    case Errc::kConflict:
      return 409;
    case Errc::kGone:
      return 410;
    case Errc::kPayloadTooLarge:
      return 413;
    case Errc::kTooManyFiles:
      return 413;
    case Errc::kRangeNotSatisfiable:
      return 416;
    case Errc::kRateLimited:
      return 429;
    case Errc::kInternal:
      return 500;
    case Errc::kUnavailable:
      return 503;
    case Errc::kInsufficientStorage:
      return 507;
    case Errc::kMethodNotAllowed:
      return 405;
    case Errc::kBodyNotAllowed:
      return 413;
    case Errc::kLengthRequired:
      return 411;
    case Errc::kUnsupportedEncoding:
      return 415;
    case Errc::kExpectationFailed:
      return 417;
    case Errc::kRequestTimeout:
      return 408;
    case Errc::kFormTooLarge:
      return 413;
    case Errc::kHeaderTooLarge:
      return 431;
    case Errc::kUriTooLong:
      return 414;
    case Errc::kPreconditionFailed:
      return 412;
    case Errc::kDigestMismatch:
    case Errc::kHttpsRequired:
      return 400;
  }
  return 500;
}

nlohmann::json ErrorJson(const Error& error) {
  return {{"error", {{"code", ErrcName(error.code)}, {"message", error.message}}}};
}

void SendError(Response& res, const Error& error) {
  // Unavailable is passing by nature (a store that is down or busy, a file
  // changing too fast): say when to try again, as the boundary's 503s do.
  if (error.code == Errc::kUnavailable) res.SetHeader("Retry-After", "1");
  SendJson(res, HttpStatusFor(error.code), ErrorJson(error));
}

void SendJson(Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.SetBody(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
              "application/json");
}

}  // namespace fsvc
