#include "alloc_counter.h"

#include <openssl/crypto.h>

#include <cstdlib>
#include <new>

namespace fsvc::bench {
namespace {

// Constant-initialised: touching it never runs a TLS constructor, so it is
// safe from inside operator new at any point of a thread's life.
thread_local std::uint64_t tls_allocations = 0;

void* Allocate(std::size_t size) {
  ++tls_allocations;
  return std::malloc(size == 0 ? 1 : size);
}

void* AllocateAligned(std::size_t size, std::align_val_t align) {
  ++tls_allocations;
  void* p = nullptr;
  const auto alignment = std::max(static_cast<std::size_t>(align), sizeof(void*));
  return ::posix_memalign(&p, alignment, size == 0 ? 1 : size) == 0 ? p : nullptr;
}

void* OpenSslMalloc(std::size_t size, const char*, int) {
  return Allocate(size);
}
void* OpenSslRealloc(void* p, std::size_t size, const char*, int) {
  ++tls_allocations;
  return std::realloc(p, size);
}
void OpenSslFree(void* p, const char*, int) {
  std::free(p);
}

// OpenSSL accepts new allocators only before its first allocation, which is
// why this runs during static initialisation.
[[maybe_unused]] const bool kOpenSslHooked =
    CRYPTO_set_mem_functions(OpenSslMalloc, OpenSslRealloc, OpenSslFree) == 1;

}  // namespace

std::uint64_t ThreadAllocations() {
  return tls_allocations;
}

}  // namespace fsvc::bench

using fsvc::bench::Allocate;
using fsvc::bench::AllocateAligned;

void* operator new(std::size_t size) {
  if (void* p = Allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return Allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return Allocate(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = AllocateAligned(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return operator new(size, align);
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, align);
}

void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
