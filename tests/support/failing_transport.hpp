// A Transport whose every connect() fails with a given status and message:
// how a Winsock or a user's transport reports, in its own words.
#pragma once

#include <trail/export/transport.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <utility>

namespace trail::test {

class FailingTransport final : public trail::Transport {
 public:
  FailingTransport(trail::TransportStatus status, std::string message, std::shared_ptr<std::atomic<int>> connects)
      : status_(status), message_(std::move(message)), connects_(std::move(connects)) {}
  trail::TransportStatus connect(const std::string&, std::uint16_t, trail::TransportDeadline,
                                 std::string& error) noexcept override {
    ++*connects_;
    error = message_;
    return status_;
  }
  trail::TransportStatus write(const trail::ConstBuffer*, std::size_t, trail::TransportDeadline,
                               std::string&) noexcept override {
    return trail::TransportStatus::failed;
  }
  trail::TransportStatus read(void*, std::size_t, std::size_t& received, trail::TransportDeadline,
                              std::string&) noexcept override {
    received = 0;
    return trail::TransportStatus::failed;
  }
  bool idle_usable() noexcept override { return false; }
  void close() noexcept override {}

 private:
  trail::TransportStatus status_;
  std::string message_;
  std::shared_ptr<std::atomic<int>> connects_;
};

// A factory for it; `connects` counts the attempts.
inline trail::TransportFactory failing_factory(trail::TransportStatus status, std::string message,
                                               std::shared_ptr<std::atomic<int>> connects) {
  return [=](const trail::TransportOptions&, std::string&) -> std::unique_ptr<trail::Transport> {
    return std::make_unique<FailingTransport>(status, message, connects);
  };
}

}  // namespace trail::test
