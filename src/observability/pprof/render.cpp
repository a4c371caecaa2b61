#include "observability/pprof/render.h"

#include "observability/pprof/debug_text.h"
#include "observability/pprof/flamegraph.h"

namespace fsvc::pprof {

Result<HttpBody> RenderProfile(const Profile& profile, ProfileFormat format,
                               const std::string& title) {
  switch (format) {
    case ProfileFormat::kText:
      return HttpBody{RenderDebugText(profile), "text/plain; charset=utf-8", ""};
    case ProfileFormat::kFlameGraph: {
      FlameGraphOptions options;
      options.title = title;
      return HttpBody{RenderFlameGraphSvg(profile, options), "image/svg+xml", ""};
    }
    case ProfileFormat::kProto:
      break;
  }
  auto gz = EncodeProfileGzipped(profile);
  if (!gz.ok()) return gz.error();
  return HttpBody{std::move(*gz), "application/octet-stream", "attachment; filename=\"profile\""};
}

}  // namespace fsvc::pprof
