// Which CPU thread runs next: the ready one earliest in (cycle, CPU) order.
//
// Exactly one CPU thread holds the turn at a time. A thread that gives it up
// waits on its own event; the scheduler notifies the next one itself,
// immediately when that one is due at the current SystemC time, else at its
// cycle. So CPUs meeting at one cycle share that SystemC time and still go in
// CPU order, never in the order SystemC's event queue happens to hold them
// (which depends on its history), and a handover within a cycle costs one
// immediate notification, not a pass of SystemC's timed queue.
#pragma once
#include <cstdint>
#include <memory>
#include <systemc>
#include <vector>

namespace quiesce::platform {

class CycleScheduler {
 public:
  CycleScheduler(unsigned cpus, uint64_t period_ticks);

  // SystemC time in cycles, as the turn's holder sees it.
  uint64_t now() const { return now_; }
  // True if no ready CPU comes before `cpu` at `cycle`: it would run next.
  bool earliest(unsigned cpu, uint64_t cycle) const { return ready_.empty() || key(cycle, cpu) < ready_.front(); }

  // All of these are called from `cpu`'s own thread (wake: from the holder's).
  // At the thread's start: returns when it holds the turn at cycle 0.
  void start(unsigned cpu);
  // Gives up the turn until `cpu` is next at `cycle` (> now()).
  void wait_turn(unsigned cpu, uint64_t cycle);
  // Gives up the turn until another CPU wakes `cpu` and it is next.
  void block(unsigned cpu);
  // Makes the blocked `cpu` ready at `cycle` (not before the holder's position).
  void wake(unsigned cpu, uint64_t cycle) { push(key(cycle, cpu)); }
  // The holder stops for good: the next ready CPU gets the turn.
  void leave();

 private:
  // (cycle, cpu) in one word, ordered as the pair: at most 1024 CPUs
  // (MachineConfig), and 2^54 cycles are months of simulated time.
  using Turn = uint64_t;
  static Turn key(uint64_t cycle, unsigned cpu) { return cycle << 10 | cpu; }
  static uint64_t cycle_of(Turn t) { return t >> 10; }
  static unsigned cpu_of(Turn t) { return static_cast<unsigned>(t & 1023); }
  void push(Turn t);
  Turn pop();
  Turn replace_top(Turn t);  // returns the top
  void notify(Turn t);
  void wait_for_turn(unsigned cpu);

  std::vector<Turn> ready_;  // a min-heap; never holds the turn's holder or a blocked CPU
  std::unique_ptr<sc_core::sc_event[]> turn_;
  unsigned cpus_, started_ = 0;
  uint64_t period_;  // SystemC ticks per cycle
  // SystemC time in cycles: where the holder resumed. Only one notification is
  // ever pending, so `due_` is where the next holder will.
  uint64_t now_ = 0, due_ = 0;
};

}  // namespace quiesce::platform
