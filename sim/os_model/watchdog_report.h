// The watchdog's report (issue 25, part 4): when a deadlock or a swap past hotswap.timeout_us stops
// the run, the report starts with the culprit -- the thread everyone else waits on, what it holds
// (stop-the-world, a generation its CPU cannot leave, a gated call) and its pc as symbol+offset --
// then the layers' parts (swaps in progress), then the live threads, identical ones grouped and the
// list capped. Composing is a pure function of the facts below, so unit tests build cases directly.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "os_model/thread.h"

namespace quiesce::os {

// What the kernel knows of one live thread when the run stops.
struct WatchdogThread {
  unsigned id = 0, cpu = 0;
  ThreadState state = ThreadState::Runnable;
  bool system = false;
  std::string what;   // its workload's or system body's name
  uint64_t pc = 0;
  std::string where;  // pc as symbol+offset ("" if nothing names it)
  std::string extra;  // the layers' words on it (thread describers), e.g. " (in 2 forwarded calls)"
  bool counted = false;                 // holds a count in `generation`
  uint64_t generation = 0, cpu_generation = 0;
  bool cpu_drained = true;              // its CPU's older generation has drained (it may swap again)
  bool holds_world = false;             // owns stop-the-world
  unsigned world_waiters = 0;           // system threads waiting for it
  std::string call;                     // the call under way ("obj.get"), "" if none
  bool gated = false;                   // that call went through a strategy's gate
  uint64_t since = 0;                   // when it was made (runnable: when it last became runnable)
};

// `headline` first (its first line is the run's stop reason), then "culprit: ...", then `parts`
// (the layers' reports), then the threads: at most `max_lines` lines of groups.
std::string watchdog_report(const std::string& headline, const std::vector<std::string>& parts,
                            const std::vector<WatchdogThread>& threads, size_t max_lines = 12);

// The one the others wait on, by the first rule that names one: the owner of stop-the-world while
// others wait; else a thread holding a generation its CPU cannot swap out of (the oldest-made first);
// else one in a gated call off its CPU (the oldest); else the thread waiting longest. -1 if none live.
int watchdog_culprit(const std::vector<WatchdogThread>& threads);

}  // namespace quiesce::os
