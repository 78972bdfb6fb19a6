#include "os_model/factory.h"

#include <algorithm>

#include <fmt/format.h>

#include "os_model/host_access.h"

namespace quiesce::os {

Factory::Factory(GuestHeap& heap, std::string class_name, uint32_t version, unsigned capacity)
    : memory_(heap.memory()),
      class_(std::move(class_name)),
      version_(version),
      capacity_(capacity),
      table_(heap.allocate("factory." + class_, 16 + 8 * uint64_t{capacity})) {
  heap.memory().store<uint64_t>(table_, version);
}

void Factory::write(uint64_t addr, uint64_t value, ppc::Hart* h) {
  if (h) host_store(*h, addr, value);
  else memory_.store<uint64_t>(addr, value);
}

void Factory::add(unsigned coid, ppc::Hart* h) {
  if (live_.size() >= capacity_)
    throw GuestHeapExhausted(fmt::format("factory of {} holds at most {} instances", class_, capacity_));
  live_.push_back(coid);
  write(table_ + 16 + 8 * (live_.size() - 1), coid, h);
  write(table_ + 8, live_.size(), h);
}

bool Factory::remove(unsigned coid, ppc::Hart* h) {
  const auto it = std::find(live_.begin(), live_.end(), coid);
  if (it == live_.end()) return false;
  *it = live_.back();
  live_.pop_back();
  if (static_cast<size_t>(it - live_.begin()) < live_.size()) write(table_ + 16 + 8 * (it - live_.begin()), *it, h);
  write(table_ + 8, live_.size(), h);
  return true;
}

void Factory::set_version(uint32_t version, ppc::Hart* h) {
  version_ = version;
  write(table_, version, h);
}

uint64_t Factory::hot_swap(ppc::Hart& h, GuestHeap& heap, uint32_t version) {
  const uint64_t table = heap.allocate_block(&h, h.id(), fmt::format("factory.{}.v{}", class_, version),
                                             16 + 8 * uint64_t{capacity_}, false, false);
  const uint64_t old = table_;
  for (size_t i = 0; i < live_.size(); ++i) host_store(h, table + 16 + 8 * i, host_load(h, table_ + 16 + 8 * i));
  host_store(h, table + 8, host_load(h, table_ + 8));
  table_ = table;
  set_version(version, &h);
  return old;
}

}  // namespace quiesce::os
