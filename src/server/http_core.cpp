#include "server/http_core.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace paraderm::server::http {

void split_target(httplib::Request& req) {
  std::size_t q = req.target.find('?');
  req.path = httplib::detail::decode_url(req.target.substr(0, q), false);
  if (q != std::string::npos)
    httplib::detail::parse_query_text(req.target.substr(q + 1), req.params);
}

const char* status_reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 421:
      return "Misdirected Request";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

namespace {

enum class State { kHandshake, kIdle, kHeaders, kBody, kBusy, kWriting };

struct Connection {
  int fd = -1;
  std::uint64_t generation = 0;
  SSL* ssl = nullptr;
  State state = State::kIdle;
  Clock::time_point deadline;
  std::string in;               // bytes read and not yet consumed
  std::size_t header_end = 0;   // offset of the body in `in` (state kBody)
  std::size_t body_length = 0;  // Content-Length (state kBody, not chunked)
  bool chunked = false;
  std::size_t chunk_pos = 0;     // next unread chunk header in `in` (chunked body)
  std::unique_ptr<Exchange> ex;  // the request being read
  std::string out;
  std::size_t out_done = 0;
  bool close_after_write = false;
  int requests = 0;
  std::string remote_addr;
  int remote_port = -1;
  std::uint32_t events = 0;  // the epoll interest currently registered
};

struct Job {
  int fd;
  std::uint64_t generation;
  std::unique_ptr<Exchange> ex;
};

struct Completion {
  int fd;
  std::uint64_t generation;
  std::unique_ptr<Exchange> ex;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_token(std::string_view list, std::string_view token) {
  std::size_t i = 0;
  while (i <= list.size()) {
    std::size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view t = list.substr(i, j - i);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (iequals(t, token)) return true;
    i = j + 1;
  }
  return false;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Header values must not carry control characters (CR/LF would split or forge header lines).
bool clean_field_value(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7F;
  });
}

std::string sanitize_header_value(const std::string& v) {
  std::string o;
  for (char c : v) o += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return o;
}

// A decimal Content-Length without sign, spaces or overflow; nullopt otherwise.
std::optional<std::size_t> parse_length(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

}  // namespace

struct Core::Impl {
  Limits limits;
  Callbacks cb;
  SSL_CTX* ssl_ctx = nullptr;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1, reserve_fd = -1;
  std::atomic<bool> stopping{false};
  bool draining = false;
  bool workers_stop = false;  // guarded by job_mu; set only when the core is destroyed
  Clock::time_point drain_deadline;
  std::uint64_t next_generation = 1;
  std::unordered_map<int, std::unique_ptr<Connection>> conns;

  std::mutex job_mu;
  std::condition_variable job_cv;
  std::deque<Job> jobs;
  std::vector<std::thread> workers;

  std::mutex done_mu;
  std::vector<Completion> completions;

  ~Impl() {
    for (auto& [fd, c] : conns) {
      if (c->ssl) SSL_free(c->ssl);
      ::close(fd);
    }
    for (int fd : {listen_fd, epoll_fd, wake_fd, reserve_fd}) {
      if (fd >= 0) ::close(fd);
    }
    if (ssl_ctx) SSL_CTX_free(ssl_ctx);
  }

  // --- workers ---------------------------------------------------------------------------
  void start_workers() {
    for (int i = 0; i < limits.workers; ++i) {
      workers.emplace_back([this] {
        // The I/O thread must not queue behind handlers for the CPU: it accepts, reads and answers
        // /healthz. Workers run slightly nicer (raising niceness needs no privilege).
        setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
        for (;;) {
          Job job;
          {
            std::unique_lock<std::mutex> lock(job_mu);
            job_cv.wait(lock, [&] { return workers_stop || !jobs.empty(); });
            if (jobs.empty()) return;
            job = std::move(jobs.front());
            jobs.pop_front();
          }
          run_handler(*job.ex);
          {
            std::lock_guard<std::mutex> lock(done_mu);
            completions.push_back({job.fd, job.generation, std::move(job.ex)});
          }
          std::uint64_t one = 1;
          [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
        }
      });
    }
  }

  void run_handler(Exchange& ex) {
    try {
      cb.handle(ex);
    } catch (...) {
      // The handlers answer bad input themselves; reaching this is a bug, and still not fatal.
      ex.res = httplib::Response();
      cb.error(ex, 500, "internal error");
    }
  }

  // --- epoll helpers -----------------------------------------------------------------------
  void watch(Connection& c, std::uint32_t events) {
    if (c.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = c.fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
  }

  void close_connection(int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    if (it->second->ssl) {
      SSL_shutdown(it->second->ssl);
      SSL_free(it->second->ssl);
    }
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns.erase(it);
  }

  // Bytes read (> 0), 0 at end of stream, -1 when nothing is available now, -2 on error.
  ssize_t io_read(Connection& c, char* buf, std::size_t n) {
    if (c.ssl) {
      int r = SSL_read(c.ssl, buf, static_cast<int>(n));
      if (r > 0) return r;
      int e = SSL_get_error(c.ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -1;
      ERR_clear_error();
      return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
    }
    ssize_t r = ::recv(c.fd, buf, n, 0);
    if (r >= 0) return r;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
  }

  ssize_t io_write(Connection& c, const char* buf, std::size_t n) {
    if (c.ssl) {
      int r = SSL_write(c.ssl, buf, static_cast<int>(std::min<std::size_t>(n, 1 << 20)));
      if (r > 0) return r;
      int e = SSL_get_error(c.ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -1;
      ERR_clear_error();
      return -2;
    }
    ssize_t r = ::send(c.fd, buf, n, MSG_NOSIGNAL);
    if (r >= 0) return r;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
  }

  // --- responses ---------------------------------------------------------------------------
  static std::string serialize(const Exchange& ex, bool keep_alive) {
    const auto& res = ex.res;
    std::string o = fmt::format("HTTP/1.1 {} {}\r\n", res.status, status_reason(res.status));
    for (const auto& [k, v] : res.headers) {
      if (iequals(k, "Content-Length") || iequals(k, "Connection")) continue;
      o += k;
      o += ": ";
      o += sanitize_header_value(v);
      o += "\r\n";
    }
    bool bodiless = res.status == 204 || res.status == 304 || res.status < 200;
    if (!bodiless) o += fmt::format("Content-Length: {}\r\n", res.body.size());
    o += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!bodiless && ex.req.method != "HEAD") o += res.body;
    return o;
  }

  bool wants_keep_alive(const Exchange& ex, const Connection& c) const {
    if (stopping || c.requests >= limits.keep_alive_max) return false;
    std::string conn = ex.req.get_header_value("Connection");
    if (ex.req.version == "HTTP/1.0") return has_token(conn, "keep-alive");
    return !has_token(conn, "close");
  }

  void respond(Connection& c, std::unique_ptr<Exchange> ex, bool keep_alive) {
    if (ex->res.status <= 0) ex->res.status = 500;
    c.close_after_write = !keep_alive;
    c.out = serialize(*ex, keep_alive);
    c.out_done = 0;
    c.state = State::kWriting;
    c.deadline = Clock::now() + std::chrono::milliseconds(limits.write_timeout_ms);
    if (cb.done) cb.done(*ex);
    flush(c);
  }

  // A response the transport itself produces; the connection closes after it.
  void refuse(Connection& c, int status, const std::string& message) {
    auto ex = c.ex ? std::move(c.ex) : std::make_unique<Exchange>();
    if (ex->start == Clock::time_point{}) ex->start = Clock::now();
    if (ex->route.empty()) ex->route = "(refused)";
    ex->res = httplib::Response();
    cb.error(*ex, status, message);
    ex->res.status = status;
    c.in.clear();
    respond(c, std::move(ex), false);
  }

  void flush(Connection& c) {
    int fd = c.fd;
    while (c.out_done < c.out.size()) {
      ssize_t n = io_write(c, c.out.data() + c.out_done, c.out.size() - c.out_done);
      if (n == -1) {
        watch(c, EPOLLOUT | (c.ssl ? EPOLLIN : 0u));
        return;
      }
      if (n < 0) return close_connection(fd);
      c.out_done += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.out_done = 0;
    if (c.close_after_write) return close_connection(fd);
    c.state = State::kIdle;
    c.deadline = Clock::now() + std::chrono::milliseconds(limits.idle_timeout_ms);
    watch(c, EPOLLIN);
  }

  // --- reading and parsing -----------------------------------------------------------------
  void on_readable(Connection& c) {
    int fd = c.fd;
    char buf[64 * 1024];
    for (;;) {
      // Never buffer more than one request's worth ahead of what is being handled.
      if (c.in.size() > limits.max_header_bytes + limits.max_body_bytes + std::size_t{64} * 1024)
        break;
      ssize_t n = io_read(c, buf, sizeof buf);
      if (n == -1) break;
      if (n <= 0) {
        // Peer closed (or error): a response in progress is dropped with the connection.
        return close_connection(fd);
      }
      c.in.append(buf, static_cast<std::size_t>(n));
    }
    parse(fd);
  }

  void handshake(Connection& c) {
    int r = SSL_do_handshake(c.ssl);
    if (r == 1) {
      c.state = State::kIdle;
      c.deadline = Clock::now() + std::chrono::milliseconds(limits.header_timeout_ms);
      watch(c, EPOLLIN);
      on_readable(c);  // TLS may hold decrypted bytes that epoll will not report again
      return;
    }
    int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ) return watch(c, EPOLLIN);
    if (e == SSL_ERROR_WANT_WRITE) return watch(c, EPOLLOUT);
    ERR_clear_error();
    close_connection(c.fd);
  }

  // Handles every complete request buffered on the connection, in order (pipelining), without
  // recursion: a client that pipelines thousands of requests cannot grow the stack.
  void parse(int fd) {
    for (;;) {
      auto it = conns.find(fd);
      if (it == conns.end()) return;
      Connection& c = *it->second;
      if (c.state != State::kIdle && c.state != State::kHeaders && c.state != State::kBody) return;
      if (!parse_step(c)) return;
    }
  }

  // Reads one request from the buffer; true when it was dispatched (the connection may be idle
  // again when the handler ran inline), false when more bytes are needed or it was refused.
  bool parse_step(Connection& c) {
    if (c.state == State::kIdle || c.state == State::kHeaders) {
      // Empty lines before a request line are allowed (RFC 9112 §2.2).
      std::size_t skip = 0;
      while (skip + 1 < c.in.size() && c.in[skip] == '\r' && c.in[skip + 1] == '\n') skip += 2;
      if (skip) c.in.erase(0, skip);
      if (c.in.empty()) return false;
      if (c.state == State::kIdle) {
        c.state = State::kHeaders;
        c.deadline = Clock::now() + std::chrono::milliseconds(limits.header_timeout_ms);
      }
      std::size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (c.in.size() > limits.max_header_bytes)
          refuse(c, 431, "request headers larger than the limit");
        return false;
      }
      if (end + 4 > limits.max_header_bytes) {
        refuse(c, 431, "request headers larger than the limit");
        return false;
      }
      if (!parse_head(c, end)) return false;
      c.header_end = end + 4;
      c.state = State::kBody;
      c.deadline = Clock::now() + std::chrono::milliseconds(limits.body_timeout_ms);
    }
    if (c.state != State::kBody) return false;
    if (c.chunked) {
      if (!read_chunks(c)) return false;
    } else {
      if (c.in.size() < c.header_end + c.body_length) return false;
      c.ex->req.body = c.in.substr(c.header_end, c.body_length);
      c.in.erase(0, c.header_end + c.body_length);
    }
    dispatch(c);
    return true;
  }

  // Parses the request line and headers into c.ex; on a problem answers and returns false.
  bool parse_head(Connection& c, std::size_t end) {
    c.ex = std::make_unique<Exchange>();
    c.ex->start = Clock::now();
    auto& req = c.ex->req;
    req.remote_addr = c.remote_addr;
    req.remote_port = c.remote_port;
    std::string_view head(c.in.data(), end);
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
      refuse(c, 400, "malformed request line");
      return false;
    }
    req.method = std::string(line.substr(0, sp1));
    req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    req.version = std::string(line.substr(sp2 + 1));
    if (req.method.empty() || !std::all_of(req.method.begin(), req.method.end(), is_token_char)) {
      refuse(c, 400, "malformed request method");
      return false;
    }
    if (req.version != "HTTP/1.1" && req.version != "HTTP/1.0") {
      refuse(c, 505, "expected HTTP/1.1 or HTTP/1.0");
      return false;
    }
    if (req.target.size() > limits.max_target_bytes) {
      refuse(c, 414, fmt::format("request target longer than {} bytes", limits.max_target_bytes));
      return false;
    }
    if (req.target.empty() || req.target[0] != '/' || !clean_field_value(req.target) ||
        req.target.find(' ') != std::string::npos) {
      refuse(c, 400, "request target: expected an absolute path");
      return false;
    }
    split_target(req);

    std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    std::size_t count = 0;
    while (pos < head.size()) {
      std::size_t next = head.find("\r\n", pos);
      if (next == std::string_view::npos) next = head.size();
      std::string_view h = head.substr(pos, next - pos);
      pos = next + 2;
      if (++count > limits.max_headers) {
        refuse(c, 431, fmt::format("more than {} request headers", limits.max_headers));
        return false;
      }
      std::size_t colon = h.find(':');
      if (colon == 0 || colon == std::string_view::npos || h[0] == ' ' || h[0] == '\t' ||
          !std::all_of(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(colon), is_token_char)) {
        refuse(c, 400, "malformed request header");  // also obsolete line folding
        return false;
      }
      std::string_view v = h.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      if (!clean_field_value(v)) {
        refuse(c, 400, "request header with a control character");
        return false;
      }
      req.headers.emplace(std::string(h.substr(0, colon)), std::string(v));
    }

    c.chunked = false;
    c.body_length = 0;
    auto te = req.headers.equal_range("Transfer-Encoding");
    if (te.first != te.second) {
      if (req.has_header("Content-Length")) {
        // Both framings at once is the request-smuggling shape (RFC 9112 §6.3).
        refuse(c, 400, "Transfer-Encoding and Content-Length together");
        return false;
      }
      if (std::next(te.first) != te.second || !iequals(te.first->second, "chunked")) {
        refuse(c, 501, "Transfer-Encoding: only chunked is supported");
        return false;
      }
      c.chunked = true;
      c.chunk_pos = end + 4;
      req.body.clear();
    } else if (req.get_header_value_count("Content-Length") > 0) {
      std::optional<std::size_t> length;
      for (std::size_t i = 0; i < req.get_header_value_count("Content-Length"); ++i) {
        auto v = parse_length(req.get_header_value("Content-Length", i));
        if (!v || (length && *length != *v)) {
          refuse(c, 400,
                 fmt::format("Content-Length \"{}\": expected one non-negative decimal number",
                             req.get_header_value("Content-Length", i).substr(0, 40)));
          return false;
        }
        length = v;
      }
      if (*length > limits.max_body_bytes) {
        refuse(c, 413,
               fmt::format("request body of {} bytes: the limit is {}", *length,
                           limits.max_body_bytes));
        return false;
      }
      c.body_length = *length;
    }
    if (has_token(req.get_header_value("Expect"), "100-continue") &&
        (c.chunked || c.body_length > 0) && c.in.size() == end + 4) {
      // curl waits a second for this before it sends a body over 1 KiB.
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      if (io_write(c, kContinue, sizeof kContinue - 1) !=
          static_cast<ssize_t>(sizeof kContinue - 1)) {
        close_connection(c.fd);
        return false;
      }
    }
    return true;
  }

  // Decodes the chunks that have arrived; true when the last one has.
  bool read_chunks(Connection& c) {
    auto& body = c.ex->req.body;
    for (;;) {
      std::size_t eol = c.in.find("\r\n", c.chunk_pos);
      if (eol == std::string::npos) {
        if (c.in.size() - c.chunk_pos > 1024) refuse(c, 400, "malformed chunk header");
        return false;
      }
      std::string size_text = c.in.substr(c.chunk_pos, eol - c.chunk_pos);
      size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
      std::size_t size = 0;
      if (size_text.empty() || size_text.size() > 8 ||
          !std::all_of(size_text.begin(), size_text.end(),
                       [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); })) {
        refuse(c, 400, "malformed chunk size");
        return false;
      }
      size = std::stoul(size_text, nullptr, 16);
      if (body.size() + size > limits.max_body_bytes) {
        refuse(
            c, 413,
            fmt::format("request body larger than the limit of {} bytes", limits.max_body_bytes));
        return false;
      }
      if (size == 0) {
        // Trailer fields (ignored) end with an empty line.
        std::size_t end = c.in.find("\r\n\r\n", eol);
        if (end == std::string::npos) {
          if (c.in.size() - eol > limits.max_header_bytes)
            refuse(c, 431, "chunk trailer larger than the limit");
          return false;
        }
        c.in.erase(0, end + 4);
        return true;
      }
      if (c.in.size() < eol + 2 + size + 2) return false;
      if (c.in.compare(eol + 2 + size, 2, "\r\n") != 0) {
        refuse(c, 400, "malformed chunk");
        return false;
      }
      body.append(c.in, eol + 2, size);
      c.chunk_pos = eol + 2 + size + 2;
    }
  }

  void dispatch(Connection& c) {
    c.state = State::kBusy;
    c.requests++;
    watch(c, 0);  // nothing is read while the request is handled
    if (cb.run_inline && cb.run_inline(c.ex->req)) {
      run_handler(*c.ex);
      auto ex = std::move(c.ex);
      bool keep = wants_keep_alive(*ex, c);
      respond(c, std::move(ex), keep);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(job_mu);
      jobs.push_back({c.fd, c.generation, std::move(c.ex)});
    }
    job_cv.notify_one();
  }

  void drain_completions() {
    std::uint64_t v;
    [[maybe_unused]] auto n = ::read(wake_fd, &v, sizeof v);
    std::vector<Completion> ready;
    {
      std::lock_guard<std::mutex> lock(done_mu);
      ready.swap(completions);
    }
    for (auto& d : ready) {
      auto it = conns.find(d.fd);
      if (it == conns.end() || it->second->generation != d.generation) continue;  // peer left
      Connection& c = *it->second;
      bool keep = wants_keep_alive(*d.ex, c);
      respond(c, std::move(d.ex), keep);
      parse(d.fd);  // a pipelined request may be buffered already
    }
  }

  // --- accepting -----------------------------------------------------------------------------
  void accept_all() {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          // Out of descriptors: take the pending connection with the reserve one and drop it, so
          // the listen queue does not fill with connections that will never be served.
          ::close(reserve_fd);
          int drop = ::accept(listen_fd, nullptr, nullptr);
          if (drop >= 0) ::close(drop);
          reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
          continue;
        }
        return;  // EAGAIN, or a transient error: epoll reports the next one
      }
      if (static_cast<int>(conns.size()) >= limits.max_connections) {
        // Full: an idle keep-alive connection (between requests, nothing owed) makes room, so
        // parked connections cannot lock new clients out; only when every connection is in the
        // middle of a request is the new one refused.
        auto idle = std::find_if(conns.begin(), conns.end(), [](const auto& kv) {
          return kv.second->state == State::kIdle && kv.second->in.empty();
        });
        if (idle != conns.end()) close_connection(idle->first);
      }
      if (static_cast<int>(conns.size()) >= limits.max_connections) {
        static const std::string kBusy = [] {
          std::string body =
              "{\"error\": {\"status\": 503, \"message\": \"too many connections; retry "
              "shortly\"}}";
          return fmt::format(
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Content-Length: {}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{}",
              body.size(), body);
        }();
        if (!ssl_ctx) [[maybe_unused]]
          auto n = ::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL);
        ::close(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->generation = next_generation++;
      char host[INET6_ADDRSTRLEN] = {0};
      if (addr.ss_family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        c->remote_port = ntohs(a->sin_port);
      } else if (addr.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        c->remote_port = ntohs(a->sin6_port);
      }
      c->remote_addr = host;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      c->events = EPOLLIN;
      if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        continue;
      }
      if (ssl_ctx) {
        c->ssl = SSL_new(ssl_ctx);
        SSL_set_fd(c->ssl, fd);
        SSL_set_accept_state(c->ssl);
        SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        c->state = State::kHandshake;
        c->deadline = Clock::now() + std::chrono::milliseconds(limits.header_timeout_ms);
      } else {
        c->state = State::kIdle;
        c->deadline = Clock::now() + std::chrono::milliseconds(limits.idle_timeout_ms);
      }
      conns.emplace(fd, std::move(c));
    }
  }

  void expire(Clock::time_point now) {
    std::vector<int> idle, slow, stuck;
    for (auto& [fd, c] : conns) {
      if (c->state == State::kBusy || now < c->deadline) continue;
      if (c->state == State::kHeaders || c->state == State::kBody)
        slow.push_back(fd);
      else if (c->state == State::kIdle)
        idle.push_back(fd);
      else
        stuck.push_back(fd);  // handshake or an unread response
    }
    for (int fd : idle) close_connection(fd);
    for (int fd : stuck) close_connection(fd);
    for (int fd : slow) {
      auto it = conns.find(fd);
      if (it != conns.end()) refuse(*it->second, 408, "the request did not arrive in time");
    }
  }

  // After stop(): no new connections, idle ones closed, requests already begun are finished and
  // answered (Connection: close) until the drain deadline, so a restart does not cut a request
  // whose write was committed.
  bool drained(Clock::time_point now) {
    if (!draining) {
      draining = true;
      drain_deadline = now + std::chrono::milliseconds(limits.drain_timeout_ms);
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
    }
    std::vector<int> idle;
    bool busy = false;
    for (auto& [fd, c] : conns) {
      if (c->state == State::kIdle || c->state == State::kHandshake)
        idle.push_back(fd);
      else
        busy = true;
    }
    for (int fd : idle) close_connection(fd);
    return !busy || now >= drain_deadline;
  }

  void loop() {
    std::vector<epoll_event> events(256);
    auto last_sweep = Clock::now();
    while (!stopping || !drained(Clock::now())) {
      int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        int fd = events[static_cast<std::size_t>(i)].data.fd;
        std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
        if (fd == listen_fd) {
          accept_all();
          continue;
        }
        if (fd == wake_fd) {
          drain_completions();
          continue;
        }
        auto it = conns.find(fd);
        if (it == conns.end()) continue;
        Connection& c = *it->second;
        if (c.state == State::kHandshake) {
          handshake(c);
        } else if (c.state == State::kWriting) {
          if (ev & (EPOLLERR | EPOLLHUP)) {
            close_connection(fd);
          } else {
            flush(c);
            parse(fd);
          }
        } else if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
          on_readable(c);
        }
      }
      auto now = Clock::now();
      if (now - last_sweep >= std::chrono::milliseconds(100)) {
        expire(now);
        last_sweep = now;
      }
    }
  }
};

Core::Core() : impl_(std::make_unique<Impl>()) {}

Core::~Core() {
  stop();
  {
    std::lock_guard<std::mutex> lock(impl_->job_mu);
    impl_->workers_stop = true;
  }
  impl_->job_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

Result<std::unique_ptr<Core>> Core::create(const Limits& limits, Callbacks callbacks,
                                           const TlsFiles& tls) {
  std::unique_ptr<Core> core(new Core());
  auto& i = *core->impl_;
  i.limits = limits;
  i.cb = std::move(callbacks);
  if (!tls.cert.empty() || !tls.key.empty()) {
    if (tls.cert.empty() || tls.key.empty())
      return Status::invalid_input("--tls-cert and --tls-key: expected both");
    i.ssl_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(i.ssl_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(i.ssl_ctx, tls.cert.c_str()) != 1) {
      ERR_clear_error();
      return Status::invalid_input(
          fmt::format("--tls-cert: value \"{}\": not a readable PEM certificate", tls.cert));
    }
    if (SSL_CTX_use_PrivateKey_file(i.ssl_ctx, tls.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(i.ssl_ctx) != 1) {
      ERR_clear_error();
      return Status::invalid_input(fmt::format(
          "--tls-key: value \"{}\": not a readable PEM private key for the certificate", tls.key));
    }
  }
  return core;
}

Result<int> Core::bind(const std::string& host, int port) {
  auto& i = *impl_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string h = host.size() > 2 && host.front() == '[' && host.back() == ']'
                      ? host.substr(1, host.size() - 2)
                      : host;
  if (getaddrinfo(h.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    return Status::io_error(
        fmt::format("--host: value \"{}\": not an address this machine can listen on", host));
  }
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, i.limits.backlog) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    return Status::io_error(
        fmt::format("--port: cannot listen on {}:{} (in use or not permitted)", host, port));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int bound = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                         : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  i.listen_fd = fd;
  i.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  i.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  i.reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int f : {i.listen_fd, i.wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = f;
    epoll_ctl(i.epoll_fd, EPOLL_CTL_ADD, f, &ev);
  }
  return bound;
}

void Core::run() {
  auto& i = *impl_;
  if (i.listen_fd < 0) return;
  i.start_workers();
  i.loop();
}

void Core::stop() {
  impl_->stopping = true;
  if (impl_->wake_fd >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
  }
  impl_->job_cv.notify_all();
}

bool Core::tls() const { return impl_->ssl_ctx != nullptr; }

}  // namespace paraderm::server::http
