// The registry: one line per shipped strategy, and the parameter blocks.
#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {

StrategyEntry k42_generation_strategy();
StrategyEntry global_refcount_strategy();
StrategyEntry percpu_refcount_strategy();
StrategyEntry stack_trace_strategy();
StrategyEntry rwlock_strategy();
StrategyEntry counter_threshold_strategy();
StrategyEntry direct_strategy();
StrategyEntry livepatch_strategy();
StrategyEntry rcu_strategy();

const char* reclaim_name(Reclaim r) {
  switch (r) {
    case Reclaim::AtEnd: return "at_end";
    case Reclaim::Generations: return "generations";
    case Reclaim::AtStart: return "at_start";
  }
  return "?";
}

namespace {
// A strategy's declaration must be usable as a scenario writes it: a name YAML reads as a string,
// at least one phase, known constraints, every default within its range. A mistake here is a bug.
void check_entry(const StrategyInfo& i) {
  auto fail = [&](const std::string& why) { throw std::logic_error("quiescence strategy '" + i.name + "': " + why); };
  static const char* const kYamlWords[] = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"};
  if (i.name.empty() || !(i.name[0] >= 'a' && i.name[0] <= 'z') ||
      !std::all_of(i.name.begin(), i.name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }))
    fail("a name is lower-case letters, digits and '_', a letter first");
  for (const char* w : kYamlWords)
    if (i.name == w) fail("YAML reads this name as something other than a string");
  if (i.phases.empty()) fail("no phases");
  for (const auto& c : i.constraints)
    if (!known_constraint(c)) fail("unknown constraint " + c);
  for (const auto& p : i.params)
    if (!(p.min <= p.default_value && p.default_value <= p.max)) fail("parameter " + p.key + ": default out of range");
}

std::vector<StrategyEntry>& registry() {
  static std::vector<StrategyEntry> r = [] {
    std::vector<StrategyEntry> v;
    v.push_back(k42_generation_strategy());
    v.push_back(global_refcount_strategy());
    v.push_back(percpu_refcount_strategy());
    v.push_back(stack_trace_strategy());
    v.push_back(rwlock_strategy());
    v.push_back(counter_threshold_strategy());
    v.push_back(direct_strategy());
    v.push_back(livepatch_strategy());
    v.push_back(rcu_strategy());
    for (const auto& e : v) check_entry(e.info);
    return v;
  }();
  return r;
}
}  // namespace

const std::vector<StrategyEntry>& strategy_registry() { return registry(); }

bool known_constraint(const std::string& c) {
  return c == kConstraintSharedRoot || c == kConstraintExclusive || c == kConstraintNoUpdates ||
         c == kConstraintByReference || c == kConstraintSameInterface || c == kConstraintStaticInstances;
}

StrategyRegistrar::StrategyRegistrar(StrategyEntry e) {
  if (find_strategy(e.info.name)) throw std::logic_error("quiescence strategy registered twice: " + e.info.name);
  check_entry(e.info);
  registry().push_back(std::move(e));
}

const StrategyEntry* find_strategy(const std::string& name) {
  for (const auto& e : registry())
    if (e.info.name == name) return &e;
  return nullptr;
}

std::vector<std::string> strategy_names() {
  std::vector<std::string> out;
  for (const auto& e : strategy_registry()) out.push_back(e.info.name);
  return out;
}

StrategyParams::StrategyParams(const std::vector<StrategyParam>& declared) {
  for (const auto& p : declared) values_.emplace_back(p.key, p.default_value);
}

void StrategyParams::set(const std::string& key, double value) {
  for (auto& [k, v] : values_)
    if (k == key) {
      v = value;
      return;
    }
  throw std::logic_error("no strategy parameter " + key);
}

double StrategyParams::real(const std::string& key) const {
  for (const auto& [k, v] : values_)
    if (k == key) return v;
  throw std::logic_error("no strategy parameter " + key);
}

StrategyParams& HotSwapSpec::strategy(const std::string& name) {
  if (const auto it = params.find(name); it != params.end()) return it->second;
  return params.emplace(name, std::as_const(*this).strategy(name)).first->second;
}

StrategyParams HotSwapSpec::strategy(const std::string& name) const {
  if (const auto it = params.find(name); it != params.end()) return it->second;
  const StrategyEntry* e = find_strategy(name);
  if (!e) throw os::BuildError(fmt::format("unknown quiescence strategy '{}'", name));
  return StrategyParams(e->info.params);
}

StrategySet::StrategySet(const std::vector<os::ImplementationSpec>& impls, const std::vector<os::ObjectSpec>& objects,
                         const HotSwapSpec& spec)
    : by_group_(objects.size()) {
  const auto& reg = strategy_registry();
  std::vector<int> made(reg.size(), -1);
  auto use = [&](unsigned group, const std::string& name) {
    const auto it = std::find_if(reg.begin(), reg.end(), [&](const StrategyEntry& e) { return name == e.info.name; });
    if (it == reg.end()) throw os::BuildError(fmt::format("unknown quiescence strategy '{}'", name));
    const auto r = static_cast<size_t>(it - reg.begin());
    if (made[r] < 0) {
      made[r] = static_cast<int>(used_.size());
      used_.push_back(it->make(it->info, spec.strategy(name)));
    }
    auto& g = by_group_[group];
    if (std::find(g.begin(), g.end(), static_cast<unsigned>(made[r])) == g.end()) g.push_back(static_cast<unsigned>(made[r]));
  };
  for (const SwapEvent& e : spec.swaps) {
    const std::string name = e.object.substr(0, e.object.find('['));
    for (unsigned g = 0; g < objects.size(); ++g)
      if (objects[g].name == name) use(g, e.strategy);
  }
  for (const PolicySpec& p : spec.policies)  // autonomic swaps (policy.h): the objects they swap, as events'
    for (unsigned g = 0; g < objects.size(); ++g)
      if (!p.update && objects[g].name == p.target.substr(0, p.target.find('['))) use(g, p.strategy);
  auto class_of = [&](const os::ImplementationSpec& i) { return i.class_name.empty() ? i.name : i.class_name; };
  // A policy's update: every object of the class, its own implementation or one a swap (an event's, a policy's)
  // gives it.
  for (const PolicySpec& p : spec.policies) {
    if (!p.update) continue;
    const auto of_class = [&](const std::string& impl) {
      return std::any_of(impls.begin(), impls.end(),
                         [&](const os::ImplementationSpec& i) { return i.name == impl && class_of(i) == p.update_class; });
    };
    for (unsigned g = 0; g < objects.size(); ++g) {
      bool is = of_class(objects[g].implementation);
      for (const SwapEvent& e : spec.swaps)
        is = is || (e.object.substr(0, e.object.find('[')) == objects[g].name && of_class(e.to));
      for (const PolicySpec& q : spec.policies)
        is = is || (!q.update && q.target.substr(0, q.target.find('[')) == objects[g].name && of_class(q.to));
      if (is) use(g, p.strategy);
    }
  }
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
  return [this](const os::SwapInterface& k, unsigned group) {
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
      throw os::BuildError("an object whose calls a strategy binds to direct call sites cannot be swapped with another strategy");
    return g;
  };
}

QuiescenceStrategy& StrategySet::get(const std::string& name) {
  for (auto& s : used_)
    if (name == s->name()) return *s;
  throw os::BuildError(fmt::format("quiescence strategy '{}' is not used by this scenario's events", name));
}

}  // namespace quiesce::hotswap
