// The hot-swap parts of the scenario bound to hotswap/hotswap_spec.h: each
// implementation's `transfer` map, the `events` list (swap and update) and the
// top-level `hotswap` section (the watchdog, and each strategy's parameters). Events are checked in the
// order they are listed, which is the order they happen: each is checked
// against the implementations the objects have after the events above it (the
// same interface, a feasible common transfer protocol, not a swap to what an
// object already is). Keys, ranges and units: scenarios/README.md.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "os_model/os_spec.h"
#include "scenario/os_sections.h"
#include "scenario/yaml_reader.h"

namespace quiesce::scenario {

// `implementations.NAME.transfer` (absent: every protocol, default costs).
hotswap::TransferSpec read_transfer(MapReader m);

// Object name -> the implementations (indices) events give it besides its own, in event order.
using SwappedTo = std::unordered_map<std::string, std::vector<size_t>>;

// What an event left an object with: the implementations its instances have after it (one entry per
// event and object it concerns, in event order), and when it starts (at_us; none: after_calls).
struct ObjectSwitch {
  size_t event;
  std::string object;
  std::optional<double> at_us;
  std::vector<size_t> now;
};

// Reads `events` into out.swaps and out.updates; out.transfer must hold one
// entry per implementation. Fills `swapped_to` for the nested-call check, `switches` for check_added_calls.
void read_events(ListReader events, const std::vector<os::ImplementationSpec>& implementations,
                 const std::vector<os::ObjectSpec>& objects, unsigned cpus, const os::RunSpec& run,
                 hotswap::HotSwapSpec& out, SwappedTo& swapped_to, std::vector<ObjectSwitch>& switches);

// A workload may call a method its object's implementation lacks only if an event switches every instance
// of the object to versions that have it, at a time (at_us), and the workload starts at or after it.
// Fails at the mix entry's `method` otherwise.
void check_added_calls(const std::vector<AddedCall>& added, const std::vector<ObjectSwitch>& switches,
                       const std::vector<os::ImplementationSpec>& implementations, const Catalog& catalog);

// A swap asked for by something other than an event (a policy's action, the map `e` with keys `object`, `to`
// and `strategy`): `object` (a group or NAME[I]) and implementation `to` exist, and `to` can replace every
// implementation the instances may have when it happens (their own and each one `swapped_to` gives the object)
// by `strategy` within its constraints, `used` being the other strategies that swap the object. Fails at the key
// at fault; returns the target's name ("cache" or "cache[3]").
std::string check_swap_action(const MapReader& e, const std::string& object, const std::string& to,
                              const std::string& strategy, const std::vector<os::ImplementationSpec>& implementations,
                              const std::vector<os::ObjectSpec>& objects, const hotswap::HotSwapSpec& spec,
                              const SwappedTo& swapped_to, const std::vector<std::string>& used);

// An update asked for by something other than an event (a policy's action, the map `e`): class `cls` (named at
// `class_key`) has version `to_version`, `strategy` may update, and that version can replace every implementation
// of the class the objects may have when it happens (their own and each one `swapped_to` gives them), with the
// checks an update event gets. Fails at the key at fault; returns the version's implementation (an index).
size_t check_update_action(const MapReader& e, std::string_view class_key, const std::string& cls,
                           uint32_t to_version, const std::string& strategy,
                           const std::vector<os::ImplementationSpec>& implementations,
                           const std::vector<os::ObjectSpec>& objects, const hotswap::HotSwapSpec& spec,
                           const SwappedTo& swapped_to);

// The `hotswap` section, after the events (out.swaps, out.updates): `timeout_us`,
// `update_step_cycles`, and the parameters of every strategy the events use or
// `strategies` names — `strategies.NAME.KEY` for one strategy, `KEY` for every
// strategy that declares KEY (the specific one wins). Finishes the section.
void read_hotswap(MapReader& m, hotswap::HotSwapSpec& out);

}  // namespace quiesce::scenario
