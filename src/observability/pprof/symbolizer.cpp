#include "observability/pprof/symbolizer.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "util/hex.h"
#include "util/unique_fd.h"

extern char** environ;

namespace fsvc::pprof {
namespace {

struct Segment {
  uint64_t start;
  uint64_t limit;
  uint64_t offset;
};

struct Module {
  std::string path;       // as shown to the user
  std::string open_path;  // what addr2line opens (works even if the file was replaced)
  std::string build_id;
  uint64_t bias = 0;  // runtime address - link-time address
  std::vector<Segment> segments;
};

std::string HexBuildId(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const auto* nh = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const char* name = p + sizeof(ElfW(Nhdr));
      const char* desc = name + ((nh->n_namesz + 3) & ~3u);
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
          std::string_view(name, 3) == "GNU") {
        return HexEncode(reinterpret_cast<const unsigned char*>(desc), nh->n_descsz);
      }
      p = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
  return "";
}

std::vector<Module> LoadedModules() {
  std::vector<Module> modules;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        Module m;
        m.bias = info->dlpi_addr;
        m.path = info->dlpi_name ? info->dlpi_name : "";
        m.open_path = m.path;
        if (m.path.empty()) {  // the main executable
          char buf[4096];
          ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
          m.path = n > 0 ? std::string(buf, n) : "main";
          // Our pid, not addr2line's: /proc/self would name the child.
          m.open_path = "/proc/" + std::to_string(getpid()) + "/exe";
        }
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
            uint64_t start = info->dlpi_addr + ph.p_vaddr;
            m.segments.push_back({start, start + ph.p_memsz, ph.p_offset});
          }
        }
        m.build_id = HexBuildId(info);
        if (!m.segments.empty()) static_cast<std::vector<Module>*>(data)->push_back(std::move(m));
        return 0;
      },
      &modules);
  return modules;
}

// Index of the module and segment holding `address`, or {-1, -1}.
std::pair<int, int> Find(const std::vector<Module>& modules, uint64_t address) {
  for (size_t i = 0; i < modules.size(); ++i) {
    for (size_t j = 0; j < modules[i].segments.size(); ++j) {
      const Segment& s = modules[i].segments[j];
      if (address >= s.start && address < s.limit) return {int(i), int(j)};
    }
  }
  return {-1, -1};
}

// Runs `argv` with stdout captured and stdin/stderr on /dev/null; empty on any failure.
std::string RunCapture(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "";
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.reset();  // so that read() sees EOF when the child exits
  if (rc != 0) return "";
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(read_end.get(), buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, n);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out.clear();
  return out;
}

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

// Parses `addr2line -a -f -i -C` output: an address line, then (function, file:line) pairs,
// innermost inline frame first.
std::map<uint64_t, std::vector<Line>> ParseAddr2line(std::string_view out, uint64_t bias) {
  std::map<uint64_t, std::vector<Line>> result;
  std::vector<Line>* current = nullptr;
  std::string pending_function;
  bool want_function = true;
  while (!out.empty()) {
    size_t nl = out.find('\n');
    std::string_view line = TrimLine(out.substr(0, nl));
    out.remove_prefix(nl == std::string_view::npos ? out.size() : nl + 1);
    if (want_function && line.size() > 2 && line.substr(0, 2) == "0x") {
      current = &result[std::strtoull(std::string(line).c_str(), nullptr, 16) + bias];
      continue;
    }
    if (current == nullptr) continue;
    if (want_function) {
      pending_function = std::string(line);
      want_function = false;
      continue;
    }
    want_function = true;
    std::string_view loc = line.substr(0, line.find(" (discriminator"));
    size_t colon = loc.rfind(':');
    // Without DWARF, addr2line names the nearest symbol below the address whatever its size,
    // often a wrong one: such frames are left to the size-checked dladdr fallback.
    if (pending_function == "??" || colon == std::string_view::npos ||
        loc.substr(0, colon) == "??") {
      continue;
    }
    Line l;
    l.system_name = pending_function;
    l.function = DisplayName(pending_function);
    l.file = std::string(loc.substr(0, colon));
    l.line = std::strtoll(std::string(loc.substr(colon + 1)).c_str(), nullptr, 10);
    current->push_back(std::move(l));
  }
  return result;
}

std::string HexOffset(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool Covers(const ElfW(Sym) * sym, const void* start, uint64_t address) {
  return sym->st_size == 0 || address < reinterpret_cast<uint64_t>(start) + sym->st_size;
}

std::vector<Line> DladdrLines(uint64_t address, const Module* module) {
  Dl_info info{};
  void* extra = nullptr;
  Line l;
  // dladdr answers with the nearest exported symbol below the address even when a static
  // function lies in between; the symbol's size tells whether it really covers the address.
  if (dladdr1(reinterpret_cast<void*>(address), &info, &extra, RTLD_DL_SYMENT) != 0 &&
      info.dli_sname != nullptr && extra != nullptr &&
      Covers(static_cast<const ElfW(Sym)*>(extra), info.dli_saddr, address)) {
    l.system_name = Demangle(info.dli_sname);
    l.function = DisplayName(l.system_name);
  } else if (module != nullptr) {
    std::string base = module->path.substr(module->path.rfind('/') + 1);
    l.function = l.system_name = base + "+" + HexOffset(address - module->bias);
  } else {
    l.function = l.system_name = HexOffset(address);
  }
  return {std::move(l)};
}

}  // namespace

std::string Demangle(const char* symbol) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(symbol, nullptr, nullptr, &status), &std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(symbol);
}

std::string DisplayName(std::string_view name) {
  // Drop trailing qualifiers of a member function, then the parameter list they follow.
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (name.size() > q.size() && name.substr(name.size() - q.size()) == q) {
        name.remove_suffix(q.size());
        stripped = true;
      }
    }
  }
  if (name.empty() || name.back() != ')') return std::string(name);
  int depth = 0;
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) {
      // "(anonymous namespace)" alone is not a parameter list.
      return i == 0 ? std::string(name) : std::string(name.substr(0, i));
    }
  }
  return std::string(name);
}

Symbolizer& Symbolizer::Global() {
  static Symbolizer instance;
  return instance;
}

void Symbolizer::Symbolize(Profile& profile) {
  const std::vector<Module> modules = LoadedModules();
  std::lock_guard<std::mutex> lock(mu_);
  // Code addresses are bounded by the code size, but a bound keeps a pathological case cheap.
  if (cache_.size() > (1u << 20)) cache_.clear();

  std::map<int, std::vector<uint64_t>> misses_by_module;
  for (const Location& loc : profile.locations) {
    if (!use_addr2line_ || cache_.count(loc.address) != 0) continue;
    int module = Find(modules, loc.address).first;
    if (module >= 0 && access(modules[module].open_path.c_str(), R_OK) == 0) {
      misses_by_module[module].push_back(loc.address);
    }
  }
  for (const auto& [index, addresses] : misses_by_module) {
    const Module& m = modules[index];
    constexpr size_t kChunk = 20000;  // keeps argv well under ARG_MAX
    for (size_t i = 0; i < addresses.size(); i += kChunk) {
      std::vector<std::string> args = {"addr2line", "-a", "-f", "-i", "-C", "-e", m.open_path};
      for (size_t j = i; j < std::min(addresses.size(), i + kChunk); ++j) {
        args.push_back(HexOffset(addresses[j] - m.bias));
      }
      for (auto& [address, lines] : ParseAddr2line(RunCapture(args), m.bias)) {
        if (!lines.empty()) cache_[address] = std::move(lines);
      }
    }
  }

  // Mappings follow the loader's order, so the main executable comes first: pprof takes the
  // first mapping as "the binary" in its report header.
  std::map<std::pair<int, int>, uint64_t> mapping_ids;
  for (const Location& loc : profile.locations) {
    auto found = Find(modules, loc.address);
    if (found.first >= 0) mapping_ids.emplace(found, 0);
  }
  for (auto& [key, id] : mapping_ids) {
    const Module& m = modules[key.first];
    const Segment& s = m.segments[key.second];
    profile.mappings.push_back(Mapping{s.start, s.limit, s.offset, m.path, m.build_id,
                                       /*has_functions=*/true, /*has_filenames=*/true,
                                       /*has_line_numbers=*/true, /*has_inline_frames=*/true});
    id = profile.mappings.size();
  }
  for (Location& loc : profile.locations) {
    auto found = Find(modules, loc.address);
    const Module* m = found.first >= 0 ? &modules[found.first] : nullptr;
    auto cached = cache_.find(loc.address);
    if (cached == cache_.end()) {
      cached = cache_.emplace(loc.address, DladdrLines(loc.address, m)).first;
    }
    loc.lines = cached->second;
    if (m != nullptr) loc.mapping_id = mapping_ids[found];
  }
}

}  // namespace fsvc::pprof
