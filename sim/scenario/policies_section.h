// The `policies:` section bound to hotswap/policy_spec.h: autonomic swaps.
// Keys, ranges and units: scenarios/README.md ("policies:").
#pragma once
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "os_model/os_spec.h"
#include "scenario/hotswap_section.h"
#include "scenario/os_sections.h"
#include "scenario/yaml_reader.h"

namespace quiesce::scenario {

// Reads `policies` (a map: policy name -> monitor, when, action) into out.policies, after the events: each
// action is checked as a swap (check_swap_action) from every implementation its object may have then (its
// own, the events', the other policies'), and `swapped_to` gets the policies' targets.
void read_policies(MapReader policies, const std::vector<os::ImplementationSpec>& implementations,
                   const std::vector<os::ObjectSpec>& objects, const Catalog& catalog, unsigned cpus,
                   const os::RunSpec& run, hotswap::HotSwapSpec& out, SwappedTo& swapped_to);

}  // namespace quiesce::scenario
