#include "scenario/scenario.h"

#include "scenario/machine_section.h"

namespace quiesce::scenario {

Scenario read_scenario(const Document& doc) {
  MapReader top(doc, doc.root(), "");
  Scenario s;
  s.machine = read_machine(top.map("machine"));
  top.finish();
  return s;
}

}  // namespace quiesce::scenario
