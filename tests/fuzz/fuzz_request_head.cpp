// The request boundary's parsers on arbitrary bytes: the header block, the
// framing it declares, and the body read as framed from what follows.
// Never crashes; a parsed head lies within the input, within its bound; the
// body reader never hands on more than its limit nor reads past the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/body_reader.h"
#include "http/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMaxHead = 4096;
  auto head = fsvc::ParseRequestHead(input, kMaxHead);
  if (!head) return 0;
  if (head->size > input.size() || head->size > kMaxHead) std::abort();
  auto framing = fsvc::ParseFraming(*head);
  if (!framing) return 0;
  std::string_view rest = input.substr(head->size);
  const size_t available = rest.size();
  fsvc::BodyReader::Limits limits;
  limits.max_bytes = 1 << 16;
  fsvc::BodyReader reader(*framing, limits, [&rest](char* buf, size_t n) {
    const size_t take = std::min(n, rest.size());
    std::copy_n(rest.data(), take, buf);
    rest.remove_prefix(take);
    return static_cast<long>(take);
  });
  uint64_t delivered = 0;
  auto st = reader.ReadAll([&delivered](std::string_view piece) {
    delivered += piece.size();
    return fsvc::OkStatus();
  });
  if (delivered > limits.max_bytes || delivered > available) std::abort();
  if (st.ok() && !reader.complete()) std::abort();
  // What was read past the body's end is part of what was read at all.
  if (reader.leftover().size() > available - rest.size()) std::abort();
  return 0;
}
