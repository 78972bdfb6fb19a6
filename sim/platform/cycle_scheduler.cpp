#include "platform/cycle_scheduler.h"

namespace quiesce::platform {

CycleScheduler::CycleScheduler(unsigned cpus, uint64_t period_ticks)
    : turn_(new sc_core::sc_event[cpus]), cpus_(cpus), period_(period_ticks) {
  ready_.reserve(cpus);
}

// A binary min-heap by hand, for replace_top: a CPU giving up the turn to the
// earliest ready one takes that one's place in a single sift-down.
void CycleScheduler::push(Turn t) {
  size_t i = ready_.size();
  ready_.push_back(t);
  while (i > 0 && t < ready_[(i - 1) / 2]) {
    ready_[i] = ready_[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  ready_[i] = t;
}

CycleScheduler::Turn CycleScheduler::replace_top(Turn t) {
  const Turn top = ready_[0];
  const size_t n = ready_.size();
  size_t i = 0;
  for (size_t c = 1; c < n; c = 2 * i + 1) {
    if (c + 1 < n && ready_[c + 1] < ready_[c]) ++c;
    if (t <= ready_[c]) break;
    ready_[i] = ready_[c];
    i = c;
  }
  ready_[i] = t;
  return top;
}

CycleScheduler::Turn CycleScheduler::pop() {
  const Turn last = ready_.back();
  ready_.pop_back();
  return ready_.empty() ? last : replace_top(last);
}

void CycleScheduler::notify(Turn t) {
  due_ = cycle_of(t);
  if (due_ == now_)
    turn_[cpu_of(t)].notify();
  else
    turn_[cpu_of(t)].notify(sc_core::sc_time::from_value((due_ - now_) * period_));
}

void CycleScheduler::wait_for_turn(unsigned cpu) {
  sc_core::wait(turn_[cpu]);
  now_ = due_;
}

void CycleScheduler::wait_turn(unsigned cpu, uint64_t cycle) {
  if (earliest(cpu, cycle)) {
    // Still the earliest (the caller chose not to skip ahead): SystemC's time goes there.
    sc_core::wait(sc_core::sc_time::from_value((cycle - now_) * period_));
    now_ = cycle;
    return;
  }
  notify(replace_top(key(cycle, cpu)));
  wait_for_turn(cpu);
}

// Every thread starts runnable at time 0 in an order of SystemC's choosing; the
// last to start hands the turn to the earliest, so that order does not matter.
void CycleScheduler::start(unsigned cpu) {
  if (++started_ < cpus_) {
    push(key(0, cpu));
    wait_for_turn(cpu);
  } else if (!earliest(cpu, 0)) {
    notify(replace_top(key(0, cpu)));
    wait_for_turn(cpu);
  }
}

void CycleScheduler::block(unsigned cpu) {
  if (!ready_.empty()) notify(pop());
  wait_for_turn(cpu);
}

void CycleScheduler::leave() {
  if (!ready_.empty()) notify(pop());
}

}  // namespace quiesce::platform
