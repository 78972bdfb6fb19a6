// What a scenario asks of the hot-swap layer, as plain data: each
// implementation's state-transfer abilities, the swap and update events, and
// each strategy's parameters. Checked by the scenario reader (references, a common
// transfer protocol, same interface); nothing here knows YAML. Times are in
// microseconds; defaults are documented in scenarios/README.md.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hotswap/policy_spec.h"
#include "hotswap/strategy_registry.h"

namespace quiesce::hotswap {

// State-transfer protocols, defined a priori; the bit number is the priority
// (the patent's negotiation: AND the old object's export set with the new
// one's import set and take the most significant bit).
enum class Protocol : uint8_t { Transform = 0, Copy = 1, ByReference = 2 };
inline constexpr uint32_t kAllProtocols = 0b111;
const char* protocol_name(Protocol p);

struct TransferSpec {
  uint32_t exports = kAllProtocols;  // bit set of Protocol
  uint32_t imports = kAllProtocols;
  uint32_t fixed_cycles = 200;             // per rep: setting up export/import
  uint32_t copy_cycles_per_line = 4;       // copy/marshal: per line, beyond its load and store
  double transform_cycles_per_byte = 2.0;  // transform: conversion work per byte
};

// Swap object `object` (a whole group, or one instance "name[i]") to
// implementation `to`, when the time reaches at_us or, if after_calls > 0,
// once that many calls have completed in the whole system (whichever is set).
struct SwapEvent {
  std::string object;
  std::string to;
  std::string strategy = "k42_generation";
  double at_us = 0;
  uint64_t after_calls = 0;
  unsigned cpu = 0;  // the CPU that initiates it
  int patch = -1;    // a part of that patch (HotSwapSpec::patches): the patch fires it, not its own time
};

// Dynamic update of class `class_name` to the implementation of that class
// with version `to_version`: the factory is hot-swapped (its instance set
// transferred), then every live instance is swapped, eagerly (a worker per
// CPU walks the instances) or lazily (each on its next call).
struct UpdateEvent {
  std::string class_name;
  uint32_t to_version = 2;
  bool lazy = false;
  std::string strategy = "k42_generation";
  double at_us = 0;
  uint64_t after_calls = 0;
  unsigned cpu = 0;
  int patch = -1;  // a part of that patch: always eager
};

// Several swaps and eager updates that switch as one (the parts: the swap and update events whose `patch`
// is this one's index): every part's swaps reach their safe points and hold there; when the last one
// does, all switch (the joint safe point); if one gives up, or the joint point is not reached within
// give_up_us, every part goes back to its old implementation (sim/hotswap/patch.h).
struct PatchEvent {
  double at_us = 0;
  uint64_t after_calls = 0;
  unsigned cpu = 0;
  double give_up_us = 0;  // 0: it waits as long as it takes
};

struct HotSwapSpec {
  std::vector<TransferSpec> transfer;  // per implementation, in the scenario's implementation order
  std::vector<SwapEvent> swaps;
  std::vector<UpdateEvent> updates;
  std::vector<PatchEvent> patches;
  std::vector<PolicySpec> policies;  // autonomic swaps (policy_spec.h)
  // Per strategy used by the events (and any named under hotswap.strategies): its parameter values.
  std::map<std::string, StrategyParams> params;
  double timeout_us = 0;            // the watchdog: a swap not done this long after it began ends the run (0: off)
  uint32_t update_step_cycles = 60; // a dynamic update's worker, per step (assumed)
  // Free what swaps leave behind by each strategy's rule (issue 24; reclaimer.h). false: the heap only grows.
  bool reclaim = true;
  // The parameters of strategy `name`: the scenario's, or its registered defaults.
  StrategyParams& strategy(const std::string& name);
  StrategyParams strategy(const std::string& name) const;  // (a copy: the defaults when the scenario has none)
};

}  // namespace quiesce::hotswap
