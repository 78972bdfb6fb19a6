// The scenario's `machine:` section bound to platform::MachineConfig. Every key
// is optional: an absent one keeps the struct's default. Keys, ranges and units
// are documented in scenarios/README.md.
#pragma once
#include "platform/machine.h"
#include "scenario/yaml_reader.h"

namespace quiesce::scenario {

platform::MachineConfig read_machine(MapReader m);

}  // namespace quiesce::scenario
