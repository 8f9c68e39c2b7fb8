// The HTTP/1.1 transport of `paraderm serve`: one epoll I/O thread owns every socket (accept, TLS,
// reading, parsing, writing, deadlines) and a worker pool runs the handlers. A worker is busy only
// while a complete request is being handled, never while a connection idles, trickles its headers
// (slowloris) or drains its response, so thousands of keep-alive connections cost file descriptors
// and buffers, not threads.
//
// cpp-httplib's Request/Response structs carry the exchange (the routes were written against them);
// its server, which ties a pool thread to each connection for the connection's lifetime, is not
// used.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "paraderm/status.h"

namespace paraderm::server::http {

struct Limits {
  std::size_t max_header_bytes = std::size_t{16} * 1024;  // request line + headers
  std::size_t max_target_bytes = std::size_t{8} * 1024;
  std::size_t max_headers = 100;
  std::size_t max_body_bytes = 4 << 20;
  int header_timeout_ms = 10'000;  // first byte of a request (or TLS hello) to its blank line
  int body_timeout_ms = 30'000;    // blank line to the last body byte
  int idle_timeout_ms = 5'000;     // keep-alive: waiting for the next request
  int write_timeout_ms = 10'000;   // a response that the peer does not read
  int drain_timeout_ms = 10'000;   // after stop(): time left to finish requests already begun
  int max_connections = 4096;      // beyond: 503 and close at once
  int keep_alive_max = 1000;       // requests per connection
  int backlog = 1024;              // listen(2) queue (the kernel caps it at net.core.somaxconn)
  int workers = 16;
};

using Clock = std::chrono::steady_clock;

// One request and its response as they pass through the server.
struct Exchange {
  httplib::Request req;
  httplib::Response res;
  std::string route;  // the matched route pattern (for logs and metrics; never the raw path)
  Clock::time_point start;
};

struct Callbacks {
  // Fills ex.res (and ex.route). Runs on a worker, or on the I/O thread when run_inline says so.
  std::function<void(Exchange&)> handle;
  // True for requests cheap enough to answer on the I/O thread (must not block): liveness probes
  // then answer even when every worker is busy.
  std::function<bool(const httplib::Request&)> run_inline;
  // Writes an error body for a request the transport refused (malformed, too large, timed out).
  std::function<void(Exchange&, int status, const std::string& message)> error;
  // Called once per response sent (also for those the transport produced).
  std::function<void(const Exchange&)> done;
};

struct TlsFiles {
  std::string cert, key;  // PEM files; both empty: plain HTTP
};

class Core {
 public:
  static Result<std::unique_ptr<Core>> create(const Limits& limits, Callbacks callbacks,
                                              const TlsFiles& tls);
  ~Core();
  Result<int> bind(const std::string& host, int port);  // returns the port (port 0: any free port)
  void run();                                           // until stop()
  void stop();                                          // from any thread
  bool tls() const;

 private:
  Core();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* status_reason(int status);

// Sets req.path (percent-decoded) and req.params from req.target, as the transport does.
void split_target(httplib::Request& req);

}  // namespace paraderm::server::http
