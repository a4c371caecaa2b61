// Turns a captured Profile into what a /debug/pprof/* handler sends.
//
// Contract: kProto is gzipped profile.proto (what `go tool pprof URL` fetches, sent as an
// attachment named "profile" like Go's), kText is the ?debug=1 form, kFlameGraph the SVG.
// Fails only if compression does (kInternal).
#pragma once

#include <string>

#include "observability/pprof/profile_proto.h"
#include "util/error.h"

namespace fsvc::pprof {

struct HttpBody {
  std::string body;
  std::string content_type;
  std::string content_disposition;  // empty: send none
};

enum class ProfileFormat { kProto, kText, kFlameGraph };

Result<HttpBody> RenderProfile(const Profile& profile, ProfileFormat format,
                               const std::string& title);

}  // namespace fsvc::pprof
