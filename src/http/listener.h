// A listening TCP socket and its accept loop.
//
// Bind() resolves the host (a numeric address or a name), binds the port (0:
// any free one) with SO_REUSEADDR and listens with the given backlog.
// Accept() hands every accepted socket (non-blocking, close-on-exec) to
// `on_accept` on the calling thread until Stop(), then closes the listening
// socket, so clients that come during shutdown are refused by the kernel
// instead of waiting in the backlog. Out of descriptors (EMFILE and the
// like), it waits a little and retries rather than spinning: the backlog
// holds the connections meanwhile. Stop() is safe from any thread and from a
// signal watcher; Accept() runs on one thread.
#pragma once

#include <functional>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace fsvc {

class Listener {
 public:
  Listener() = default;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Returns the bound port.
  Result<int> Bind(const std::string& host, int port, int backlog);
  Status Accept(const std::function<void(UniqueFd)>& on_accept);
  void Stop();

 private:
  UniqueFd socket_;
  UniqueFd wake_;  // eventfd: ends Accept
};

}  // namespace fsvc
