#include "http/message.h"

#include <algorithm>

namespace fsvc {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

std::string_view Request::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

bool Request::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

std::string Request::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

bool Request::HasParam(std::string_view name) const {
  return params.count(std::string(name)) > 0;
}

std::string_view Request::RawQuery() const {
  const size_t q = target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
}

bool Request::IsMultipartForm() const {
  const std::string_view type =
      Trim(Header("Content-Type").substr(0, Header("Content-Type").find(';')));
  return EqualsIgnoreCase(type, "multipart/form-data");
}

std::string Request::MultipartBoundary() const {
  std::string_view rest = Header("Content-Type");
  for (size_t semi = rest.find(';'); semi != std::string_view::npos; semi = rest.find(';')) {
    rest.remove_prefix(semi + 1);
    std::string_view param = Trim(rest.substr(0, rest.find(';')));
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos || !EqualsIgnoreCase(Trim(param.substr(0, eq)), "boundary")) {
      continue;
    }
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return {};
}

Status Request::ReadBody(const BodySink& sink) const {
  if (!puller_) return Error{Errc::kInternal, "this route has no streamed body"};
  return puller_(sink);
}

void Response::SetHeader(std::string_view name, std::string value) {
  for (auto& [k, v] : headers_) {
    if (EqualsIgnoreCase(k, name)) {
      v = std::move(value);
      return;
    }
  }
  headers_.emplace_back(std::string(name), std::move(value));
}

std::string_view Response::Header(std::string_view name) const {
  return FindHeader(headers_, name);
}

void Response::SetBody(std::string body, std::string content_type) {
  body_ = std::move(body);
  content_type_ = std::move(content_type);
  file_ = {};
  stream_ = {};
}

void Response::SetFileBody(FileBody file, std::string content_type) {
  body_.clear();
  file_ = std::move(file);
  stream_ = {};
  content_type_ = std::move(content_type);
}

void Response::SetStreamBody(StreamBody stream, std::string content_type) {
  body_.clear();
  file_ = {};
  stream_ = std::move(stream);
  content_type_ = std::move(content_type);
}

uint64_t Response::body_length() const {
  if (file()) return file_.length;
  if (stream()) return stream_.length;
  return body_.size();
}

}  // namespace fsvc
