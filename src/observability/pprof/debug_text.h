// The human-readable `?debug=1` form of a profile, Go-like.
//
// Contract: a heap profile (Go's four heap sample types) is written in the layout of Go's
// heap ?debug=1 ("heap profile: ... @ heap/<2*period>", one "<inuse objs>: <bytes> [<alloc
// objs>: <bytes>] @ addrs" line per stack, largest first, followed by
// "#\taddr\tfunction\tfile:line" frames); unlike Go's, the values are already un-sampled
// estimates. Any other profile (CPU) gets a header, a top-functions table by the default
// (last) sample type, then every stack in the same "values @ addrs" + frames layout.
#pragma once

#include <string>

#include "observability/pprof/profile_proto.h"

namespace fsvc::pprof {

std::string RenderDebugText(const Profile& profile);

}  // namespace fsvc::pprof
