// The scheduler's part of the diagnostic log (sim/diag/log.h), told by the kernel's observer
// (threads on and off their CPUs, calls, generation swaps, run-queue lengths): the kernel itself
// has no log sites, and a run without the log installs no observer at all. ObserverList lets it
// and a trace writer watch the same run.
#pragma once
#include <string>
#include <vector>

#include "os_model/os_kernel.h"

namespace quiesce::run {

// "object.method" of a call (an instance of a group of several as "group[i]"), as logs and timelines name it.
std::string call_name(const os::OsKernel& k, unsigned coid, unsigned method);
std::string method_name(const os::OsKernel& k, unsigned coid, unsigned method);
std::string object_name(const os::OsKernel& k, unsigned coid);

class SchedulerLog final : public os::KernelObserver {
 public:
  explicit SchedulerLog(const os::OsKernel& k) : k_(k) {}
  void thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void thread_off(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void call_end(unsigned cpu, const os::Thread& t, uint64_t cycle) override;
  void generation_swap(unsigned cpu, uint64_t cycle) override;
  void run_queue(unsigned cpu, unsigned tid, size_t length, uint64_t cycle) override;

 private:
  const os::OsKernel& k_;
};

class ObserverList final : public os::KernelObserver {
 public:
  void add(os::KernelObserver* o) { all_.push_back(o); }
  bool empty() const { return all_.empty(); }
  void thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) override {
    for (auto* o : all_) o->thread_on(cpu, t, cycle);
  }
  void thread_off(unsigned cpu, const os::Thread& t, uint64_t cycle) override {
    for (auto* o : all_) o->thread_off(cpu, t, cycle);
  }
  void call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) override {
    for (auto* o : all_) o->call_begin(cpu, t, cycle);
  }
  void call_end(unsigned cpu, const os::Thread& t, uint64_t cycle) override {
    for (auto* o : all_) o->call_end(cpu, t, cycle);
  }
  void generation_swap(unsigned cpu, uint64_t cycle) override {
    for (auto* o : all_) o->generation_swap(cpu, cycle);
  }
  void run_queue(unsigned cpu, unsigned tid, size_t length, uint64_t cycle) override {
    for (auto* o : all_) o->run_queue(cpu, tid, length, cycle);
  }

 private:
  std::vector<os::KernelObserver*> all_;
};

}  // namespace quiesce::run
