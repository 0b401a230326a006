#include "orchestrator/client/client.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "orchestrator/api/object.h"
#include "orchestrator/api/text.h"
#include "orchestrator/client/api_error.h"
#include "spdlog/spdlog.h"

namespace orch::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

// Idle keep-alive connections kept for reuse; more concurrent requests open more, and the
// surplus is closed when they finish.
constexpr size_t kMaxIdleConnections = 16;
// How much of a streamed body one read hands out at most.
constexpr size_t kStreamReadSize = 64 * 1024;

SteadyTime SteadyDeadline(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return SteadyTime::max();
  const absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
  return std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(left);
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// Percent-encoding of a query component (RFC 3986: all but unreserved characters).
std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c)) {
      escaped.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      escaped.push_back('%');
      escaped.push_back(kHex[byte >> 4]);
      escaped.push_back(kHex[byte & 0xf]);
    }
  }
  return escaped;
}

// "?name=value&..." of the non-empty values, or "".
std::string QueryString(const std::vector<std::pair<std::string_view, std::string>>& params) {
  std::string query;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    api::Append(query, query.empty() ? "?" : "&", name, "=", QueryEscape(value));
  }
  return query;
}

absl::Status TransportError(std::string_view what, const beast::error_code& error) {
  const std::string message = api::Cat(what, ": ", error.message());
  if (error == beast::error::timeout) return absl::DeadlineExceededError(message);
  return absl::UnavailableError(message);
}

bool IsSuccess(int http_status) {
  return http_status >= 200 && http_status < 300;
}

// The JSON body of a 2xx answer, or the answer as an ApiError.
absl::StatusOr<api::Json> JsonAnswer(const HttpResult& result) {
  if (!IsSuccess(result.status)) return ApiError(result.status, result.body);
  absl::StatusOr<api::Json> parsed = api::ParseJson(result.body);
  if (!parsed.ok()) {
    return absl::InternalError(
        api::Cat("the server's answer is not JSON: ", parsed.status().message()));
  }
  return parsed;
}

http::request<http::string_body> MakeRequest(const ClientConfig& config, std::string_view method,
                                             std::string_view target, std::string_view body,
                                             std::string_view content_type,
                                             std::string_view accept) {
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(http::field::host, api::Cat(config.host, ":", config.port));
  request.set(http::field::user_agent, config.user_agent);
  request.set(http::field::accept, beast::string_view(accept.data(), accept.size()));
  if (!body.empty()) {
    request.set(http::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
  }
  request.body() = std::string(body);
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

// One HTTP/1.1 connection. Its calls block the calling thread: each runs the connection's
// own io_context until the operation completes, so the tcp_stream's expiry bounds every step
// and a watch can wait for its next bytes with a deadline of its own.
class Connection {
 public:
  Connection() = default;
  ~Connection() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    // Lets the handlers of cancelled operations finish while what they refer to exists.
    io_.restart();
    io_.poll();
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status Connect(const ClientConfig& config, SteadyTime deadline) {
    tcp::resolver resolver(io_);
    beast::error_code error;
    const tcp::resolver::results_type endpoints =
        resolver.resolve(config.host, std::to_string(config.port), error);
    if (error) return TransportError(api::Cat("cannot resolve ", config.host), error);
    stream_.expires_at(deadline);
    stream_.async_connect(endpoints, [&error](const beast::error_code& result,
                                              const tcp::endpoint&) { error = result; });
    Run();
    if (error) {
      return TransportError(api::Cat("cannot connect to ", config.host, ":", config.port), error);
    }
    stream_.socket().set_option(tcp::no_delay(true), error);
    return absl::OkStatus();
  }

  beast::error_code Write(const http::request<http::string_body>& request, SteadyTime deadline) {
    beast::error_code error;
    stream_.expires_at(deadline);
    http::async_write(stream_, request,
                      [&error](const beast::error_code& result, size_t) { error = result; });
    Run();
    return error;
  }

  template <typename Parser>
  beast::error_code ReadHeader(Parser& parser, SteadyTime deadline) {
    beast::error_code error;
    stream_.expires_at(deadline);
    http::async_read_header(stream_, buffer_, parser,
                            [&error](const beast::error_code& result, size_t) { error = result; });
    Run();
    return error;
  }

  template <typename Parser>
  beast::error_code Read(Parser& parser, SteadyTime deadline) {
    beast::error_code error;
    stream_.expires_at(deadline);
    http::async_read(stream_, buffer_, parser,
                     [&error](const beast::error_code& result, size_t) { error = result; });
    Run();
    return error;
  }

  // Starts one read of some of a streamed body; `on_done` runs inside RunOneUntil.
  template <typename Parser, typename Handler>
  void StartReadSome(Parser& parser, Handler on_done) {
    stream_.expires_never();
    http::async_read_some(stream_, buffer_, parser,
                          [on_done = std::move(on_done)](const beast::error_code& result, size_t) {
                            on_done(result);
                          });
  }

  // Runs handlers until `done` or the deadline; false at the deadline.
  bool RunUntil(const std::atomic<bool>& done, SteadyTime deadline) {
    while (!done) {
      if (io_.stopped()) io_.restart();
      if (io_.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) {
        return done;
      }
    }
    return true;
  }

  // From any thread: ends whatever the connection is doing (a blocked read fails at once).
  void Abort() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
    });
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
};

// An answer whose body is read as it arrives: the chunks of a watch or of a followed log.
class StreamingBody {
 public:
  explicit StreamingBody(std::unique_ptr<Connection> connection)
      : connection_(std::move(connection)) {
    parser_.body_limit(std::numeric_limits<uint64_t>::max());
  }
  // The connection goes first: closing it completes a pending read, which writes into the
  // parser and the flags below.
  ~StreamingBody() { connection_.reset(); }
  StreamingBody(const StreamingBody&) = delete;
  StreamingBody& operator=(const StreamingBody&) = delete;

  absl::Status ReadHeader(SteadyTime deadline) {
    beast::error_code error = connection_->ReadHeader(parser_, deadline);
    if (error) return TransportError("reading the answer's header", error);
    return absl::OkStatus();
  }

  int status() const { return static_cast<int>(parser_.get().result_int()); }
  std::string content_type() const { return std::string(parser_.get()[http::field::content_type]); }

  // The next bytes of the body: "" at its end or after Cancel.
  absl::StatusOr<std::string> ReadSome(absl::Time deadline) {
    const SteadyTime steady_deadline = SteadyDeadline(deadline);
    for (;;) {
      if (cancelled_ || parser_.is_done()) return std::string();
      if (!read_pending_) StartRead();
      if (!connection_->RunUntil(read_done_, steady_deadline)) {
        return absl::DeadlineExceededError("no data before the deadline");
      }
      read_pending_ = false;
      read_done_ = false;
      const size_t produced = kStreamReadSize - parser_.get().body().size;
      if (read_error_ && read_error_ != http::error::need_buffer) {
        if (cancelled_) return std::string();
        return TransportError("the stream broke", read_error_);
      }
      if (produced > 0) return std::string(chunk_.data(), produced);
    }
  }

  // Everything left of the body (an error answer's Status).
  absl::StatusOr<std::string> ReadRest(absl::Time deadline) {
    std::string body;
    for (;;) {
      absl::StatusOr<std::string> some = ReadSome(deadline);
      if (!some.ok()) return some.status();
      if (some->empty()) return body;
      body += *some;
    }
  }

  bool cancelled() const { return cancelled_; }

  // From any thread.
  void Cancel() {
    cancelled_ = true;
    connection_->Abort();
  }

 private:
  void StartRead() {
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = kStreamReadSize;
    read_pending_ = true;
    connection_->StartReadSome(parser_, [this](const beast::error_code& error) {
      read_error_ = error;
      read_done_ = true;
    });
  }

  std::unique_ptr<Connection> connection_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, kStreamReadSize> chunk_{};
  bool read_pending_ = false;
  std::atomic<bool> read_done_{false};
  beast::error_code read_error_;
  std::atomic<bool> cancelled_{false};
};

class HttpWatchStream : public WatchStream {
 public:
  explicit HttpWatchStream(std::unique_ptr<StreamingBody> body) : body_(std::move(body)) {}

  absl::StatusOr<std::optional<WatchEvent>> Next(absl::Time deadline) override {
    for (;;) {
      // Events still buffered are dropped too: Cancel ends the stream at once.
      if (body_->cancelled()) return std::nullopt;
      const size_t newline = pending_.find('\n');
      if (newline != std::string::npos) {
        const std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        if (absl::StripAsciiWhitespace(line).empty()) continue;
        return ParseEvent(line);
      }
      absl::StatusOr<std::string> bytes = body_->ReadSome(deadline);
      if (!bytes.ok()) return bytes.status();
      if (bytes->empty()) return std::nullopt;
      pending_ += *bytes;
    }
  }

  void Cancel() override { body_->Cancel(); }

 private:
  static absl::StatusOr<std::optional<WatchEvent>> ParseEvent(std::string_view line) {
    absl::StatusOr<api::Json> parsed = api::ParseJson(line);
    if (!parsed.ok() || !parsed->is_object()) {
      return absl::InternalError(api::Cat("a watch line is not a JSON object: ", line));
    }
    WatchEvent event;
    event.type = api::StringAt(*parsed, {"type"});
    if (const api::Json* object = api::Member(*parsed, "object"); object != nullptr) {
      event.object = *object;
    }
    if (event.type.empty()) {
      return absl::InternalError(api::Cat("a watch line has no type: ", line));
    }
    return event;
  }

  std::unique_ptr<StreamingBody> body_;
  std::string pending_;  // bytes after the last complete line
};

class HttpByteStream : public ByteStream {
 public:
  explicit HttpByteStream(std::unique_ptr<StreamingBody> body) : body_(std::move(body)) {}
  absl::StatusOr<std::string> Read(absl::Time deadline) override {
    return body_->ReadSome(deadline);
  }
  void Cancel() override { body_->Cancel(); }

 private:
  std::unique_ptr<StreamingBody> body_;
};

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

// DeleteOptions as a JSON body, needed for preconditions (they have no query form).
api::Json DeleteOptionsBody(const DeleteOptions& options, std::string_view api_version) {
  api::Json body = {{"kind", "DeleteOptions"}, {"apiVersion", api_version}};
  if (options.grace_period_seconds.has_value()) {
    body["gracePeriodSeconds"] = *options.grace_period_seconds;
  }
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  api::Json preconditions = api::Json::object();
  if (!options.precondition_uid.empty()) preconditions["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    preconditions["resourceVersion"] = options.precondition_resource_version;
  }
  if (!preconditions.empty()) body["preconditions"] = std::move(preconditions);
  return body;
}

bool HasPreconditions(const DeleteOptions& options) {
  return !options.precondition_uid.empty() || !options.precondition_resource_version.empty();
}

std::string DeleteQuery(const DeleteOptions& options) {
  return QueryString({{"gracePeriodSeconds", options.grace_period_seconds.has_value()
                                                 ? std::to_string(*options.grace_period_seconds)
                                                 : std::string()},
                      {"propagationPolicy", options.propagation_policy}});
}

}  // namespace

struct Client::Impl {
  explicit Impl(ClientConfig config_in) : config(std::move(config_in)) {}

  // A pooled connection (`reused` true) when `pooled` allows and one is idle, else a new one.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(SteadyTime deadline, bool pooled,
                                                      bool& reused) {
    if (pooled) {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle.back());
        idle.pop_back();
        reused = true;
        return connection;
      }
    }
    reused = false;
    auto connection = std::make_unique<Connection>();
    if (absl::Status connected = connection->Connect(config, deadline); !connected.ok()) {
      return connected;
    }
    return connection;
  }

  // After one pooled connection turned out closed, the others most likely are too (the server
  // restarted): they go rather than fail one request after another.
  void DropIdle() {
    std::vector<std::unique_ptr<Connection>> dropped;
    std::lock_guard lock(mutex);
    dropped.swap(idle);
  }

  void Release(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex);
    if (idle.size() < kMaxIdleConnections) idle.push_back(std::move(connection));
  }

  // `what` names the request in errors ("GET /api/v1/pods").
  absl::StatusOr<HttpResult> Exchange(const http::request<http::string_body>& request,
                                      std::string_view what) {
    const SteadyTime deadline = SteadyDeadline(absl::Now() + config.request_timeout);
    // A pooled connection the server closed while it sat idle fails before any byte of the
    // answer; the request is then sent once more on a new connection, which is safe because
    // the server cannot have acted on it (it never read it, or closed without answering).
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      absl::StatusOr<std::unique_ptr<Connection>> connection =
          Acquire(deadline, /*pooled=*/attempt == 0, reused);
      if (!connection.ok()) return connection.status();
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::numeric_limits<uint64_t>::max());
      beast::error_code error = (*connection)->Write(request, deadline);
      if (!error) error = (*connection)->Read(parser, deadline);
      if (error) {
        const bool stale = reused && !parser.got_some() && error != beast::error::timeout;
        if (stale && attempt == 0) {
          spdlog::debug("client: an idle connection to {}:{} was closed ({}); reconnecting",
                        config.host, config.port, error.message());
          DropIdle();
          continue;
        }
        return TransportError(what, error);
      }
      http::response<http::string_body> response = parser.release();
      HttpResult result;
      result.status = static_cast<int>(response.result_int());
      result.content_type = std::string(response[http::field::content_type]);
      result.body = std::move(response.body());
      if (response.keep_alive()) Release(std::move(*connection));
      return result;
    }
  }

  absl::StatusOr<HttpResult> Send(std::string_view method, std::string_view target,
                                  std::string_view body, std::string_view content_type,
                                  std::string_view accept) {
    return Exchange(MakeRequest(config, method, target, body, content_type, accept),
                    api::Cat(method, " ", target));
  }

  absl::StatusOr<api::Json> SendJson(std::string_view method, std::string_view target,
                                     std::string_view body = "",
                                     std::string_view content_type = "application/json") {
    absl::StatusOr<HttpResult> result =
        Send(method, target, body, content_type, "application/json");
    if (!result.ok()) return result.status();
    return JsonAnswer(*result);
  }

  // A GET whose answer is read as it arrives, on a connection of its own (not pooled: a
  // stream holds its connection until it ends).
  absl::StatusOr<std::unique_ptr<StreamingBody>> OpenStream(std::string_view target,
                                                            std::string_view accept) {
    const absl::Time header_deadline = absl::Now() + config.request_timeout;
    const SteadyTime deadline = SteadyDeadline(header_deadline);
    auto connection = std::make_unique<Connection>();
    if (absl::Status connected = connection->Connect(config, deadline); !connected.ok()) {
      return connected;
    }
    if (beast::error_code error =
            connection->Write(MakeRequest(config, "GET", target, "", "", accept), deadline);
        error) {
      return TransportError(api::Cat("GET ", target), error);
    }
    auto body = std::make_unique<StreamingBody>(std::move(connection));
    if (absl::Status header = body->ReadHeader(deadline); !header.ok()) return header;
    if (!IsSuccess(body->status())) {
      absl::StatusOr<std::string> rest = body->ReadRest(header_deadline);
      if (!rest.ok()) return rest.status();
      return ApiError(body->status(), *rest);
    }
    return body;
  }

  ClientConfig config;
  std::mutex mutex;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mutex
};

Client::Client(ClientConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Client::~Client() = default;

const ClientConfig& Client::config() const {
  return impl_->config;
}

std::string Client::ResourcePath(const api::ResourceInfo& resource, std::string_view namespace_name,
                                 std::string_view name) {
  std::string path = resource.group.empty()
                         ? api::Cat("/api/", resource.version)
                         : api::Cat("/apis/", resource.group, "/", resource.version);
  if (resource.namespaced && !namespace_name.empty()) {
    api::Append(path, "/namespaces/", namespace_name);
  }
  api::Append(path, "/", resource.plural);
  if (!name.empty()) api::Append(path, "/", name);
  return path;
}

absl::StatusOr<api::Json> Client::Get(const api::ResourceInfo& resource,
                                      std::string_view namespace_name, std::string_view name) {
  return impl_->SendJson("GET", ResourcePath(resource, namespace_name, name));
}

absl::StatusOr<api::Json> Client::List(const api::ResourceInfo& resource,
                                       std::string_view namespace_name,
                                       const ListOptions& options) {
  const std::string query =
      QueryString({{"labelSelector", options.label_selector},
                   {"fieldSelector", options.field_selector},
                   {"limit", options.limit > 0 ? std::to_string(options.limit) : std::string()},
                   {"continue", options.continue_token},
                   {"resourceVersion", options.resource_version}});
  return impl_->SendJson("GET", ResourcePath(resource, namespace_name) + query);
}

absl::StatusOr<api::Json> Client::ListAll(const api::ResourceInfo& resource,
                                          std::string_view namespace_name, ListOptions options) {
  absl::StatusOr<api::Json> all = List(resource, namespace_name, options);
  if (!all.ok()) return all;
  api::Json& items = (*all)["items"];
  if (!items.is_array()) items = api::Json::array();
  std::string next = api::StringAt(*all, {"metadata", "continue"});
  // A continue token carries the snapshot's revision; resourceVersion may not go with it.
  options.resource_version.clear();
  while (!next.empty()) {
    options.continue_token = next;
    absl::StatusOr<api::Json> page = List(resource, namespace_name, options);
    if (!page.ok()) return page;
    for (api::Json& item : (*page)["items"])
      items.push_back(std::move(item));
    next = api::StringAt(*page, {"metadata", "continue"});
  }
  api::EnsureObject(*all, "metadata").erase("continue");
  return all;
}

absl::StatusOr<api::Json> Client::Create(const api::ResourceInfo& resource,
                                         std::string_view namespace_name, const api::Json& object) {
  std::string namespace_of_object =
      namespace_name.empty() ? api::NamespaceOf(object) : std::string(namespace_name);
  if (resource.namespaced && namespace_of_object.empty()) {
    return absl::InvalidArgumentError(api::Cat("creating ", resource.plural, " needs a namespace"));
  }
  return impl_->SendJson("POST", ResourcePath(resource, namespace_of_object), object.dump());
}

absl::StatusOr<api::Json> Client::Update(const api::ResourceInfo& resource,
                                         const api::Json& object) {
  const std::string name = api::NameOf(object);
  if (name.empty()) return absl::InvalidArgumentError("an update needs metadata.name");
  return impl_->SendJson("PUT", ResourcePath(resource, api::NamespaceOf(object), name),
                         object.dump());
}

absl::StatusOr<api::Json> Client::UpdateStatus(const api::ResourceInfo& resource,
                                               const api::Json& object) {
  const std::string name = api::NameOf(object);
  if (name.empty()) return absl::InvalidArgumentError("a status update needs metadata.name");
  return impl_->SendJson("PUT", ResourcePath(resource, api::NamespaceOf(object), name) + "/status",
                         object.dump());
}

absl::StatusOr<api::Json> Client::Patch(const api::ResourceInfo& resource,
                                        std::string_view namespace_name, std::string_view name,
                                        PatchType type, std::string_view patch,
                                        const PatchOptions& options) {
  if (type == PatchType::kApply && options.field_manager.empty()) {
    return absl::InvalidArgumentError("server-side apply needs a field manager");
  }
  std::string target = ResourcePath(resource, namespace_name, name);
  if (!options.subresource.empty()) api::Append(target, "/", options.subresource);
  api::Append(target, QueryString({{"fieldManager", options.field_manager},
                                   {"force", options.force ? "true" : ""}}));
  return impl_->SendJson("PATCH", target, patch, PatchContentType(type));
}

absl::StatusOr<api::Json> Client::Delete(const api::ResourceInfo& resource,
                                         std::string_view namespace_name, std::string_view name,
                                         const DeleteOptions& options) {
  const std::string target = ResourcePath(resource, namespace_name, name) + DeleteQuery(options);
  const std::string body = HasPreconditions(options) ? DeleteOptionsBody(options, "v1").dump() : "";
  return impl_->SendJson("DELETE", target, body);
}

absl::Status Client::Bind(std::string_view namespace_name, std::string_view pod_name,
                          std::string_view pod_uid, std::string_view node_name) {
  api::Json metadata = {{"name", pod_name}, {"namespace", namespace_name}};
  if (!pod_uid.empty()) metadata["uid"] = pod_uid;
  const api::Json binding = {
      {"apiVersion", "v1"},
      {"kind", "Binding"},
      {"metadata", std::move(metadata)},
      {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node_name}}}};
  const std::string target =
      ResourcePath(api::ResourceFor(api::Kind::kPod), namespace_name, pod_name) + "/binding";
  return impl_->SendJson("POST", target, binding.dump()).status();
}

absl::Status Client::Evict(std::string_view namespace_name, std::string_view pod_name,
                           const DeleteOptions& options) {
  api::Json eviction = {{"apiVersion", "policy/v1"},
                        {"kind", "Eviction"},
                        {"metadata", {{"name", pod_name}, {"namespace", namespace_name}}}};
  const api::Json delete_options = DeleteOptionsBody(options, "meta.k8s.io/v1");
  if (delete_options.size() > 2) eviction["deleteOptions"] = delete_options;
  const std::string target =
      ResourcePath(api::ResourceFor(api::Kind::kPod), namespace_name, pod_name) + "/eviction";
  return impl_->SendJson("POST", target, eviction.dump()).status();
}

absl::StatusOr<std::unique_ptr<WatchStream>> Client::Watch(const api::ResourceInfo& resource,
                                                           std::string_view namespace_name,
                                                           const WatchOptions& options) {
  std::string timeout_seconds;
  if (options.timeout > absl::ZeroDuration()) {
    timeout_seconds =
        std::to_string(static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(options.timeout))));
  }
  const std::string target =
      ResourcePath(resource, namespace_name) +
      QueryString({{"watch", "true"},
                   {"resourceVersion", options.resource_version},
                   {"labelSelector", options.label_selector},
                   {"fieldSelector", options.field_selector},
                   {"allowWatchBookmarks", options.allow_bookmarks ? "true" : ""},
                   {"timeoutSeconds", timeout_seconds}});
  absl::StatusOr<std::unique_ptr<StreamingBody>> body =
      impl_->OpenStream(target, "application/json");
  if (!body.ok()) return body.status();
  return std::make_unique<HttpWatchStream>(std::move(*body));
}

absl::StatusOr<HttpResult> Client::Request(std::string_view method, std::string_view path_and_query,
                                           std::string_view body, std::string_view content_type,
                                           std::string_view accept) {
  return impl_->Send(method, path_and_query, body, content_type, accept);
}

absl::StatusOr<std::unique_ptr<ByteStream>> Client::Stream(std::string_view path_and_query) {
  absl::StatusOr<std::unique_ptr<StreamingBody>> body = impl_->OpenStream(path_and_query, "*/*");
  if (!body.ok()) return body.status();
  return std::make_unique<HttpByteStream>(std::move(*body));
}

}  // namespace orch::client
