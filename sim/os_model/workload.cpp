#include "os_model/workload.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace quiesce::os {

namespace {
unsigned find_method(const ImplementationSpec& impl, const std::string& name) {
  for (unsigned m = 0; m < impl.methods.size(); ++m)
    if (impl.methods[m].name == name) return m;
  throw std::invalid_argument(impl.name + " has no method " + name);
}

uint64_t cycles(double us, double cycles_per_us) {
  if (!std::isfinite(us)) return ~uint64_t{0};
  return static_cast<uint64_t>(std::llround(us * cycles_per_us));
}

// Index of the first cumulative weight above u * total.
size_t draw(const std::vector<double>& cumulative, double u, size_t n) {
  const double x = u * cumulative[n - 1];
  const auto end = cumulative.begin() + static_cast<std::ptrdiff_t>(n);
  const auto it = std::upper_bound(cumulative.begin(), end, x);
  return std::min(static_cast<size_t>(it - cumulative.begin()), n - 1);
}
}  // namespace

Workload::Workload(const WorkloadSpec& spec, const std::vector<ObjectGroup>& groups,
                   const std::vector<ImplementationSpec>& impls, double cycles_per_us)
    : spec_(spec),
      zipf_(groups.size()),
      cycles_per_us_(cycles_per_us),
      start_(cycles(spec.start_us, cycles_per_us)),
      stop_(cycles(spec.stop_us, cycles_per_us)) {
  double total = 0;
  for (const MixEntry& e : spec.mix) {
    unsigned g = 0;
    while (g < groups.size() && groups[g].name != e.object) ++g;
    if (g == groups.size()) throw std::invalid_argument("workload " + spec.name + ": no object " + e.object);
    total += e.weight;
    const bool lifetimes = groups[g].initial < groups[g].count;  // a group with a capacity
    const unsigned method = lifetimes && e.method == kCreateName    ? kCreateMethod
                            : lifetimes && e.method == kDestroyName ? kDestroyMethod
                                                                    : find_method(impls[groups[g].interface], e.method);
    mix_.push_back({g, method, total});
    if (zipf_[g].empty()) {
      double c = 0;
      for (unsigned i = 0; i < groups[g].count; ++i) {
        c += spec.popularity == Popularity::Zipf ? 1.0 / std::pow(i + 1.0, spec.zipf_s) : 1.0;
        zipf_[g].push_back(c);
      }
    }
  }
  if (mix_.empty()) throw std::invalid_argument("workload " + spec.name + " has an empty mix");
}

CallChoice Workload::pick(Rng& rng, const std::vector<unsigned>* live) const {
  const double u = rng.uniform() * mix_.back().cumulative;
  size_t i = 0;
  while (i + 1 < mix_.size() && mix_[i].cumulative <= u) ++i;
  const Entry& e = mix_[i];
  const auto& pop = zipf_[e.group];
  const size_t n = live ? std::max<size_t>(1, (*live)[e.group]) : pop.size();
  const auto instance = static_cast<unsigned>(pop.size() > 1 ? draw(pop, rng.uniform(), n) : 0);
  return {e.group, instance, e.method};
}

uint64_t Workload::think(Rng& rng) const {
  const double mean = spec_.think_us * cycles_per_us_;
  if (mean <= 0) return 0;
  return static_cast<uint64_t>(spec_.think_exponential ? rng.exponential(mean) : mean);
}

uint64_t Workload::interarrival(Rng& rng) const {
  const double mean = 1000.0 * cycles_per_us_ / spec_.rate_per_ms;
  return std::max<uint64_t>(1, static_cast<uint64_t>(rng.exponential(mean)));
}

}  // namespace quiesce::os
