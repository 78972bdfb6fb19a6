// Bad scenario input (file, --set override or flag): the message already says
// where ("FILE:LINE:COL: path: ..." or "--set SPEC: path: ..."); exit code 2.
#pragma once
#include <stdexcept>

namespace quiesce::scenario {

struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace quiesce::scenario
