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
