#include "os_model/translation_table.h"

#include <stdexcept>

#include <fmt/format.h>

#include "cpu_ppc64/encoder.h"

namespace quiesce::os {

TranslationTable::TranslationTable(GuestHeap& heap, unsigned cpus, unsigned capacity, uint64_t default_rep)
    : capacity_(capacity) {
  gtt_ = heap.allocate("GTT", uint64_t{capacity} * kGttEntryBytes);
  for (unsigned c = 0; c < cpus; ++c) {
    const uint64_t base = heap.allocate(fmt::format("LTT.cpu{}", c), uint64_t{capacity} * kLttEntryBytes);
    // Right after the LTT (line-aligned allocations of equal size: the same offset on every CPU).
    const uint64_t local = heap.allocate(fmt::format("cpulocal.cpu{}", c), uint64_t{capacity} * 8);
    if (c == 0) local_offset_ = local - base;
    if (local - base != local_offset_) throw std::logic_error("CPU-local areas are not at one offset from the LTTs");
    // Filling the tables at boot is not a simulated cost.
    for (unsigned i = 0; i < capacity; ++i) heap.memory().store<uint64_t>(base + uint64_t{i} * kLttEntryBytes, default_rep);
    ltt_.push_back(base);
  }
}

bool TranslationTable::coid_of(unsigned cpu, uint64_t entry, unsigned& coid) const {
  const uint64_t off = entry - ltt_[cpu];
  if (off % kLttEntryBytes || off / kLttEntryBytes >= capacity_) return false;
  coid = static_cast<unsigned>(off / kLttEntryBytes);
  return true;
}

std::vector<uint32_t> dref_call(unsigned coid, unsigned method) {
  namespace enc = ppc::enc;
  const int64_t off = int64_t{coid} * TranslationTable::kLttEntryBytes;
  if (off > 0x7fff'ffff || method * 8 > 0x7fff) throw std::invalid_argument("COID or method index too large");
  constexpr unsigned e = TranslationTable::kLttEntryRegister;
  std::vector<uint32_t> code;
  if (off <= 0x7fff) {
    code.push_back(enc::addi(e, TranslationTable::kLttBaseRegister, off));  // &LTT[coid]
  } else {  // a large COID: high half first (addi sign-extends the low half)
    const int64_t lo = static_cast<int16_t>(off & 0xffff);
    code.push_back(enc::addis(e, TranslationTable::kLttBaseRegister, (off - lo) >> 16));
    code.push_back(enc::addi(e, e, lo));
  }
  for (uint32_t w : {enc::ld(3, 0, e),                      // this = the rep
                     enc::ld(12, 0, 3),                     // its vtable
                     enc::ld(12, int64_t{method} * 8, 12),  // the method
                     enc::mtctr(12), enc::bctrl()})
    code.push_back(w);
  return code;
}

}  // namespace quiesce::os
