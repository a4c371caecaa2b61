// Response bodies read from files, for httplib content providers.
//
// WriteFileSlice writes the first part (at most `want` bytes) of a file's
// bytes starting at `offset` into `sink`. On our own connections the bytes go
// from the page cache to the socket (sendfile) with no buffer in between;
// elsewhere they pass through one bounded buffer. Either way a reader that
// stops reading blocks the write until the stream's write timeout drops it.
// False when the file cannot be read (it shrank, or an I/O error) or the
// client is gone: the response is then aborted.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>

namespace fsvc {

bool WriteFileSlice(httplib::DataSink& sink, int fd, uint64_t offset, size_t want);

}  // namespace fsvc
