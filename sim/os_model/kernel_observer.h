// What the kernel tells an observer (a trace writer) as it runs: threads
// going on and off their CPUs, top-level calls beginning and ending, local
// generation swaps, run-queue lengths. None by default: a run without one pays a pointer test.
#pragma once
#include <cstddef>
#include <cstdint>

#include "os_model/thread.h"

namespace quiesce::os {

class KernelObserver {
 public:
  virtual ~KernelObserver() = default;
  virtual void thread_on(unsigned cpu, const Thread& t, uint64_t cycle) = 0;
  virtual void thread_off(unsigned cpu, const Thread& t, uint64_t cycle) = 0;  // blocked, parked or ended
  virtual void call_begin(unsigned cpu, const Thread& t, uint64_t cycle) = 0;  // t.call_group/method/coid
  virtual void call_end(unsigned cpu, const Thread& t, uint64_t cycle) = 0;
  virtual void generation_swap(unsigned cpu, uint64_t cycle) = 0;
  // The CPU's run queue now holds `length` threads (tid went in or came out).
  virtual void run_queue(unsigned /*cpu*/, unsigned /*tid*/, size_t /*length*/, uint64_t /*cycle*/) {}
};

}  // namespace quiesce::os
