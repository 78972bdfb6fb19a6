// What the kernel counts as it runs, for the results: per CPU, per object
// group and method, and per time window. Plain data; the kernel fills it.
#pragma once
#include <cstdint>
#include <vector>

#include "os_model/latency_histogram.h"

namespace quiesce::os {

struct CpuOsStats {
  uint64_t idle_cycles = 0, stopped_cycles = 0, threads_created = 0, threads_exited = 0, context_switches = 0, calls = 0;
  uint64_t io_points = 0, io_blocks = 0, backlogged = 0, backlog_peak = 0;
  uint64_t interrupts = 0, preemptions = 0;  // interrupts taken (timer, IPI, devices), threads preempted
  uint64_t wake_ipis = 0;  // preemptive: events posted to this CPU by another while it ran a thread (an IPI each)
};

struct MethodStats {
  uint64_t calls = 0;   // top-level calls completed (after warm-up)
  uint64_t nested = 0;  // executions reached through nested calls of completed calls
  LatencyHistogram<5> latency;  // cycles, top-level calls
};

struct WindowStats {
  uint64_t calls = 0, threads_created = 0;
  LatencyHistogram<3> latency;
};

// A device's interrupts (devices:): latency from its line rising to its handler starting (interrupts off
// delay it), and the handler's cycles from start to the end of its last call.
struct DeviceStats {
  uint64_t interrupts = 0, calls = 0;
  LatencyHistogram<4> latency, handler_cycles;
};

// A group with lifetimes (issue 24): its workloads' `create` and `destroy` calls.
struct LifeStats {
  uint64_t created = 0, destroyed = 0;
  uint64_t create_refused = 0;   // the group was at its capacity
  uint64_t destroy_refused = 0;  // the group's last instance, or one a swap held
  uint64_t reclaimed = 0;        // destroyed instances whose memory and COID went back (by the group's rule)
  uint64_t reclaim_cycles = 0;   // summed over them: from the destruction to the reclamation
  uint64_t holdouts = 0;         // grace_period: threads found off their CPU in a call, waited for
  uint64_t peak_live = 0;
};

struct KernelStats {
  std::vector<CpuOsStats> cpu;                    // per CPU
  std::vector<std::vector<MethodStats>> methods;  // [group][method]
  std::vector<WindowStats> windows;               // calls.csv's rows
  std::vector<DeviceStats> devices;               // per device, in the scenario's order
  std::vector<LifeStats> lifetimes;               // per group (all zero for a group without lifetimes)
  uint64_t window_cycles = 1;
  uint64_t calls = 0;  // top-level calls completed before the run's end (warm-up included)
};

}  // namespace quiesce::os
