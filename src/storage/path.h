// Client-supplied paths, normalised into the one form storage accepts.
//
// A file path is "seg/seg/name": relative, '/'-separated, no empty, "." or
// ".." segments, no NUL/control characters or backslashes, valid UTF-8,
// segments up to 255 bytes and the whole up to 1024. A folder path is the
// same, or "" for the root ("/" and "" both name the root). Storage keys are
// these strings; they never reach the file system, so no path can escape the
// data folder whatever it contains.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace fsvc {

inline constexpr size_t kMaxSegmentBytes = 255;
inline constexpr size_t kMaxPathBytes = 1024;

// A file: non-empty. A single trailing '/' is rejected (it names a folder).
Result<std::string> NormalizeFilePath(std::string_view raw);
// A folder: "" or "/" is the root; one trailing '/' is tolerated.
Result<std::string> NormalizeFolderPath(std::string_view raw);

// "a/b/c.txt" -> "a/b"; "c.txt" -> "".
std::string_view ParentFolder(std::string_view path);
// "a/b/c.txt" -> "c.txt".
std::string_view BaseName(std::string_view path);
// "a/b" + "c.txt" -> "a/b/c.txt"; "" + "c.txt" -> "c.txt".
std::string JoinPath(std::string_view folder, std::string_view name);

}  // namespace fsvc
