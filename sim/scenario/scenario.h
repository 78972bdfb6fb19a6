// The scenario file as a whole: one map of sections, each bound by its own
// reader. Only `machine:` exists so far; os, implementations, objects,
// workloads, events, run and outputs join here as they are implemented.
#pragma once
#include "platform/machine.h"
#include "scenario/yaml_reader.h"

namespace quiesce::scenario {

struct Scenario {
  platform::MachineConfig machine;
};

// Binds every section; throws ScenarioError naming the place of the first problem.
Scenario read_scenario(const Document& doc);

}  // namespace quiesce::scenario
