// The scenario's OS-layer sections bound to the plain structs of
// os_model/os_spec.h: os, implementations, objects, workloads, run, outputs
// (the hot-swap parts, events among them, are in hotswap_section.h). Each
// reader checks its own keys and ranges; references into earlier sections are
// checked as they are read (objects -> implementations, workload mixes ->
// objects and methods), while nested calls, which may name objects declared
// later, keep their place and are checked by check_nested_calls once everything
// is read. Keys, ranges and units: scenarios/README.md.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "cpu_ppc64/elf_loader.h"
#include "hotswap/hotswap_spec.h"
#include "os_model/os_spec.h"
#include "platform/machine.h"
#include "scenario/yaml_reader.h"

namespace quiesce::scenario {

// Where a nested call was written (the reader of its `calls[i]` map), for errors after reading.
struct CallPlace {
  size_t implementation, method, call;  // indices into implementations, methods, calls
  MapReader at;
};

// A workload's call to a method its object's implementation lacks and a newer version adds: allowed only
// in a workload that starts once an event has switched the whole object to a version that has it
// (check_added_calls, after the events).
struct AddedCall {
  MapReader at;  // the mix entry
  std::string object, method;
  double start_us = 0;  // the workload's
};

// The implementations and objects, for resolving references with a did-you-mean.
class Catalog {
 public:
  Catalog(const std::vector<os::ImplementationSpec>& implementations, const std::vector<os::ObjectSpec>& objects);
  // Index of the implementation of `object` (which must exist).
  size_t implementation_of(const std::string& object) const;
  // Fails at `at.object` unless it names an object, at `at.method` unless that
  // object's implementation has the method; returns the method's index.
  size_t check_target(const MapReader& at, const std::string& object, const std::string& method) const;
  // Object lifetimes (issue 24): whether `object` has a capacity; whether a mix entry's `method` is `create`
  // or `destroy` call (on an object with a capacity, whatever its methods' names; on one without, an ordinary
  // call if its implementation has such a method, else failing at `at.method`).
  bool has_lifetimes(const std::string& object) const;
  bool check_lifetime_call(const MapReader& at, const std::string& object, const std::string& method) const;
  // Whether `object` exists, its implementation lacks `method` and another implementation has it.
  bool added_method(const std::string& object, const std::string& method) const;
  const std::vector<os::ImplementationSpec>& implementations() const { return implementations_; }

 private:
  const std::vector<os::ImplementationSpec>& implementations_;
  const std::vector<os::ObjectSpec>& objects_;
  std::unordered_map<std::string, size_t> object_impl_;  // object -> index of its implementation
};

// `guest` receives the symbols of os.guest_elf, for checking method symbols;
// `transfers` each implementation's `transfer` map, in the same order.
os::OsConfig read_os(MapReader m, const Document& doc, const platform::MachineConfig& machine, ppc::SymbolTable& guest);
std::vector<os::ImplementationSpec> read_implementations(MapReader m, const platform::MachineConfig& machine,
                                                         const os::OsConfig& os, const ppc::SymbolTable& guest,
                                                         std::vector<CallPlace>& calls,
                                                         std::vector<hotswap::TransferSpec>& transfers);
std::vector<os::ObjectSpec> read_objects(MapReader m, const std::vector<os::ImplementationSpec>& implementations);
// `added`: the mix entries that call a method a newer version adds (checked after the events).
std::vector<os::WorkloadSpec> read_workloads(MapReader m, const platform::MachineConfig& machine,
                                             const Catalog& catalog, std::vector<AddedCall>& added);
// Refuses a handler call that may block (wait for I/O, itself or through nested calls, in any
// implementation its object has or is swapped to). After check_nested_calls: nested calls are known good.
using SwappedTo = std::unordered_map<std::string, std::vector<size_t>>;
std::vector<os::DeviceSpec> read_devices(MapReader m, const platform::MachineConfig& machine, const Catalog& catalog,
                                         const SwappedTo& swapped_to);
// Refuses a nested call that may block made by a method that disables preemption or interrupts (a
// thread may not sleep then). After check_nested_calls.
void check_atomic_calls(const std::vector<CallPlace>& calls, const Catalog& catalog, const SwappedTo& swapped_to);
os::RunSpec read_run(MapReader m);
os::OutputsSpec read_outputs(MapReader m, const os::RunSpec& run);

// Every nested call names an object and one of its methods; there are no call
// cycles; one top-level call executes at most kMaxCallTree method bodies. A
// call to an object may reach its own implementation or any in `swapped_to`
// (object -> implementations that events swap it to), so both are checked.
inline constexpr uint64_t kMaxCallTree = 100000;
void check_nested_calls(const std::vector<CallPlace>& calls, const Catalog& catalog,
                        const std::unordered_map<std::string, std::vector<size_t>>& swapped_to);

// --- shared by the section readers ---

// Implementation, method, object and workload names: [A-Za-z_][A-Za-z0-9_]*.
bool is_identifier(const std::string& s);
// Fails at the key unless it is an identifier.
void check_name(const MapReader& m, const std::string& key);
// "; did you mean 'x'?", "; known: a, b, c" or "; there are none".
std::string hint(const std::string& word, const std::vector<std::string>& known);
// The string value of a key the map must have.
std::string required_string(MapReader& m, std::string_view key);

template <class Spec>
std::vector<std::string> names_of(const std::vector<Spec>& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.name);
  return out;
}

}  // namespace quiesce::scenario
