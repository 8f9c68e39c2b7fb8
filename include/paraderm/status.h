// Status-style error reporting (after LevelDB): functions that can fail on bad input return a
// Status or a Result<T> instead of throwing, so that callers decide how to present the problem.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace paraderm {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kInvalidInput, kNotFound, kIoError, kInternal };

  Status() = default;
  static Status ok() { return {}; }
  static Status invalid_input(std::string msg) { return {Code::kInvalidInput, std::move(msg)}; }
  static Status not_found(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status io_error(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design
  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace paraderm
