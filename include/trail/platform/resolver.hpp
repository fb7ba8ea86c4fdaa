// Name resolution for the TCP transports (socket_posix.hpp and
// socket_windows.hpp): numeric hosts resolve at once, names on a helper
// thread waited for until the deadline, so that a resolver that never
// answers cannot hold the flusher (or shutdown) past it.
#pragma once

#include "../export/transport.hpp"

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace trail::detail {

struct AddrinfoFree {
  void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoFree>;

// ResolverFn has getaddrinfo's signature (tests put one that never answers
// there); `describe` turns a failed lookup's return code and errno into text.
template <class ResolverFn>
class HostResolver {
 public:
  using Describe = std::string (*)(int rc, int err);
  HostResolver(ResolverFn resolver, Describe describe) noexcept : resolver_(resolver), describe_(describe) {}

  // A lookup still running at the deadline is kept: the next call for the
  // same host waits for it instead of starting another thread.
  TransportStatus resolve(const std::string& host, const std::string& port, TransportDeadline deadline,
                          AddrinfoPtr& out, std::string& error) {
    const addrinfo numeric = hints(AI_NUMERICSERV | AI_NUMERICHOST);
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &numeric, &found) == 0) {
      out.reset(found);
      return TransportStatus::ok;
    }
    if (pending_ == nullptr || pending_->host != host || pending_->port != port) {
      auto lookup = std::make_shared<Lookup>();
      lookup->host = host;
      lookup->port = port;
      std::thread([lookup, resolver = resolver_] {
        const addrinfo by_name = hints(AI_NUMERICSERV);
        addrinfo* result = nullptr;
        const int rc = resolver(lookup->host.c_str(), lookup->port.c_str(), &by_name, &result);
        const int err = errno;
        std::lock_guard<std::mutex> lock(lookup->mutex);
        lookup->rc = rc;
        lookup->err = err;
        lookup->result = result;
        lookup->done = true;
        lookup->done_cv.notify_all();
      }).detach();
      pending_ = std::move(lookup);
    }
    // Outlives the lock on its own mutex (pending_ is reset below).
    const std::shared_ptr<Lookup> lookup = pending_;
    {
      std::unique_lock<std::mutex> lock(lookup->mutex);
      if (!lookup->done_cv.wait_until(lock, deadline, [&lookup] { return lookup->done; })) {
        error = "timed out resolving '" + host + "'";
        return TransportStatus::timeout;
      }
    }
    pending_.reset();
    if (lookup->rc != 0) {
      error = "cannot resolve '" + host + "': " + describe_(lookup->rc, lookup->err);
      return TransportStatus::failed;
    }
    out.reset(lookup->result);
    lookup->result = nullptr;
    return TransportStatus::ok;
  }

 private:
  // One lookup, shared between the thread that runs it and the transport
  // that waits for it (which may give up and leave it running).
  struct Lookup {
    std::string host, port;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int rc = 0;
    int err = 0;  // errno, for EAI_SYSTEM
    addrinfo* result = nullptr;

    ~Lookup() {
      if (result != nullptr) ::freeaddrinfo(result);
    }
  };

  static addrinfo hints(int flags) noexcept {
    addrinfo h{};
    h.ai_family = AF_UNSPEC;
    h.ai_socktype = SOCK_STREAM;
    h.ai_protocol = IPPROTO_TCP;
    h.ai_flags = flags;
    return h;
  }

  ResolverFn resolver_;
  Describe describe_;
  std::shared_ptr<Lookup> pending_;
};

}  // namespace trail::detail
