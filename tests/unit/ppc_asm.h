// The unit tests write guest code with the simulator's own encoder.
#pragma once
#include "cpu_ppc64/encoder.h"

namespace qtest {
namespace enc = quiesce::ppc::enc;
}  // namespace qtest
