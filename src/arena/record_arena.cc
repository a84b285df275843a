#include "arena/record_arena.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USERSTORE_ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define USERSTORE_ARENA_ASAN 1
#endif
#ifdef USERSTORE_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace userstore::internal {
namespace {

// Under AddressSanitizer a free block is poisoned past its free-list link
// (the first 8 bytes, which simple_segregated_storage writes), so a use
// after free of a record reports as it does with malloc.
void Poison([[maybe_unused]] void* block, [[maybe_unused]] size_t size) {
#ifdef USERSTORE_ARENA_ASAN
  ASAN_POISON_MEMORY_REGION(static_cast<char*>(block) + sizeof(void*), size - sizeof(void*));
#endif
}
void Unpoison([[maybe_unused]] void* block, [[maybe_unused]] size_t size) {
#ifdef USERSTORE_ARENA_ASAN
  ASAN_UNPOISON_MEMORY_REGION(block, size);
#endif
}

}  // namespace

RecordArena::RecordArena() = default;

RecordArena::~RecordArena() {
  MutexLock lock(&regions_mu_);
  for (void* region : regions_) {
    Unpoison(region, kRegionBytes);
    munmap(region, kRegionBytes);
  }
}

size_t RecordArena::BlockSize(size_t bytes) {
  if (bytes == 0 || bytes > kMaxBlock) return 0;
  if (bytes <= kSmallMax) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  return (bytes + kLargeStep - 1) / kLargeStep * kLargeStep;
}

size_t RecordArena::ClassOf(size_t block_size) {
  if (block_size <= kSmallMax) return block_size / kSmallStep - 1;
  return kSmallMax / kSmallStep + (block_size - kSmallMax) / kLargeStep - 1;
}

RecordArena* RecordArena::OwnerOf(const void* block) {
  const uintptr_t region = reinterpret_cast<uintptr_t>(block) & ~uintptr_t{kRegionBytes - 1};
  return reinterpret_cast<const RegionHeader*>(region)->owner;
}

void* RecordArena::Allocate(size_t block_size) {
  SizeClass& c = classes_[ClassOf(block_size)];
  MutexLock lock(&c.mu);
  if (c.blocks.empty()) {
    size_t bytes = 0;
    void* chunk = Carve(block_size, &bytes);
    c.blocks.add_block(chunk, bytes, block_size);
  }
  void* block = c.blocks.malloc();
  Unpoison(block, block_size);
  return block;
}

void RecordArena::Free(void* block, size_t block_size) {
  OwnerOf(block)->FreeBlock(block, block_size);
}

void RecordArena::FreeBlock(void* block, size_t block_size) {
  SizeClass& c = classes_[ClassOf(block_size)];
  MutexLock lock(&c.mu);
  c.blocks.free(block);
  Poison(block, block_size);
}

void* RecordArena::Carve(size_t block_size, size_t* bytes) {
  MutexLock lock(&regions_mu_);
  size_t left = static_cast<size_t>(limit_ - cursor_);
  if (left < block_size) {
    // The rest of the region (less than one block) stays unused.
    char* region = static_cast<char*>(MapRegion());
    regions_.push_back(region);
    cursor_ = region + kHeaderBytes;
    limit_ = region + kRegionBytes;
    left = kRegionBytes - kHeaderBytes;
  }
  const size_t want = kChunkBytes > block_size ? kChunkBytes : block_size;
  *bytes = (want < left ? want : left) / block_size * block_size;
  char* chunk = cursor_;
  cursor_ += *bytes;
  return chunk;
}

void* RecordArena::MapRegion() {
  // Map twice the size, keep the aligned region inside, unmap the rest.
  const size_t span = 2 * kRegionBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kRegionBytes - 1) & ~uintptr_t{kRegionBytes - 1};
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t tail = aligned + kRegionBytes;
  if (start + span > tail) munmap(reinterpret_cast<void*>(tail), start + span - tail);
  void* region = reinterpret_cast<void*>(aligned);
  // Advice only: refused (THP compiled out) or ignored ("never"), the region
  // is still good memory on 4 KiB pages.
  madvise(region, kRegionBytes, MADV_HUGEPAGE);
  static_assert(sizeof(RegionHeader) <= kHeaderBytes);
  new (region) RegionHeader{this};
  mapped_bytes_.fetch_add(kRegionBytes, std::memory_order_relaxed);
  return region;
}

}  // namespace userstore::internal
