// Test support: polls `done` until it holds or `limit` passes (for work the
// flusher does in the background).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace trail::test {

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace trail::test
