// Broken twins of the safe strategies, for the safety oracle's mutation test:
// each is its strategy with one defect that its own mechanism would hide and
// only what executes shows — the drain skipped (the counting strategies), one
// generation counted instead of two (k42_generation), a walk that checks no
// saved return address (stack_trace, direct), every pending thread forced at the first round
// (livepatch: its `force`, unsafe by design), the old code retired without a grace period (rcu). Each is
// registered here, test-only
// and unsafe, from its original's registry entry with the defect's parameter set.
#include <memory>
#include <string>

#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {
namespace {

StrategyEntry twin(const std::string& of, const std::string& key, double value, const std::string& defect) {
  const StrategyEntry* base = find_strategy(of);
  if (!base) throw std::logic_error("broken twin of an unknown strategy " + of);
  StrategyEntry e = *base;
  e.info.name = of + "_broken";
  e.info.summary = of + " with a defect: " + defect;
  e.info.safe = false;
  e.info.safety = "broken on purpose (" + key + " = " + std::to_string(static_cast<int>(value)) +
                  "): the safety oracle must catch it";
  e.info.test_only = true;
  e.make = [make = base->make, key, value](const StrategyInfo& info, const StrategyParams& p) {
    StrategyParams broken = p;
    broken.set(key, value);
    return make(info, broken);
  };
  return e;
}

const StrategyRegistrar k42{twin("k42_generation", "generations", 1, "counts one generation swap, not two")};
const StrategyRegistrar global{twin("global_refcount", "drain", 0, "skips its drain")};
const StrategyRegistrar percpu{twin("percpu_refcount", "drain", 0, "skips its drain")};
const StrategyRegistrar rwlock{twin("rwlock", "drain", 0, "takes the write lock without waiting for the readers")};
const StrategyRegistrar stack{twin("stack_trace", "walk_frames", 0, "walks no saved return address")};
const StrategyRegistrar direct{twin("direct", "walk_frames", 0, "walks no saved return address")};
const StrategyRegistrar livepatch{twin("livepatch", "force", 1, "forces every pending thread at its first round")};
const StrategyRegistrar rcu{twin("rcu", "grace_period", 0, "retires the old code right after publishing")};

}  // namespace
}  // namespace quiesce::hotswap
