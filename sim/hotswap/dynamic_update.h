// K42's dynamic update of a class: the factory is hot-swapped to the new
// version (taking over the instance set), then every live instance is
// hot-swapped to the new implementation by the update's strategy, either
//   eager: a worker per CPU walks its share of the instances, one swap at a time, or
//   lazy:  every instance is marked (its LTT entries reset, its root wrapped)
//          and swapped when it is next called.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

class Mediator;
class Patch;

struct UpdateRecord {
  std::string class_name;
  uint32_t from_version = 0, to_version = 0;
  bool lazy = false;
  uint64_t start_cycle = 0, factory_done_cycle = 0, marked_cycle = 0, end_cycle = 0;
  unsigned instances = 0, swapped = 0;
  unsigned given_up = 0;  // instances whose swap gave up (still the old implementation)
  unsigned destroyed = 0;  // instances destroyed (object lifetimes) before their swap: nothing left to update
  bool completed = false;
};

class DynamicUpdate {
 public:
  // `swap(h, coid, done)` starts one instance's swap from h's CPU.
  // `done` gets the swap's end (its last CPU's Complete, which may be later than the hart that reports it).
  using SwapDone = std::function<void(ppc::Hart&, uint64_t end_cycle)>;
  using StartSwap = std::function<void(ppc::Hart&, unsigned coid, SwapDone done)>;
  // `swapping(coid)`: whether a swap of that instance is under way.
  // `step_cycles`: a worker's or the marker's bookkeeping per step.
  DynamicUpdate(os::SwapInterface k, const UpdateEvent& e, unsigned new_impl, uint32_t step_cycles, StartSwap swap,
                std::function<bool(unsigned coid)> swapping);

  void start(ppc::Hart& h);
  // As a part of a patch: prepare finds the factory and the instances to swap (their number); start_in_patch
  // starts every instance's swap at once (each a member of the patch), and the factory switches to the new
  // version at the patch's joint point: if the patch gives up, the class keeps its version.
  unsigned prepare(ppc::Hart& h);
  void start_in_patch(ppc::Hart& h, Patch& patch);
  // Before any swap of `coid` begins: a lazily marked instance gets its own root back.
  void unmark(unsigned coid);
  // Object lifetimes: instance `coid` was destroyed and reclaimed; if the update had yet to swap it, it
  // needs no swap any more (its slot may come back as a new instance, in the factory's current version).
  void gone(unsigned coid);
  const UpdateRecord& record() const { return rec_; }
  // Under way: started, and an instance still to settle (swapped, given up or destroyed); a lazy update runs
  // until each instance has been called. `on_complete(end)` runs once, when it completes (set before start).
  bool running() const;
  void on_complete(std::function<void(uint64_t end_cycle)> f) { on_complete_ = std::move(f); }
  // The factory's old table, once the new one took over: freed when no thread can still read it (set
  // before start; unset, it is kept).
  void on_old_table(std::function<void(ppc::Hart&, uint64_t table)> f) { old_table_ = std::move(f); }

 private:
  os::SystemStep eager_worker(ppc::Hart& h, unsigned rank, unsigned workers, size_t& next, bool& waiting,
                                  int& tid);
  os::SystemStep marker(ppc::Hart& h);
  void swapped(unsigned coid, uint64_t end_cycle);
  void check_complete();

  os::SwapInterface k_;
  UpdateEvent ev_;
  unsigned new_impl_;
  uint32_t step_cycles_;
  StartSwap swap_;
  std::function<bool(unsigned)> swapping_;
  os::Factory* factory_ = nullptr;
  std::function<void(ppc::Hart&, uint64_t)> old_table_;
  std::vector<unsigned> instances_;  // to swap, factory order
  std::set<unsigned> settled_;       // of those, the ones swapped, given up or destroyed
  size_t marked_ = 0;
  std::map<unsigned, os::Root*> marked_roots_;  // marked instances: the wrapper now in the COM
  bool locked_ = false;
  uint64_t last_end_ = 0;  // the latest end of its swaps so far
  bool started_ = false;
  std::function<void(uint64_t)> on_complete_;
  UpdateRecord rec_;
};

}  // namespace quiesce::hotswap
