// Test helper: replaces the global operator new / delete with counting
// versions, for the tests that prove a path allocates nothing. Include it in
// one translation unit of a test program. clang's ThreadSanitizer runtime
// defines these operators itself, so there the count is off and the tests
// that need it are skipped (they run in the normal and ASan builds).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "sanitizers.hpp"

namespace trail::test {

inline constexpr bool counts_allocations = !under_thread_sanitizer;

inline std::atomic<std::uint64_t> g_allocations{0};

// Heap allocations so far in this process (0 when not counted).
inline std::uint64_t allocations() noexcept { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace trail::test

#if !defined(TRAIL_TEST_TSAN)

// g++ -O2 sees the malloc inside these replacements and the free inside the
// matching deletes, and warns about a mismatch that is not there.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

void* counted_alloc(std::size_t size, std::size_t align = 0) noexcept {
  trail::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(size);
  // Over-aligned, portably (no posix_memalign on Windows): the block from
  // malloc is stored just before the aligned address.
  void* block = std::malloc(size + align + sizeof(void*));
  if (block == nullptr) return nullptr;
  const auto at = (reinterpret_cast<std::uintptr_t>(block) + sizeof(void*) + align - 1) & ~(align - 1);
  reinterpret_cast<void**>(at)[-1] = block;
  return reinterpret_cast<void*>(at);
}

void counted_aligned_free(void* p) noexcept {
  if (p != nullptr) std::free(static_cast<void**>(p)[-1]);
}

void* counted_alloc_or_throw(std::size_t size, std::size_t align = 0) {
  void* p = counted_alloc(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return counted_alloc_or_throw(n); }
void* operator new[](std::size_t n) { return counted_alloc_or_throw(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_aligned_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_aligned_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_aligned_free(p); }


#endif
