// Fuzz target: the scenario loader. Any bytes are read as a scenario file and
// bound section by section; bad input must end in a ScenarioError (exit code 2
// in the CLI) whose message names the place, never in a crash, a hang or
// another exception.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_check.h"
#include "scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto doc = quiesce::scenario::Document::load_text(text, "fuzz.yaml");
    (void)quiesce::scenario::read_scenario(doc);
  } catch (const quiesce::scenario::ScenarioError& e) {
    qfuzz::check_message(e.what(), "fuzz.yaml");
  }
  return 0;
}
