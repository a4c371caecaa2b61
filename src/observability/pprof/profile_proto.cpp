#include "observability/pprof/profile_proto.h"

#include <zlib.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace fsvc::pprof {

Profile DeltaProfile(const Profile& before, Profile after) {
  auto key = [](const Profile& p, const Sample& s) {
    std::vector<uint64_t> addresses;
    addresses.reserve(s.location_ids.size());
    for (uint64_t id : s.location_ids) addresses.push_back(p.locations[id - 1].address);
    return addresses;
  };
  std::map<std::vector<uint64_t>, const Sample*> earlier;
  for (const Sample& s : before.samples) earlier.emplace(key(before, s), &s);
  std::vector<Sample> kept;
  for (Sample& s : after.samples) {
    auto it = earlier.find(key(after, s));
    if (it != earlier.end()) {
      for (size_t i = 0; i < s.values.size() && i < it->second->values.size(); ++i) {
        s.values[i] -= it->second->values[i];
      }
    }
    if (std::any_of(s.values.begin(), s.values.end(), [](int64_t v) { return v != 0; })) {
      kept.push_back(std::move(s));
    }
  }
  // A stack of `before` missing from `after` adds nothing: the profiles this is for
  // (jemalloc's with prof_accum, mutex contention) keep every stack they ever counted.
  after.samples = std::move(kept);
  after.time_nanos = before.time_nanos;
  return after;
}

uint64_t Profile::InternLocation(uint64_t address) {
  auto [it, inserted] = location_by_address_.try_emplace(address, locations.size() + 1);
  if (inserted) locations.push_back(Location{address, 0, {}});
  return it->second;
}

namespace {

// Minimal protobuf writer: only the wire types profile.proto uses (varint, length-delimited).
class ProtoWriter {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Tag(int field, int wire_type) { Varint(static_cast<uint64_t>(field) << 3 | wire_type); }
  // Zero is the default and is omitted, as protobuf encoders do.
  void Int(int field, uint64_t v) {
    if (v == 0) return;
    Tag(field, 0);
    Varint(v);
  }
  void Bool(int field, bool v) { Int(field, v ? 1 : 0); }
  void Bytes(int field, std::string_view bytes) {
    Tag(field, 2);
    Varint(bytes.size());
    out_.append(bytes);
  }
  template <class Seq>
  void Packed(int field, const Seq& values) {
    if (values.empty()) return;
    ProtoWriter inner;
    for (auto v : values) inner.Varint(static_cast<uint64_t>(v));
    Bytes(field, inner.out_);
  }
  void Message(int field, const ProtoWriter& inner) { Bytes(field, inner.out_); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class StringTable {
 public:
  StringTable() { Index(""); }  // profile.proto requires string_table[0] == ""
  uint64_t Index(const std::string& s) {
    auto [it, inserted] = ids_.try_emplace(s, strings_.size());
    if (inserted) strings_.push_back(s);
    return it->second;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, uint64_t> ids_;
  std::vector<std::string> strings_;
};

ProtoWriter EncodeValueType(const ValueType& vt, StringTable& strings) {
  ProtoWriter w;
  w.Int(1, strings.Index(vt.type));
  w.Int(2, strings.Index(vt.unit));
  return w;
}

}  // namespace

std::string EncodeProfile(const Profile& profile) {
  StringTable strings;
  ProtoWriter out;

  for (const auto& st : profile.sample_types) out.Message(1, EncodeValueType(st, strings));

  for (const auto& sample : profile.samples) {
    ProtoWriter s;
    s.Packed(1, sample.location_ids);
    s.Packed(2, sample.values);
    out.Message(2, s);
  }

  for (size_t i = 0; i < profile.mappings.size(); ++i) {
    const Mapping& m = profile.mappings[i];
    ProtoWriter w;
    w.Int(1, i + 1);
    w.Int(2, m.start);
    w.Int(3, m.limit);
    w.Int(4, m.offset);
    w.Int(5, strings.Index(m.file));
    w.Int(6, strings.Index(m.build_id));
    w.Bool(7, m.has_functions);
    w.Bool(8, m.has_filenames);
    w.Bool(9, m.has_line_numbers);
    w.Bool(10, m.has_inline_frames);
    out.Message(3, w);
  }

  // Functions are shared by every line naming the same (name, symbol, file).
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> function_ids;
  std::vector<const Line*> functions;
  for (size_t i = 0; i < profile.locations.size(); ++i) {
    const Location& loc = profile.locations[i];
    ProtoWriter w;
    w.Int(1, i + 1);
    w.Int(2, loc.mapping_id);
    w.Int(3, loc.address);
    for (const Line& line : loc.lines) {
      auto [it, inserted] = function_ids.try_emplace(
          std::make_tuple(line.function, line.system_name, line.file), functions.size() + 1);
      if (inserted) functions.push_back(&line);
      ProtoWriter lw;
      lw.Int(1, it->second);
      lw.Int(2, static_cast<uint64_t>(line.line));
      w.Message(4, lw);
    }
    out.Message(4, w);
  }

  for (size_t i = 0; i < functions.size(); ++i) {
    ProtoWriter w;
    w.Int(1, i + 1);
    w.Int(2, strings.Index(functions[i]->function));
    w.Int(3, strings.Index(functions[i]->system_name));
    w.Int(4, strings.Index(functions[i]->file));
    out.Message(5, w);
  }

  out.Int(9, static_cast<uint64_t>(profile.time_nanos));
  out.Int(10, static_cast<uint64_t>(profile.duration_nanos));
  out.Message(11, EncodeValueType(profile.period_type, strings));
  out.Int(12, static_cast<uint64_t>(profile.period));
  std::vector<uint64_t> comment_ids;
  for (const auto& c : profile.comments) comment_ids.push_back(strings.Index(c));
  for (uint64_t id : comment_ids) out.Int(13, id);
  if (!profile.default_sample_type.empty()) {
    out.Int(14, strings.Index(profile.default_sample_type));
  }

  // The string table goes last because only now is it complete; field order is free.
  for (const auto& s : strings.strings()) out.Bytes(6, s);
  return out.Take();
}

Result<std::string> Gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper instead of raw zlib.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Error{Errc::kInternal, "deflateInit2 failed"};
  }
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Error{Errc::kInternal, "deflate did not finish"};
  return out;
}

}  // namespace fsvc::pprof
