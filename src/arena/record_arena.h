// RecordArena: memory for user records that transparent huge pages may back
// (StoreOptions::record_memory = RecordMemory::kHugePages).
//
// The arena maps 2 MiB regions aligned to 2 MiB (anonymous mmap) and marks
// each madvise(MADV_HUGEPAGE), so the kernel may back it with one huge page
// when /sys/kernel/mm/transparent_hugepage/enabled is "always" or
// "madvise" (otherwise the advice is ignored and 4 KiB pages back it). The
// first bytes of each region name the arena that owns it (RegionHeader), so
// a block's owner is found from its address alone (Free, OwnerOf): a record
// needs no pointer to its arena.
//
// Regions are cut into chunks (about 64 KiB) handed to size classes; each
// class keeps its free blocks in a Boost.Pool simple_segregated_storage (an
// intrusive free list) behind its own mutex. Classes are 16 bytes apart up
// to 1 KiB and 128 bytes apart up to kMaxBlock (16 KiB), so a block has at
// most 15 (127) bytes past what was asked, and no per-block header: a block
// of n bytes costs n bytes. Larger requests are not served (BlockSize
// returns 0; the caller uses malloc).
//
// Costs: a free block is reused only by its own class, and no memory goes
// back to the OS before the arena is destroyed (its regions are unmapped
// then). Each class holds a partly used chunk, and the current region is
// partly used: an empty arena holds nothing, a small one about 2 MiB per
// region touched (a huge page is resident in full once touched).
//
// Thread-safe. Allocate and Free lock the block's class; a refill also
// locks the region list (lock order: class -> regions).
#ifndef USERSTORE_SRC_ARENA_RECORD_ARENA_H_
#define USERSTORE_SRC_ARENA_RECORD_ARENA_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "boost/pool/simple_segregated_storage.hpp"
#include "common/mutex.h"

namespace userstore::internal {

class RecordArena {
 public:
  // Bytes per region (one x86-64 transparent huge page), and its alignment.
  static constexpr size_t kRegionBytes = size_t{2} << 20;
  // The largest block served.
  static constexpr size_t kMaxBlock = 16384;

  RecordArena();
  // Unmaps every region. REQUIRES: no block is in use any more.
  ~RecordArena();
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;

  // The block size that serves a request of `bytes` (its size class: a
  // multiple of 16 up to 1 KiB, of 128 up to kMaxBlock), or 0 when `bytes`
  // is 0 or over kMaxBlock. O(1).
  static size_t BlockSize(size_t bytes);

  // A block of `block_size` bytes, 16-byte aligned. REQUIRES: block_size ==
  // BlockSize(block_size) != 0. Throws std::bad_alloc when the OS refuses a
  // new region. O(1) amortized (a refill carves one chunk of about 64 KiB).
  void* Allocate(size_t block_size);

  // Returns `block` (of `block_size` bytes, from Allocate of some arena) to
  // the arena that owns it. O(1).
  static void Free(void* block, size_t block_size);

  // The arena whose region holds `block` (from Allocate).
  static RecordArena* OwnerOf(const void* block);

  // Bytes of address space mapped for regions (each a multiple of
  // kRegionBytes). Thread-safe.
  size_t mapped_bytes() const { return mapped_bytes_.load(std::memory_order_relaxed); }

 private:
  // The first bytes of each region: its owner. Blocks start after it.
  struct RegionHeader {
    RecordArena* owner;
  };
  static constexpr size_t kHeaderBytes = 64;  // one cache line
  // Bytes a class asks for when it runs dry (rounded down to whole blocks,
  // at least one).
  static constexpr size_t kChunkBytes = size_t{64} << 10;
  // Classes: 16..1024 by 16 (64 of them), then 1152..16384 by 128 (120).
  static constexpr size_t kSmallStep = 16;
  static constexpr size_t kSmallMax = 1024;
  static constexpr size_t kLargeStep = 128;
  static constexpr size_t kClasses = kSmallMax / kSmallStep + (kMaxBlock - kSmallMax) / kLargeStep;

  struct alignas(64) SizeClass {
    Mutex mu;
    boost::simple_segregated_storage<size_t> blocks ABSL_GUARDED_BY(mu);  // free ones
  };

  // The class of a block size (REQUIRES: BlockSize(block_size) == block_size).
  static size_t ClassOf(size_t block_size);
  // Carves up to kChunkBytes (at least `block_size`) of whole blocks from
  // the current region, mapping a new one when it has too little left.
  // Sets `*bytes` to the size carved.
  void* Carve(size_t block_size, size_t* bytes);
  // Maps, advises and stamps one region.
  void* MapRegion();
  void FreeBlock(void* block, size_t block_size);

  std::array<SizeClass, kClasses> classes_;
  Mutex regions_mu_;
  std::vector<void*> regions_ ABSL_GUARDED_BY(regions_mu_);
  char* cursor_ ABSL_GUARDED_BY(regions_mu_) = nullptr;  // next free byte of the last region
  char* limit_ ABSL_GUARDED_BY(regions_mu_) = nullptr;   // end of the last region
  std::atomic<size_t> mapped_bytes_{0};
};

}  // namespace userstore::internal

#endif  // USERSTORE_SRC_ARENA_RECORD_ARENA_H_
