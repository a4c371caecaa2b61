// Configuration parsing: input lines are arguments until an empty line,
// then KEY=VALUE environment lines. Never crashes; a parsed config is sane.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  bool in_env = false;
  while (!in.empty()) {
    const size_t nl = std::min(in.find('\n'), in.size());
    const std::string_view line = in.substr(0, nl);
    in.remove_prefix(std::min(nl + 1, in.size()));
    if (!in_env && line.empty()) {
      in_env = true;
    } else if (!in_env) {
      args.emplace_back(line);
    } else if (const size_t eq = line.find('='); eq != std::string_view::npos) {
      env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
  }
  fsvc::MachineLimits limits;
  auto parsed = fsvc::ParseConfig(args, env, limits);
  if (parsed) {
    const fsvc::Config& c = parsed->config;
    if (c.threads < 1 || c.port < 0 || c.port > 65535) std::abort();
    if (c.default_page_size > c.max_page_size) std::abort();
    (void)fsvc::ConfigHelp(c);
  }
  return 0;
}
