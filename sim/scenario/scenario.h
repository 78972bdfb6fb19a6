// The scenario file as a whole: one map of sections, each bound by its own
// reader (machine_section, os_sections) into plain structs the simulator
// builds itself from. References between sections (objects -> implementations,
// workload mixes and nested calls -> objects and methods) are checked here, so
// a scenario that reads without error can be built.
#pragma once
#include <string>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "os_model/os_spec.h"
#include "platform/machine.h"
#include "scenario/yaml_reader.h"

namespace quiesce::scenario {

struct Scenario {
  std::string name;  // `name:`, default the file's stem ("scenario" without a file)
  platform::MachineConfig machine;
  os::OsConfig os;
  std::vector<os::ImplementationSpec> implementations;  // file order
  std::vector<os::ObjectSpec> objects;                  // file order
  std::vector<os::WorkloadSpec> workloads;              // file order
  std::vector<os::DeviceSpec> devices;                  // file order
  hotswap::HotSwapSpec hotswap;  // transfer abilities (per implementation), events, mediator costs
  os::RunSpec run;
  os::OutputsSpec outputs;
};

// Binds every section; throws ScenarioError naming the place of the first problem.
Scenario read_scenario(const Document& doc);

}  // namespace quiesce::scenario
