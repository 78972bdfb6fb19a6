// The OS model's guest-memory allocator: alignment, zeroing, region naming,
// and a clear error when the structures do not fit.
#include <catch2/catch.hpp>

#include "os_model/guest_heap.h"

using namespace quiesce;

TEST_CASE("OS structures are line-aligned, zeroed and named as regions", "[os][heap]") {
  mem::GuestMemory memory(1 << 20);
  mem::RegionMap regions;
  memory.fill(0x10000, 0xab, 0x1000);
  os::GuestHeap heap(memory, regions, 0x10008, 0x20000, 128);
  const uint64_t gtt = heap.allocate("GTT", 100);
  const uint64_t ltt = heap.allocate("LTT.cpu0", 8);
  const uint64_t word = heap.allocate("gen.cpu0", 8, 8);
  CHECK(gtt == 0x10080);
  CHECK(ltt == 0x10100);
  CHECK(word == 0x10108);
  CHECK(memory.load<uint64_t>(gtt) == 0);
  CHECK(memory.load<uint32_t>(gtt + 96) == 0);
  CHECK(regions.name(regions.lookup(gtt + 99)) == "GTT");
  CHECK(regions.lookup(gtt + 100) == mem::RegionMap::kOther);
  CHECK(regions.name(regions.lookup(word)) == "gen.cpu0");
  CHECK(heap.used() == word + 8 - 0x10008);
}

TEST_CASE("running out of OS memory is a clear error, not a crash", "[os][heap]") {
  mem::GuestMemory memory(1 << 20);
  mem::RegionMap regions;
  os::GuestHeap heap(memory, regions, 0x10000, 0x11000, 128);
  heap.allocate("a", 0x800);
  CHECK_THROWS_AS(heap.allocate("threads", 0x900), os::GuestHeapExhausted);
  CHECK_THROWS_WITH(heap.allocate("threads", ~uint64_t{0}), Catch::Contains("threads needs"));
  CHECK(heap.allocate("b", 0x800) == 0x10800);  // a failed request leaves the heap as it was
  CHECK_THROWS_AS(os::GuestHeap(memory, regions, 0x10000, uint64_t{2} << 20, 128), os::GuestHeapExhausted);
}

// Issue 24: the OS allocator's per-processor pools (no hart here: set-up work, untimed; the CLI tests see
// its traffic in regions.csv's pool.cpuN rows).
TEST_CASE("a freed block goes to its CPU's pool and comes back for the same size, named anew", "[os][heap]") {
  mem::GuestMemory memory(1 << 20);
  mem::RegionMap regions;
  os::GuestHeap heap(memory, regions, 0x10000, 0x80000, 128);
  heap.set_cpus(2);
  const uint64_t a = heap.allocate_block(nullptr, 0, "obj.rep", 200);  // two lines
  const uint64_t b = heap.allocate_block(nullptr, 0, "obj.shared", 100);
  CHECK(b == a + 256);
  CHECK(heap.block_bytes(a) == 256);
  const uint64_t live = heap.live_bytes();
  memory.store<uint64_t>(a + 16, 42);
  heap.free_block(nullptr, 0, a);
  CHECK(heap.is_free(a + 200));
  CHECK_FALSE(heap.is_free(b));
  CHECK(heap.live_bytes() == live - 256);
  CHECK(regions.lookup(a) == mem::RegionMap::kOther);  // freed memory leaves its region
  // The pool header is in guest memory: class 1 (two lines) holds the block, count 1; the block's words 2
  // and 3 link 0 and give its size, words 0 and 1 (a rep's vtable and shared pointer) stay.
  const uint64_t pool = regions.start(regions.lookup(heap.base() + heap.used() - 1));
  CHECK(regions.name(regions.lookup(pool)) == "pool.cpu0");
  CHECK(memory.load<uint64_t>(pool + 16) == a);
  CHECK(memory.load<uint64_t>(pool + 24) == 1);
  CHECK(memory.load<uint64_t>(a + 24) == 256);
  CHECK(memory.load<uint64_t>(a + 16) == 0);
  // Another CPU's allocation does not see CPU 0's pool; CPU 0's own does, zeroed and renamed.
  const uint64_t other = heap.allocate_block(nullptr, 1, "x.rep", 256);
  CHECK(other != a);
  std::vector<std::pair<uint64_t, uint64_t>> reused;
  heap.on_reuse([&](uint64_t at, uint64_t bytes) { reused.emplace_back(at, bytes); });
  const uint64_t again = heap.allocate_block(nullptr, 0, "y.rep", 129);
  CHECK(again == a);
  CHECK(reused == std::vector<std::pair<uint64_t, uint64_t>>{{a, 256}});
  CHECK(memory.load<uint64_t>(a + 16) == 0);
  CHECK(regions.name(regions.lookup(a)) == "y.rep");
  CHECK(memory.load<uint64_t>(pool + 24) == 0);
  CHECK(heap.frees() == 1);
  CHECK(heap.reuses() == 1);
  CHECK(heap.peak_bytes() >= heap.live_bytes());
}

TEST_CASE("a full local list spills into the global pool, where every CPU finds it", "[os][heap]") {
  mem::GuestMemory memory(1 << 20);
  mem::RegionMap regions;
  os::GuestHeap heap(memory, regions, 0x10000, 0x80000, 128);
  heap.set_cpus(2);
  heap.set_local_blocks(2);
  std::vector<uint64_t> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(heap.allocate_block(nullptr, 0, "r", 128));
  for (uint64_t b : blocks) heap.free_block(nullptr, 0, b);  // two stay on CPU 0, the third goes global
  CHECK(heap.allocate_block(nullptr, 1, "s", 100) == blocks[2]);
  CHECK(heap.allocate_block(nullptr, 1, "s", 100) != blocks[0]);  // CPU 1 has none left: carved
  CHECK(heap.allocate_block(nullptr, 0, "t", 128) == blocks[1]);  // last in, first out
  CHECK(heap.allocate_block(nullptr, 0, "t", 128) == blocks[0]);
}

TEST_CASE("large blocks are found first-fit; a block is freed once", "[os][heap]") {
  mem::GuestMemory memory(1 << 22);
  mem::RegionMap regions;
  os::GuestHeap heap(memory, regions, 0x10000, 0x200000, 128);
  heap.set_cpus(1);
  const uint64_t big = heap.allocate_block(nullptr, 0, "big", 40 * 128);
  const uint64_t bigger = heap.allocate_block(nullptr, 0, "bigger", 64 * 128);
  heap.free_block(nullptr, 0, bigger);
  heap.free_block(nullptr, 0, big);
  CHECK(heap.allocate_block(nullptr, 0, "want", 50 * 128) == bigger);  // the 40-line block is too small
  CHECK(heap.allocate_block(nullptr, 0, "want", 33 * 128) == big);
  CHECK_THROWS_AS(heap.free_block(nullptr, 0, big + 128), std::logic_error);
  heap.free_block(nullptr, 0, big);
  CHECK_THROWS_AS(heap.free_block(nullptr, 0, big), std::logic_error);
}
