// K42's factories: one per class, creating its instances and tracking the
// live ones, with the class's version number. Dynamic update replaces a
// factory with a newer version's and then swaps every tracked instance, so
// the instance list lives in guest memory where the update's workers read it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cpu_ppc64/hart.h"
#include "os_model/guest_heap.h"

namespace quiesce::os {

class Factory {
 public:
  // Region "factory.<class>": [version][live count][COID of each live instance...].
  Factory(GuestHeap& heap, std::string class_name, uint32_t version, unsigned capacity);

  const std::string& class_name() const { return class_; }
  uint32_t version() const { return version_; }
  const std::vector<unsigned>& instances() const { return live_; }
  uint64_t address() const { return table_; }

  // Records a new instance; with a hart, the update pays its memory traffic
  // (at set-up, before time starts, it is free).
  void add(unsigned coid, ppc::Hart* h = nullptr);
  // Forgets an instance (the last one moves into its slot). False if unknown.
  bool remove(unsigned coid, ppc::Hart* h = nullptr);
  // A new version of the class takes over (dynamic update).
  void set_version(uint32_t version, ppc::Hart* h = nullptr);
  // Dynamic update's first step: the factory itself is replaced by the new
  // version's, which takes over the instance set — a new table in guest
  // memory (from the OS allocator), every entry read from the old one and written to the new. Returns the
  // old table: the caller frees it once no thread can still be reading it.
  uint64_t hot_swap(ppc::Hart& h, GuestHeap& heap, uint32_t version);

 private:
  void write(uint64_t addr, uint64_t value, ppc::Hart* h);

  mem::GuestMemory& memory_;

  std::string class_;
  uint32_t version_;
  unsigned capacity_;
  uint64_t table_;
  std::vector<unsigned> live_;
};

}  // namespace quiesce::os
