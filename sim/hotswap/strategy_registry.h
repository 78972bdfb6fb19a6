// The registry of quiescence strategies: what each one is (name, safety claim,
// phases, parameters, the rules its events must follow) and how to make it.
// Every tool learns the strategies from here: the scenario reader checks
// names, parameters and events against it, `quiesce strategies` prints it, and
// bench/compare, tools/torture and the Python package read that output.
//
// A strategy is one file: its class, its StrategyInfo and one registration
// line — a line in strategies.cpp for the shipped ones, or a
// `StrategyRegistrar` object in the file itself for one linked in from
// elsewhere (the tests' strategies).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "os_model/os_spec.h"

namespace quiesce::hotswap {

class QuiescenceStrategy;

// One parameter of a strategy: `hotswap.strategies.NAME.KEY` in a scenario,
// or `hotswap.KEY` for every strategy that has KEY.
struct StrategyParam {
  std::string key;
  double default_value = 0, min = 0, max = 0;
  std::string unit;     // "cycles", "us", "calls", "sites", "slots", "" (a count)
  std::string meaning;
  bool integer = true;  // integers only
  bool pow2 = false;    // a power of two
  std::string source = "assumed";  // where the default comes from
};

// One strategy's parameter values, in its declared order (every key declared, defaults filled in).
class StrategyParams {
 public:
  StrategyParams() = default;
  explicit StrategyParams(const std::vector<StrategyParam>& declared);
  void set(const std::string& key, double value);
  double real(const std::string& key) const;
  uint32_t u32(const std::string& key) const { return static_cast<uint32_t>(real(key)); }
  uint64_t u64(const std::string& key) const { return static_cast<uint64_t>(real(key)); }
  const std::vector<std::pair<std::string, double>>& values() const { return values_; }
  bool operator==(const StrategyParams&) const = default;

 private:
  std::vector<std::pair<std::string, double>> values_;
};

// What a strategy asks of the events that use it: the scenario reader enforces
// these (errors at the event's `strategy`), tools/torture draws events within them.
inline constexpr const char* kConstraintSharedRoot = "shared_root";  // every implementation involved has a shared root
inline constexpr const char* kConstraintExclusive = "exclusive";     // no other strategy swaps the same object
inline constexpr const char* kConstraintNoUpdates = "no_updates";    // swap events only, not class updates
inline constexpr const char* kConstraintSameInterface = "same_interface";  // no event of it adds methods
inline constexpr const char* kConstraintByReference = "by_reference";  // the state moves by reference (same layout, both sides speak it)
inline constexpr const char* kConstraintStaticInstances = "static_instances";  // no object with a capacity (lifetimes)
bool known_constraint(const std::string& c);

// When what a swap leaves behind (the old object's reps and shared state, the swap's own structures)
// may go back to the OS allocator (issue 24; sim/hotswap/reclaimer.h): its strategy's rule.
enum class Reclaim : uint8_t {
  AtEnd,        // at the swap's end: its own wait proved that no thread holds the old object
  Generations,  // two generation swaps on every CPU after the swap's end (K42's deferred destruction)
  AtStart,      // when the swap begins, waiting for nothing: unsafe (test-only twins)
};
const char* reclaim_name(Reclaim r);  // "at_end", "generations", "at_start"

struct StrategyInfo {
  std::string name;
  std::string summary;      // one line
  bool safe = true;         // claims quiescence: torture expects no violation; else the oracle must flag it
  std::string safety;       // the claim, or why it is unsafe
  std::string fast_path;    // what every call pays
  std::string waits_for;    // what a swap waits on
  std::vector<std::string> phases;  // the phases its swaps record, in order
  std::vector<StrategyParam> params;
  std::vector<std::string> constraints;  // kConstraint*: what the events that use it must respect
  bool test_only = false;   // linked into a test binary only
  bool stops_world = false; // its swaps stop every other CPU: the kernel takes interrupts (the request is an IPI)
  // Patches (hotswap/patch.h): whether its swaps can be parts of one — hold at their safe point until the
  // others are at theirs, and go back from anywhere before it — and how, or why not.
  bool joins_patches = false;
  std::string in_patch;
  // While it holds for its patch, a call from a thread inside another part still passes (taking its
  // arrival back). Without this, no other part may call into its object (directly or through others):
  // the call would be held while that part waits for it to return. The scenario reader checks.
  bool patch_lets_callers_through = false;
  Reclaim reclaim = Reclaim::AtEnd;  // when the old object and the swap's structures are freed
  std::string reclaim_rule;          // why that is safe, in words (`quiesce strategies` lists it)
};

struct StrategyEntry {
  StrategyInfo info;
  std::function<std::unique_ptr<QuiescenceStrategy>(const StrategyInfo&, const StrategyParams&)> make;
};

// Every registered strategy: strategies.cpp's list, then the registrars' in link order.
const std::vector<StrategyEntry>& strategy_registry();
const StrategyEntry* find_strategy(const std::string& name);
std::vector<std::string> strategy_names();

// Registers a strategy defined outside strategies.cpp (a static object in its file).
struct StrategyRegistrar {
  explicit StrategyRegistrar(StrategyEntry e);
};

}  // namespace quiesce::hotswap
