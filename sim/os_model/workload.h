// A workload's choices: which object and method the next call goes to (a
// weighted mix, then an instance of the object's group by uniform or zipf
// popularity), and when requests arrive (think times, Poisson arrivals). All
// draws come from the caller's Rng, so each CPU's stream is its own.
#pragma once
#include <cstdint>
#include <vector>

#include "os_model/os_spec.h"
#include "os_model/rng.h"

namespace quiesce::os {

struct CallChoice {
  unsigned group, instance, method;  // for a group with lifetimes, `instance` is a position in its live list
};
inline constexpr unsigned kCreateMethod = 0xffff'fff0u, kDestroyMethod = 0xffff'fff1u;  // mix entries `create`, `destroy`

class Workload {
 public:
  // `groups` and `impls` resolve the mix's names (already checked by the scenario reader).
  Workload(const WorkloadSpec& spec, const std::vector<ObjectGroup>& groups,
           const std::vector<ImplementationSpec>& impls, double cycles_per_us);

  const WorkloadSpec& spec() const { return spec_; }
  // `live`: per group, how many instances are live (null: every group's count): the instance is drawn
  // among the first that many positions by the workload's popularity.
  CallChoice pick(Rng& rng, const std::vector<unsigned>* live = nullptr) const;
  uint64_t think(Rng& rng) const;         // cycles between requests (closed) or iterations (long-lived)
  uint64_t interarrival(Rng& rng) const;  // cycles to the next arrival (open)
  uint64_t start() const { return start_; }
  uint64_t stop() const { return stop_; }

 private:
  struct Entry {
    unsigned group, method;
    double cumulative;
  };
  WorkloadSpec spec_;
  std::vector<Entry> mix_;
  std::vector<std::vector<double>> zipf_;  // per group in the mix: cumulative weights of instances
  double cycles_per_us_;
  uint64_t start_, stop_;
};

}  // namespace quiesce::os
