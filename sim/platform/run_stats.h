// The --stats JSON of a run: totals, per-CPU counters and per-region
// coherence statistics (every counter named as declared in coherence_stats.h),
// plus a "units" map documenting each counter.
#pragma once
#include <nlohmann/json.hpp>

#include "platform/machine.h"

namespace quiesce::platform {

nlohmann::ordered_json run_stats_json(const RunResult& r);
// The process's peak resident memory so far (VmHWM; 0 where /proc does not tell): the simulator's
// own, unlike a parent's getrusage, which also counts what the child was before exec.
uint64_t peak_resident_bytes();

}  // namespace quiesce::platform
