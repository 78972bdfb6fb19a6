// The registry: one line per strategy.
#include <algorithm>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {

std::unique_ptr<QuiescenceStrategy> make_k42_generation(const StrategyCosts&);
std::unique_ptr<QuiescenceStrategy> make_global_refcount(const StrategyCosts&);
std::unique_ptr<QuiescenceStrategy> make_percpu_refcount(const StrategyCosts&);
std::unique_ptr<QuiescenceStrategy> make_stack_trace(const StrategyCosts&);
std::unique_ptr<QuiescenceStrategy> make_rwlock(const StrategyCosts&);
std::unique_ptr<QuiescenceStrategy> make_counter_threshold(const StrategyCosts&);
std::unique_ptr<QuiescenceStrategy> make_direct(const StrategyCosts&);

const std::vector<StrategyEntry>& strategy_registry() {
  static const std::vector<StrategyEntry> r{
      {"k42_generation", make_k42_generation},
      {"global_refcount", make_global_refcount},
      {"percpu_refcount", make_percpu_refcount},
      {"stack_trace", make_stack_trace},
      {"rwlock", make_rwlock},
      {"counter_threshold", make_counter_threshold},
      {"direct", make_direct},
  };
  return r;
}

std::vector<std::string> strategy_names() {
  std::vector<std::string> out;
  for (const auto& e : strategy_registry()) out.emplace_back(e.name);
  return out;
}

StrategySet::StrategySet(const std::vector<os::ImplementationSpec>& impls, const std::vector<os::ObjectSpec>& objects,
                         const HotSwapSpec& spec)
    : by_group_(objects.size()) {
  const auto& reg = strategy_registry();
  std::vector<int> made(reg.size(), -1);
  auto use = [&](unsigned group, const std::string& name) {
    const auto it = std::find_if(reg.begin(), reg.end(), [&](const StrategyEntry& e) { return name == e.name; });
    if (it == reg.end()) throw os::BuildError(fmt::format("unknown quiescence strategy '{}'", name));
    const auto r = static_cast<size_t>(it - reg.begin());
    if (made[r] < 0) {
      made[r] = static_cast<int>(used_.size());
      used_.push_back(it->make(spec.strategy));
    }
    auto& g = by_group_[group];
    if (std::find(g.begin(), g.end(), static_cast<unsigned>(made[r])) == g.end()) g.push_back(static_cast<unsigned>(made[r]));
  };
  for (const SwapEvent& e : spec.swaps) {
    const std::string name = e.object.substr(0, e.object.find('['));
    for (unsigned g = 0; g < objects.size(); ++g)
      if (objects[g].name == name) use(g, e.strategy);
  }
  auto class_of = [&](const os::ImplementationSpec& i) { return i.class_name.empty() ? i.name : i.class_name; };
  for (const UpdateEvent& u : spec.updates)
    for (unsigned g = 0; g < objects.size(); ++g)
      for (const auto& i : impls)
        if (i.name == objects[g].implementation && class_of(i) == u.class_name) use(g, u.strategy);
  for (unsigned g = 0; g < objects.size(); ++g) {
    auto& v = by_group_[g];
    std::sort(v.begin(), v.end(), [&](unsigned a, unsigned b) {  // by name: the same code whatever the events' order
      return std::string_view(used_[a]->name()) < std::string_view(used_[b]->name());
    });
  }
}

os::CallGateSource StrategySet::gates() {
  return [this](os::OsKernel& k, unsigned group) {
    os::CallGate g;
    if (group >= by_group_.size()) return g;
    std::vector<os::CallGate> parts;
    for (unsigned s : by_group_[group]) parts.push_back(used_[s]->gate(k, group));
    for (const auto& p : parts) {
      g.enter.insert(g.enter.end(), p.enter.begin(), p.enter.end());
      g.direct_sites = std::max(g.direct_sites, p.direct_sites);
    }
    for (auto p = parts.rbegin(); p != parts.rend(); ++p) g.leave.insert(g.leave.end(), p->leave.begin(), p->leave.end());
    if (g.direct_sites && (!g.enter.empty() || by_group_[group].size() > 1))
      throw os::BuildError("an object swapped with strategy direct cannot be swapped with another strategy");
    return g;
  };
}

QuiescenceStrategy& StrategySet::get(const std::string& name) {
  for (auto& s : used_)
    if (name == s->name()) return *s;
  throw os::BuildError(fmt::format("quiescence strategy '{}' is not used by this scenario's events", name));
}

}  // namespace quiesce::hotswap
