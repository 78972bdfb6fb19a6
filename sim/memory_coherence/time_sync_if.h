// How the memory system asks the platform to bring a CPU's thread of control
// to a point in simulated time. The platform implements it by letting the
// other CPUs run first up to there (so their earlier requests are performed first); unit tests that drive
// the memory directly use no-op implementations.
#pragma once
#include <cstdint>

namespace quiesce::mem {

class TimeSync_if {
 public:
  virtual ~TimeSync_if() = default;
  // Returns once simulated time has reached `cycle` on `cpu`'s clock, with
  // the current time (>= cycle). Called only from the requesting CPU's own
  // thread of control.
  virtual uint64_t sync(unsigned cpu, uint64_t cycle) = 0;
  // Where `cpu`'s thread of control stands in simulated time.
  virtual uint64_t position(unsigned cpu) = 0;
  // Suspends `cpu` (from its own thread) until another CPU calls wake();
  // returns the time then. For a request queued behind one not yet performed,
  // which would otherwise look again every cycle.
  virtual uint64_t block(unsigned cpu) = 0;
  // Resumes the blocked `cpu` at `cycle` (not before the caller's position).
  virtual void wake(unsigned cpu, uint64_t cycle) = 0;
};

}  // namespace quiesce::mem
