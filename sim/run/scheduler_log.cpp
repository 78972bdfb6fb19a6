#include "run/scheduler_log.h"

#include "diag/log.h"

namespace quiesce::run {

std::string object_name(const os::OsKernel& k, unsigned coid) {
  const auto& grp = k.groups()[k.group_of(coid)];
  return grp.count == 1 ? grp.name : fmt::format("{}[{}]", grp.name, coid - grp.first);
}

// A top-level call's method: named by the object's interface (its methods and those a newer version adds).
std::string method_name(const os::OsKernel& k, unsigned coid, unsigned method) {
  return k.implementations()[k.groups()[k.group_of(coid)].interface].methods.at(method).name;
}

std::string call_name(const os::OsKernel& k, unsigned coid, unsigned method) {
  return object_name(k, coid) + "." + method_name(k, coid, method);
}

void SchedulerLog::thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  QLOG(Scheduler, Debug, cycle, cpu, "thread {} ({}) runs", t.id, k_.thread_label(t));
}

void SchedulerLog::thread_off(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  QLOG(Scheduler, Debug, cycle, cpu, "thread {} ({}) {}", t.id, k_.thread_label(t),
       t.state == os::ThreadState::Free ? "ends" : t.counted ? "blocks" : "blocks, out of its generation");
}

void SchedulerLog::call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  QLOG(Scheduler, Trace, cycle, cpu, "thread {} calls {}", t.id, call_name(k_, t.call_coid, t.call_method));
}

void SchedulerLog::call_end(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  QLOG(Scheduler, Trace, cycle, cpu, "thread {}'s call to {} returns", t.id, call_name(k_, t.call_coid, t.call_method));
}

void SchedulerLog::generation_swap(unsigned cpu, uint64_t cycle) {
  QLOG(Scheduler, Debug, cycle, cpu, "generation swap: now generation {}", k_.generation(cpu).current());
}

void SchedulerLog::run_queue(unsigned cpu, unsigned tid, size_t length, uint64_t cycle) {
  QLOG(Scheduler, Trace, cycle, cpu, "run queue: {} threads (thread {} in or out)", length, tid);
}

}  // namespace quiesce::run
