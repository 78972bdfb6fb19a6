// The --stats JSON of a run: totals, per-CPU counters and per-region
// coherence statistics (every counter named as declared in coherence_stats.h),
// plus a "units" map documenting each counter.
#pragma once
#include <nlohmann/json.hpp>

#include "platform/machine.h"

namespace quiesce::platform {

nlohmann::ordered_json run_stats_json(const RunResult& r);

}  // namespace quiesce::platform
