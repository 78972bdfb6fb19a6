#include "scenario/scenario.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "scenario/hotswap_section.h"
#include "scenario/machine_section.h"
#include "scenario/os_sections.h"
#include "scenario/policies_section.h"

namespace quiesce::scenario {
namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

// The name is a directory, results/<name>: no '/', no "." or "..", no hidden files.
bool valid_name(const std::string& s) {
  return !s.empty() && s.size() <= 100 && s[0] != '.' && std::all_of(s.begin(), s.end(), name_char);
}

// The file's stem with anything a name may not hold replaced by '_'.
std::string default_name(const Document& doc) {
  std::string stem = std::filesystem::path(doc.file()).stem().string().substr(0, 100);
  for (char& c : stem)
    if (!name_char(c)) c = '_';
  if (!stem.empty() && stem[0] == '.') stem[0] = '_';
  return stem.empty() ? "scenario" : stem;
}

}  // namespace

Scenario read_scenario(const Document& doc) {
  MapReader top(doc, doc.root(), "");
  Scenario s;
  s.name = top.string("name", default_name(doc));
  if (!valid_name(s.name))
    top.fail("name", fmt::format("expected letters, digits, '_', '-' and '.' (not first), at most 100, found \"{}\"",
                                 shown(s.name)));
  // A misspelt section is reported before the references it leaves dangling.
  MapReader machine = top.map("machine"), os = top.map("os"), implementations = top.map("implementations"),
            objects = top.map("objects"), workloads = top.map("workloads"), devices = top.map("devices");
  ListReader events = top.list("events");
  MapReader hotswap = top.map("hotswap"), run = top.map("run"), outputs = top.map("outputs");
  MapReader policies = top.map("policies");
  top.finish();

  s.machine = read_machine(machine);
  ppc::SymbolTable guest;
  s.os = read_os(os, doc, s.machine, guest);
  std::vector<CallPlace> calls;
  s.implementations = read_implementations(implementations, s.machine, s.os, guest, calls, s.hotswap.transfer);
  s.objects = read_objects(objects, s.implementations);
  const Catalog catalog(s.implementations, s.objects);
  std::vector<AddedCall> added;  // calls to methods a newer version adds: checked against the events
  s.workloads = read_workloads(workloads, s.machine, catalog, added);

  s.run = read_run(run);  // before the events, which must happen within it
  SwappedTo swapped_to;
  std::vector<ObjectSwitch> switches;
  read_events(events, s.implementations, s.objects, s.machine.cpus, s.run, s.hotswap, swapped_to, switches);
  check_added_calls(added, switches, s.implementations, catalog);
  read_policies(policies, s.implementations, s.objects, catalog, s.machine.cpus, s.run, s.hotswap, swapped_to);
  // An object switched to a version that adds methods: its vtable slots are named by the widest it gets.
  for (os::ObjectSpec& o : s.objects) {
    const size_t own = catalog.implementation_of(o.name);
    size_t widest = own;
    if (const auto it = swapped_to.find(o.name); it != swapped_to.end())
      for (const size_t impl : it->second)
        if (s.implementations[impl].methods.size() > s.implementations[widest].methods.size()) widest = impl;
    if (widest != own) o.interface = s.implementations[widest].name;
  }
  read_hotswap(hotswap, s.hotswap);
  // A swap that stops the world with IPIs needs CPUs that take interrupts.
  const auto stops_world = [&](const std::string& name) {
    return hotswap::find_strategy(name)->info.stops_world && s.hotswap.strategy(name).real("ipi") != 0;
  };
  for (const auto& e : s.hotswap.swaps) s.os.interrupts |= stops_world(e.strategy);
  for (const auto& e : s.hotswap.updates) s.os.interrupts |= stops_world(e.strategy);
  for (const auto& p : s.hotswap.policies) s.os.interrupts |= stops_world(p.strategy);
  s.outputs = read_outputs(outputs, s.run);
  check_nested_calls(calls, catalog, swapped_to);
  check_atomic_calls(calls, catalog, swapped_to);
  s.devices = read_devices(devices, s.machine, catalog, swapped_to);
  s.os.interrupts |= !s.devices.empty();
  return s;
}

}  // namespace quiesce::scenario
