#include "scenario/hotswap_section.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"
#include "hotswap/transfer_protocol.h"
#include "scenario/os_sections.h"

namespace quiesce::scenario {
namespace {

constexpr uint32_t kMaxCycles = 1'000'000;
constexpr double kMaxUs = 1e9;

// Protocol names by bit (hotswap::Protocol), and most preferred first for messages.
const std::vector<std::string> kProtocolBits = {"transform", "copy", "by_reference"};
const std::vector<std::string> kProtocols = {"by_reference", "copy", "transform"};
constexpr uint32_t kTransform = 1u << static_cast<unsigned>(hotswap::Protocol::Transform);

// "by_reference, copy": the protocols of a bit set, most preferred first.
std::string protocols(uint32_t set) {
  std::vector<std::string> out;
  for (size_t b = kProtocolBits.size(); b-- > 0;)
    if (set & (1u << b)) out.push_back(kProtocolBits[b]);
  return fmt::format("{}", fmt::join(out, ", "));
}

// `export` or `import`: a non-empty list of protocol names, each at most once.
uint32_t read_protocols(MapReader& m, std::string_view key) {
  const bool given = m.has(key);
  ListReader list = m.list(key);
  if (!given) return hotswap::kAllProtocols;
  if (list.size() == 0) list.fail("expected at least one protocol of by_reference, copy, transform");
  uint32_t set = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string name = list.scalar(i, "a protocol (by_reference, copy or transform)");
    const auto it = std::find(kProtocolBits.begin(), kProtocolBits.end(), name);
    if (it == kProtocolBits.end())
      list.fail(i, fmt::format("unknown protocol '{}'{}", shown(name), hint(name, kProtocols)));
    const uint32_t bit = 1u << (it - kProtocolBits.begin());
    if (set & bit) list.fail(i, fmt::format("protocol {} is named twice", name));
    set |= bit;
  }
  return set;
}

// "" when `to` has the methods of `from` with the same names in the same vtable slots (a new version may add
// methods after them), else the first difference.
std::string interface_difference(const os::ImplementationSpec& from, const os::ImplementationSpec& to) {
  const auto& a = from.methods;
  const auto& b = to.methods;
  for (size_t k = 0; k < std::max(a.size(), b.size()); ++k) {
    if (k >= b.size())
      return fmt::format("{} has no method '{}' (vtable slot {} of {})", to.name, a[k].name, k, from.name);
    if (k >= a.size()) break;  // methods the new version adds
    if (a[k].name != b[k].name)
      return fmt::format("vtable slot {} is '{}' in {} but '{}' in {}", k, b[k].name, to.name, a[k].name, from.name);
  }
  return {};
}

// "" when `from` can hand its state to `to` by at least one protocol both know.
std::string transfer_problem(const os::ImplementationSpec& from, const hotswap::TransferSpec& out,
                             const os::ImplementationSpec& to, const hotswap::TransferSpec& in) {
  const uint32_t common = out.exports & in.imports;
  if (common == 0)
    return fmt::format("{} cannot hand its state to {}: {} exports {} and {} imports {}, no protocol in common",
                       from.name, to.name, from.name, protocols(out.exports), to.name, protocols(in.imports));
  // As the Mediator decides it: by_reference and copy keep the layout of the reps and of the shared state.
  const bool same_layout = from.root == to.root && from.state_bytes == to.state_bytes &&
                           from.shared_state_bytes == to.shared_state_bytes;
  const auto layout = [](const os::ImplementationSpec& i) {
    return fmt::format("{} has root {}, state_bytes {}, shared_state_bytes {}", i.name,
                       i.root == os::RootKind::PerCpu ? "per_cpu" : "shared", i.state_bytes, i.shared_state_bytes);
  };
  const bool one = std::has_single_bit(common);
  if (!(common & kTransform) && !same_layout)
    return fmt::format("{} cannot hand its state to {}: their {}, {}, need{} the same layout, but {} and {}; only "
                       "transform converts between layouts",
                       from.name, to.name, one ? "one common protocol" : "common protocols", protocols(common),
                       one ? "s" : "", layout(from), layout(to));
  return {};
}

// Fails at `key` unless `to` can replace `from` (described by `role`): same interface, a feasible protocol.
void check_replacement(const MapReader& e, std::string_view key, const os::ImplementationSpec& from,
                       const hotswap::TransferSpec& out, const os::ImplementationSpec& to,
                       const hotswap::TransferSpec& in, const std::string& role) {
  const std::string diff = interface_difference(from, to);
  if (!diff.empty())
    e.fail(key, fmt::format("{} does not have the interface of {} ({}): {}; each of its methods in the same vtable "
                            "slot is needed (a new version may add methods after them)",
                            to.name, from.name, role, diff));
  const std::string problem = transfer_problem(from, out, to, in);
  if (!problem.empty()) e.fail(key, problem);
}

// The instances an event names: a whole object (group) or one instance of it.
struct Target {
  size_t object;
  std::optional<uint32_t> index;
  std::string name;  // "cache" or "cache[3]"
};

Target resolve_object(const MapReader& e, const std::string& ref, const std::vector<os::ObjectSpec>& objects) {
  const size_t open = ref.find('[');
  const std::string base = ref.substr(0, open);
  uint32_t index = 0;
  if (open != std::string::npos) {
    const char* first = ref.data() + open + 1;
    const char* last = ref.data() + ref.size() - 1;
    const auto [end, ec] = std::from_chars(first, last, index);
    if (ref.back() != ']' || first >= last || ec != std::errc{} || end != last || *first == '+')
      e.fail("object", fmt::format("expected an object NAME or one instance NAME[I], found \"{}\"", shown(ref)));
  }
  const auto it = std::find_if(objects.begin(), objects.end(), [&](const os::ObjectSpec& o) { return o.name == base; });
  if (it == objects.end())
    e.fail("object", fmt::format("unknown object '{}'{}", shown(base), hint(base, names_of(objects))));
  Target t{static_cast<size_t>(it - objects.begin()), std::nullopt, base};
  if (open == std::string::npos) return t;
  if (index >= it->count)
    e.fail("object", it->count == 1
                         ? fmt::format("{} is one object (count 1), not a group: there is no {}", base, shown(ref))
                         : fmt::format("{} has {} instances, {}[0]..{}[{}]: there is no {}", base, it->count, base,
                                       base, it->count - 1, shown(ref)));
  if (it->count == 1) return t;  // name[0] of a single object is the object
  t.index = index;
  t.name = fmt::format("{}[{}]", base, index);
  return t;
}

// The implementations of one object's instances once the events read so far have happened.
struct Holder {
  size_t impl;                           // of every instance not in `instances`
  std::map<uint32_t, size_t> instances;  // instance -> implementation, where it differs from `impl`
  uint32_t count;

  // Each implementation the named instances have (all of them without an index), once, in order.
  std::vector<size_t> current(std::optional<uint32_t> index) const {
    if (index) {
      const auto it = instances.find(*index);
      return {it == instances.end() ? impl : it->second};
    }
    std::vector<size_t> out;
    if (instances.size() < count) out.push_back(impl);
    for (const auto& [i, m] : instances)
      if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    return out;
  }
  void swap(std::optional<uint32_t> index, size_t to) {
    if (!index) {
      impl = to;
      instances.clear();
    } else if (to == impl) {
      instances.erase(*index);
    } else {
      instances[*index] = to;
    }
  }
  // Every instance whose implementation passes `of_class` gets `to`.
  template <class Pred>
  void update(Pred of_class, size_t to) {
    if (of_class(impl)) impl = to;
    for (auto it = instances.begin(); it != instances.end();) {
      if (of_class(it->second)) it->second = to;
      it = it->second == impl ? instances.erase(it) : std::next(it);
    }
  }
};

// When an event happens and who starts it: strategy, at_us or after_calls, cpu.
struct When {
  std::string strategy;
  double at_us = 0;
  uint64_t after_calls = 0;
  unsigned cpu = 0;
};

When read_when(MapReader& e, unsigned cpus, const os::RunSpec& run) {
  When w;
  const std::vector<std::string> strategies = hotswap::strategy_names();  // asked at run time: registrars ran
  w.strategy = e.string("strategy", strategies[0]);  // the first registered is the default
  if (std::find(strategies.begin(), strategies.end(), w.strategy) == strategies.end())
    e.fail("strategy", fmt::format("unknown strategy '{}'{}", shown(w.strategy), hint(w.strategy, strategies)));
  if (e.has("at_us") && e.has("after_calls")) e.fail("after_calls", "give at_us or after_calls, not both");
  w.at_us = e.real("at_us", w.at_us, 0, kMaxUs);
  if (w.at_us >= run.duration_us)
    e.fail("at_us", fmt::format("{} us is at or after the run ends (run.duration_us is {} us)", w.at_us,
                                run.duration_us));
  w.after_calls = e.uint<uint64_t>("after_calls", 0, 1, std::numeric_limits<uint64_t>::max());
  const uint64_t cpu = e.uint<uint64_t>("cpu", 0, 0, std::numeric_limits<uint64_t>::max());
  if (cpu >= cpus)
    e.fail("cpu", fmt::format("CPU {} does not exist: machine.cpus is {} (CPUs 0-{})", cpu, cpus, cpus - 1));
  w.cpu = static_cast<unsigned>(cpu);
  return w;
}

bool has_constraint(const std::string& strategy, const char* c) {
  const hotswap::StrategyEntry* s = hotswap::find_strategy(strategy);
  return s && std::find(s->info.constraints.begin(), s->info.constraints.end(), c) != s->info.constraints.end();
}

// A swap event with strategy `name` on `object` (implementations `involved`), which earlier events swapped with
// `used`: the constraints of `name` and of those (hotswap::kConstraint*). Fails at `strategy`.
void check_constraints(const MapReader& e, const std::string& name, const std::string& object,
                       const std::vector<size_t>& involved, const std::vector<os::ImplementationSpec>& impls,
                       const std::vector<std::string>& used) {
  if (has_constraint(name, hotswap::kConstraintSharedRoot))
    for (const size_t i : involved)
      if (impls[i].root != os::RootKind::Shared)
        e.fail("strategy", fmt::format("{} needs shared roots (constraint shared_root: it binds each call site to "
                                       "one rep), and {} has a per-CPU root", name, impls[i].name));
  for (const std::string& other : used) {
    if (other == name) continue;
    const std::string& exclusive = has_constraint(name, hotswap::kConstraintExclusive) ? name : other;
    if (has_constraint(exclusive, hotswap::kConstraintExclusive))
      e.fail("strategy", fmt::format("{} is swapped with {} by an earlier event, and {} cannot share an object with "
                                     "another strategy (constraint exclusive)", object, other, exclusive));
  }
}

// Constraint same_interface: fails at `strategy` if `to` adds methods to `from`.
void check_same_interface(const MapReader& e, const std::string& strategy, const os::ImplementationSpec& from,
                          const os::ImplementationSpec& to) {
  if (has_constraint(strategy, hotswap::kConstraintSameInterface) && to.methods.size() > from.methods.size())
    e.fail("strategy", fmt::format("{} cannot switch to a version that adds methods (constraint same_interface: it "
                                   "binds call sites per method), and {} adds '{}' to {}",
                                   strategy, to.name, to.methods[from.methods.size()].name, from.name));
}

// Constraint by_reference: fails at `strategy` unless `from` can hand its state to `to` by reference.
void check_by_reference(const MapReader& e, const std::string& strategy, const os::ImplementationSpec& from,
                        const hotswap::TransferSpec& out, const os::ImplementationSpec& to,
                        const hotswap::TransferSpec& in) {
  if (!has_constraint(strategy, hotswap::kConstraintByReference)) return;
  constexpr uint32_t kByReference = 1u << static_cast<unsigned>(hotswap::Protocol::ByReference);
  const bool same_layout = from.root == to.root && from.state_bytes == to.state_bytes &&
                           from.shared_state_bytes == to.shared_state_bytes;
  std::string why;
  if (!(out.exports & in.imports & kByReference))
    why = fmt::format("{} exports {} and {} imports {}", from.name, protocols(out.exports), to.name,
                      protocols(in.imports));
  else if (!same_layout)
    why = "their layouts differ (root, state_bytes, shared_state_bytes)";
  if (!why.empty()) {
    const auto p = hotswap::negotiate(out, in, same_layout);
    e.fail("strategy", fmt::format("{} runs the old and the new implementation on one state (constraint by_reference: "
                                   "old calls run on while new ones begin, and a copy would lose their updates), but "
                                   "{} cannot hand its state to {} by reference: {}; they negotiate {}",
                                   strategy, from.name, to.name, why, p ? hotswap::protocol_name(*p) : "nothing"));
  }
}

void add_once(std::vector<size_t>& v, size_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// An update of class `cls` to version `to_version` by `strategy`, the objects of the class having the
// implementations `in_use` when it happens: the class and the version exist, the strategy may update, and the
// version can replace each of them. Fails at `class_key` (the class), `to_version` or `strategy`; `never` ends
// the message when they all have that version already. Returns the version's implementation.
size_t check_update(const MapReader& e, std::string_view class_key, const std::string& cls, uint32_t to_version,
                    const std::string& strategy, const std::vector<os::ImplementationSpec>& impls,
                    const hotswap::HotSwapSpec& out, const std::vector<size_t>& in_use, const std::string& never) {
  std::vector<std::string> classes;
  for (const auto& impl : impls)
    if (std::find(classes.begin(), classes.end(), impl.class_name) == classes.end()) classes.push_back(impl.class_name);
  if (std::find(classes.begin(), classes.end(), cls) == classes.end())
    e.fail(class_key, fmt::format("unknown class '{}'{}", shown(cls), hint(cls, classes)));
  const auto of_class = [&](size_t impl) { return impls[impl].class_name == cls; };
  if (in_use.empty()) e.fail(class_key, fmt::format("no object is of class {}: there is nothing to update", cls));
  if (has_constraint(strategy, hotswap::kConstraintNoUpdates))
    e.fail("strategy", fmt::format("{} is for swap events only (constraint no_updates: an update swaps instances "
                                   "made at run time)", strategy));
  std::optional<size_t> target;
  std::vector<uint32_t> versions;
  for (size_t k = 0; k < impls.size(); ++k)
    if (of_class(k)) {
      versions.push_back(impls[k].version);
      if (impls[k].version == to_version) target = k;
    }
  if (!target) {
    std::sort(versions.begin(), versions.end());
    e.fail("to_version", fmt::format("class {} has no version {}; its versions: {}", cls, to_version,
                                     fmt::join(versions, ", ")));
  }
  if (in_use == std::vector<size_t>{*target})
    e.fail("to_version", fmt::format("every object of class {} already has version {} ({}){}", cls, to_version,
                                     impls[*target].name, never));
  for (const size_t from : in_use)
    if (from != *target) {
      check_replacement(e, "to_version", impls[from], out.transfer[from], impls[*target], out.transfer[*target],
                        fmt::format("version {} of class {}, which objects have", impls[from].version, cls));
      check_by_reference(e, strategy, impls[from], out.transfer[from], impls[*target], out.transfer[*target]);
      check_same_interface(e, strategy, impls[from], impls[*target]);
    }
  return *target;
}

}  // namespace

hotswap::TransferSpec read_transfer(MapReader m) {
  hotswap::TransferSpec t;
  t.exports = read_protocols(m, "export");
  t.imports = read_protocols(m, "import");
  t.fixed_cycles = m.uint<uint32_t>("fixed_cycles", t.fixed_cycles, 0, kMaxCycles);
  t.copy_cycles_per_line = m.uint<uint32_t>("copy_cycles_per_line", t.copy_cycles_per_line, 0, kMaxCycles);
  t.transform_cycles_per_byte = m.real("transform_cycles_per_byte", t.transform_cycles_per_byte, 0, kMaxCycles);
  m.finish();
  return t;
}

namespace {
// Whether a call into object `from` may call object `to`, directly or through other objects, with any
// implementation the objects have or are swapped to.
bool calls_into(size_t from, size_t to, const std::vector<os::ObjectSpec>& objects,
                const std::vector<os::ImplementationSpec>& impls, const SwappedTo& swapped_to) {
  const auto impl_index = [&](const std::string& name) {
    size_t k = 0;
    while (k < impls.size() && impls[k].name != name) ++k;
    return k;
  };
  std::vector<size_t> todo{from};
  std::vector<bool> seen(objects.size(), false);
  seen[from] = true;
  while (!todo.empty()) {
    const size_t o = todo.back();
    todo.pop_back();
    std::vector<size_t> has{impl_index(objects[o].implementation)};
    if (const auto it = swapped_to.find(objects[o].name); it != swapped_to.end())
      has.insert(has.end(), it->second.begin(), it->second.end());
    for (const size_t impl : has)
      for (size_t m = 0; impl < impls.size() && m < impls[impl].methods.size(); ++m)
        for (const auto& c : impls[impl].methods[m].calls)
          for (size_t t = 0; t < objects.size(); ++t)
            if (objects[t].name == c.object && !seen[t]) {
              if (t == to) return true;
              seen[t] = true;
              todo.push_back(t);
            }
  }
  return false;
}

// The strategies that let a part's callers through, for messages.
std::string callers_through() {
  std::vector<std::string> out;
  for (const auto& e : hotswap::strategy_registry())
    if (e.info.joins_patches && e.info.patch_lets_callers_through && !e.info.test_only) out.push_back(e.info.name);
  return fmt::format("{}", fmt::join(out, ", "));
}
}  // namespace

void read_events(ListReader events, const std::vector<os::ImplementationSpec>& impls,
                 const std::vector<os::ObjectSpec>& objects, unsigned cpus, const os::RunSpec& run,
                 hotswap::HotSwapSpec& out, SwappedTo& swapped_to, std::vector<ObjectSwitch>& switches) {
  const std::vector<std::string> impl_names = names_of(impls);
  std::vector<Holder> held;
  for (const auto& o : objects) {
    const size_t impl = std::find(impl_names.begin(), impl_names.end(), o.implementation) - impl_names.begin();
    held.push_back({impl, {}, o.count});
  }
  // The latest event so far triggered by time, and by calls: events are listed in the order they happen.
  std::optional<std::pair<size_t, double>> last_at;
  std::map<size_t, std::vector<std::string>> strategy_of;  // per object: the strategies its swaps use so far
  std::optional<std::pair<size_t, uint64_t>> last_calls;

  // Event i (timed by w) comes no earlier than the events listed before it.
  const auto in_order = [&](const MapReader& e, size_t i, const When& w) {
    if (w.after_calls == 0) {
      if (last_at && w.at_us < last_at->second)
        e.fail("at_us", fmt::format("{} us comes before events[{}] ({} us): list the events in the order they happen",
                                    w.at_us, last_at->first, last_at->second));
      last_at = {i, w.at_us};
    } else {
      if (last_calls && w.after_calls < last_calls->second)
        e.fail("after_calls",
               fmt::format("{} calls come before events[{}] ({} calls): list the events in the order they happen",
                           w.after_calls, last_calls->first, last_calls->second));
      last_calls = {i, w.after_calls};
    }
  };
  // A swap or an update: event i, or a part of patch `patch` (its time, CPU and default strategy in `w`).
  // Returns the objects (indices) it switches.
  const auto one = [&](MapReader& e, size_t i, When w, int patch) {
    const bool swap = e.string("type", "") == "swap";
    for (const char* key : swap ? std::vector<const char*>{"class", "to_version", "mode"}
                                : std::vector<const char*>{"object", "to"})
      if (e.has(key)) e.fail_key(key, swap ? "only for update events" : "only for swap events");
    hotswap::SwapEvent s;
    hotswap::UpdateEvent u;
    if (swap) {
      s.object = required_string(e, "object");
      s.to = required_string(e, "to");
    } else {
      u.class_name = required_string(e, "class");
      if (!e.has("to_version")) e.fail("missing key 'to_version'");
      u.to_version = e.uint<uint32_t>("to_version", u.to_version, 1, 1'000'000);
      u.lazy = e.choice("mode", "eager", {"eager", "lazy"}) == "lazy";
      if (patch >= 0 && u.lazy)
        e.fail("mode", "a patch's updates are eager: a lazy instance would switch at its next call, not at the "
                       "patch's joint safe point");
    }
    if (patch < 0) {
      w = read_when(e, cpus, run);
    } else {
      for (const char* key : {"at_us", "after_calls", "cpu"})
        if (e.has(key)) e.fail_key(key, "a part starts when its patch does: give it on the patch");
      const std::string inherited = w.strategy;
      w.strategy = e.string("strategy", inherited);
      const std::vector<std::string> strategies = hotswap::strategy_names();
      if (std::find(strategies.begin(), strategies.end(), w.strategy) == strategies.end())
        e.fail("strategy", fmt::format("unknown strategy '{}'{}", shown(w.strategy), hint(w.strategy, strategies)));
      if (const hotswap::StrategyEntry* st = hotswap::find_strategy(w.strategy); !st->info.joins_patches)
        e.fail("strategy", fmt::format("{} cannot take part in a patch ({})", w.strategy,
                                       st->info.in_patch.empty() ? "it does not say how it would hold" : st->info.in_patch));
    }
    e.finish();
    const bool timed = patch < 0 ? !e.has("after_calls") : w.after_calls == 0;

    if (patch < 0) in_order(e, i, w);

    std::vector<size_t> touched;
    if (swap) {
      const Target target = resolve_object(e, s.object, objects);
      const auto to = std::find(impl_names.begin(), impl_names.end(), s.to);
      if (to == impl_names.end())
        e.fail("to", fmt::format("unknown implementation '{}'{}", shown(s.to), hint(s.to, impl_names)));
      const size_t to_impl = to - impl_names.begin();
      Holder& h = held[target.object];
      const std::vector<size_t> current = h.current(target.index);
      {
        std::vector<size_t> involved = current;
        involved.push_back(to_impl);
        auto& used = strategy_of[target.object];
        check_constraints(e, w.strategy, objects[target.object].name, involved, impls, used);
        if (objects[target.object].initial && has_constraint(w.strategy, hotswap::kConstraintStaticInstances))
          e.fail("strategy", fmt::format("{} binds call sites to each instance when the kernel is built (constraint "
                                         "static_instances), and objects.{} has a capacity (instances made at run time)",
                                         w.strategy, objects[target.object].name));
        if (std::find(used.begin(), used.end(), w.strategy) == used.end()) used.push_back(w.strategy);
      }
      if (current == std::vector<size_t>{to_impl})
        e.fail("to", fmt::format("{} is already the implementation of {}", s.to, target.name));
      for (const size_t from : current)
        if (from != to_impl)
        {
          check_replacement(e, "to", impls[from], out.transfer[from], impls[to_impl], out.transfer[to_impl],
                            fmt::format("the implementation of {}{}", current.size() > 1 ? "some instances of " : "",
                                        target.name));
          check_by_reference(e, w.strategy, impls[from], out.transfer[from], impls[to_impl], out.transfer[to_impl]);
          check_same_interface(e, w.strategy, impls[from], impls[to_impl]);
        }
      h.swap(target.index, to_impl);
      add_once(swapped_to[objects[target.object].name], to_impl);
      switches.push_back({i, objects[target.object].name, timed ? std::optional(w.at_us) : std::nullopt,
                          h.current(std::nullopt)});
      s.object = target.name;
      s.strategy = w.strategy, s.at_us = w.at_us, s.after_calls = w.after_calls, s.cpu = w.cpu, s.patch = patch;
      out.swaps.push_back(std::move(s));
      touched.push_back(target.object);
      return touched;
    }

    const std::string& cls = u.class_name;
    const auto of_class = [&](size_t impl) { return impls[impl].class_name == cls; };
    std::vector<size_t> in_use;  // the implementations of the class that objects have
    for (const Holder& h : held)
      for (const size_t impl : h.current(std::nullopt))
        if (of_class(impl)) add_once(in_use, impl);
    const size_t target = check_update(e, "class", cls, u.to_version, w.strategy, impls, out, in_use, "");
    for (size_t k = 0; k < held.size(); ++k) {
      const std::vector<size_t> current = held[k].current(std::nullopt);
      if (std::any_of(current.begin(), current.end(), of_class)) {
        held[k].update(of_class, target);
        add_once(swapped_to[objects[k].name], target);
        switches.push_back({i, objects[k].name, timed ? std::optional(w.at_us) : std::nullopt,
                            held[k].current(std::nullopt)});
        touched.push_back(k);
      }
    }
    u.strategy = w.strategy, u.at_us = w.at_us, u.after_calls = w.after_calls, u.cpu = w.cpu, u.patch = patch;
    out.updates.push_back(std::move(u));
    return touched;
  };

  const std::vector<std::string> types = {"swap", "update", "patch"};
  const auto check_type = [&](MapReader& e, const std::vector<std::string>& allowed) {
    if (!e.has("type"))
      e.fail(fmt::format("missing key 'type' ({} or {})", fmt::join(allowed.begin(), allowed.end() - 1, ", "),
                         allowed.back()));
    const std::string type = e.string("type", "");
    if (std::find(allowed.begin(), allowed.end(), type) == allowed.end())
      e.fail("type", std::find(types.begin(), types.end(), type) != types.end()
                         ? fmt::format("a patch's parts are swaps and updates, not {}", type)
                         : fmt::format("unknown event type '{}'{}", shown(type), hint(type, allowed)));
    return type;
  };
  for (size_t i = 0; i < events.size(); ++i) {
    MapReader e = events.map(i, "a map with a `type` key");
    if (check_type(e, types) != "patch") {
      one(e, i, {}, -1);
      continue;
    }
    // A patch: its time, CPU, default strategy and give_up_us; then its parts, each a swap or an update.
    const When w = read_when(e, cpus, run);
    hotswap::PatchEvent pe;
    pe.at_us = w.at_us, pe.after_calls = w.after_calls, pe.cpu = w.cpu;
    pe.give_up_us = e.real("give_up_us", 0, 0, kMaxUs);
    if (!e.has("parts")) e.fail("missing key 'parts' (the swaps and updates that switch as one)");
    ListReader parts = e.list("parts");
    if (parts.size() == 0) parts.fail("a patch needs at least one part (a swap or an update)");
    if (const std::string_view t = "strategy"; e.has(t) && !hotswap::find_strategy(w.strategy)->info.joins_patches)
      e.fail(t, fmt::format("{} cannot take part in a patch ({})", w.strategy,
                            hotswap::find_strategy(w.strategy)->info.in_patch));
    const int patch = static_cast<int>(out.patches.size());
    std::map<size_t, size_t> part_of;  // object -> the part that switches it
    std::vector<std::string> part_strategy;
    std::vector<uint64_t> part_instances;
    for (size_t k = 0; k < parts.size(); ++k) {
      MapReader part = parts.map(k, "a map with a `type` key (swap or update)");
      check_type(part, {"swap", "update"});
      for (const size_t object : one(part, i, w, patch)) {
        if (const auto it = part_of.find(object); it != part_of.end())
          parts.fail(k, fmt::format("{} is switched by parts[{}] of this patch already: a patch switches each object "
                                    "once", objects[object].name, it->second));
        part_of[object] = k;
      }
      part_strategy.push_back(part.string("strategy", w.strategy));
      // The instances it swaps: one of `NAME[I]`, else every instance of every object it switches.
      uint64_t n = 0;
      for (const auto& [object, j] : part_of) n += j == k ? objects[object].count : 0;
      part_instances.push_back(part.string("object", "").find('[') != std::string::npos ? 1 : n);
    }
    // At most one part stops the world (each would wait for the other to hold first), and its object calls no
    // other part's: a thread held there would be inside it at every walk.
    std::optional<size_t> stopper;
    for (size_t k = 0; k < parts.size(); ++k)
      if (hotswap::find_strategy(part_strategy[k])->info.stops_world) {
        if (part_instances[k] > 1)
          parts.map(k, "").fail("strategy", fmt::format("{} stops the world once every other swap of the patch holds, "
                                                        "so in a patch it swaps one instance; this part swaps {}",
                                                        part_strategy[k], part_instances[k]));
        if (stopper)
          parts.map(k, "").fail("strategy", fmt::format("parts[{}] stops the world already: a patch has at most one "
                                                        "part that does ({} waits for every other part to hold first)",
                                                        *stopper, part_strategy[k]));
        stopper = k;
      }
    for (const auto& [caller, k] : part_of)
      if (stopper && k == *stopper)
        for (const auto& [callee, j] : part_of)
          if (caller != callee && calls_into(caller, callee, objects, impls, swapped_to))
            parts.map(k, "").fail("strategy", fmt::format("{} walks the stacks with every other part holding its "
                                                          "calls, but {} calls {} (parts[{}]): a thread held there is "
                                                          "inside {} at every walk", part_strategy[k],
                                                          objects[caller].name, objects[callee].name, j,
                                                          objects[caller].name));
    // A part that holds every call while it waits must not be called from inside another part (directly
    // or through other objects): that part would wait at its safe point for a call held here.
    for (const auto& [callee, k] : part_of) {
      const hotswap::StrategyInfo& info = hotswap::find_strategy(part_strategy[k])->info;
      if (info.patch_lets_callers_through || info.stops_world) continue;  // (a stop-the-world part holds no call)
      for (const auto& [caller, j] : part_of)
        if (caller != callee && calls_into(caller, callee, objects, impls, swapped_to)) {
          MapReader part = parts.map(k, "");
          part.fail("strategy", fmt::format("{} holds every call into {} while the patch waits, but {} (parts[{}]) "
                                            "calls {}: that part would wait for a call held here. Use a strategy that "
                                            "lets callers through ({})", part_strategy[k], objects[callee].name,
                                            objects[caller].name, j, objects[callee].name, callers_through()));
        }
    }
    e.finish();
    in_order(e, i, w);
    out.patches.push_back(pe);
  }
}

void check_added_calls(const std::vector<AddedCall>& added, const std::vector<ObjectSwitch>& switches,
                       const std::vector<os::ImplementationSpec>& impls, const Catalog& catalog) {
  for (const AddedCall& c : added) {
    const os::ImplementationSpec& own = impls[catalog.implementation_of(c.object)];
    const auto has = [&](size_t impl) {
      const auto& ms = impls[impl].methods;
      return std::any_of(ms.begin(), ms.end(), [&](const os::MethodSpec& m) { return m.name == c.method; });
    };
    const std::string lacks = fmt::format("{} (the implementation of {}) has no method '{}'", own.name, c.object,
                                          c.method);
    // The first event after which every instance has a version with the method (later ones only add methods).
    const auto it = std::find_if(switches.begin(), switches.end(), [&](const ObjectSwitch& s) {
      return s.object == c.object && std::all_of(s.now.begin(), s.now.end(), has);
    });
    if (it == switches.end())
      c.at.fail("method", fmt::format("{}, and no event switches every instance of {} to a version that has it: a "
                                      "call to a method a new version adds needs that switch first",
                                      lacks, c.object));
    const std::string adds = fmt::format("events[{}] switches {} to {}, which adds it", it->event, c.object,
                                         impls[it->now.front()].name);
    if (!it->at_us)
      c.at.fail("method", fmt::format("{}; {}, after_calls: a workload calling it must start after the switch, so "
                                      "that event needs at_us",
                                      lacks, adds));
    if (c.start_us < *it->at_us)
      c.at.fail("method", fmt::format("{}; {}, at {} us: a workload calling it must start at or after then (its "
                                      "start_us is {})",
                                      lacks, adds, *it->at_us, c.start_us));
  }
}

std::string check_swap_action(const MapReader& e, const std::string& object, const std::string& to,
                              const std::string& strategy, const std::vector<os::ImplementationSpec>& impls,
                              const std::vector<os::ObjectSpec>& objects, const hotswap::HotSwapSpec& spec,
                              const SwappedTo& swapped_to, const std::vector<std::string>& used) {
  const Target target = resolve_object(e, object, objects);
  const std::vector<std::string> impl_names = names_of(impls);
  const auto it = std::find(impl_names.begin(), impl_names.end(), to);
  if (it == impl_names.end()) e.fail("to", fmt::format("unknown implementation '{}'{}", shown(to), hint(to, impl_names)));
  const auto to_impl = static_cast<size_t>(it - impl_names.begin());
  const std::string& name = objects[target.object].name;
  std::vector<size_t> possible{static_cast<size_t>(std::find(impl_names.begin(), impl_names.end(),
                                                             objects[target.object].implementation) -
                                                   impl_names.begin())};
  if (const auto s = swapped_to.find(name); s != swapped_to.end())
    for (const size_t i : s->second) add_once(possible, i);
  if (possible == std::vector<size_t>{to_impl})
    e.fail("to", fmt::format("{} is the implementation of {} and nothing gives it another: this swap can never "
                             "happen", to, target.name));
  std::vector<std::string> others = used;
  for (const auto& ev : spec.swaps)
    if (ev.object.substr(0, ev.object.find('[')) == name) others.push_back(ev.strategy);
  std::vector<size_t> involved = possible;
  add_once(involved, to_impl);
  check_constraints(e, strategy, name, involved, impls, others);
  for (const size_t from : possible)
    if (from != to_impl) {
      check_replacement(e, "to", impls[from], spec.transfer[from], impls[to_impl], spec.transfer[to_impl],
                        fmt::format("an implementation {} may have then", target.name));
      check_by_reference(e, strategy, impls[from], spec.transfer[from], impls[to_impl], spec.transfer[to_impl]);
      check_same_interface(e, strategy, impls[from], impls[to_impl]);
    }
  return target.name;
}

size_t check_update_action(const MapReader& e, std::string_view class_key, const std::string& cls,
                           uint32_t to_version, const std::string& strategy,
                           const std::vector<os::ImplementationSpec>& impls, const std::vector<os::ObjectSpec>& objects,
                           const hotswap::HotSwapSpec& spec, const SwappedTo& swapped_to) {
  const std::vector<std::string> impl_names = names_of(impls);
  std::vector<size_t> in_use;  // the implementations of the class that objects may have then
  for (const auto& o : objects) {
    std::vector<size_t> has{static_cast<size_t>(std::find(impl_names.begin(), impl_names.end(), o.implementation) -
                                                impl_names.begin())};
    if (const auto it = swapped_to.find(o.name); it != swapped_to.end())
      for (const size_t i : it->second) add_once(has, i);
    for (const size_t i : has)
      if (impls[i].class_name == cls) add_once(in_use, i);
  }
  return check_update(e, class_key, cls, to_version, strategy, impls, spec, in_use,
                      ", and nothing gives them another: this update can never happen");
}

namespace {
double read_param(MapReader& m, const hotswap::StrategyParam& p, double def) {
  if (p.pow2) return static_cast<double>(m.pow2<uint64_t>(p.key, static_cast<uint64_t>(def), static_cast<uint64_t>(p.min),
                                                          static_cast<uint64_t>(p.max)));
  if (p.integer) return static_cast<double>(m.uint<uint64_t>(p.key, static_cast<uint64_t>(def),
                                                             static_cast<uint64_t>(p.min), static_cast<uint64_t>(p.max)));
  return m.real(p.key, def, p.min, p.max);
}
}  // namespace

void read_hotswap(MapReader& m, hotswap::HotSwapSpec& out) {
  out.timeout_us = m.real("timeout_us", out.timeout_us, 0, 1e9);
  out.update_step_cycles = m.uint<uint32_t>("update_step_cycles", out.update_step_cycles, 0, kMaxCycles);
  out.reclaim = m.boolean("reclaim", out.reclaim);
  const auto& registry = hotswap::strategy_registry();
  // `hotswap.KEY`: for every strategy that declares KEY (read once per declaration, so each checks its range).
  std::map<std::string, double> flat;
  for (const auto& s : registry)
    for (const auto& p : s.info.params)
      if (const double v = read_param(m, p, p.default_value); m.has(p.key)) flat[p.key] = v;  // read: a known key
  // The strategies with a parameter block: those the events use, and those named under `strategies`.
  std::vector<std::string> named;
  for (const auto& e : out.swaps) named.push_back(e.strategy);
  for (const auto& u : out.updates) named.push_back(u.strategy);
  for (const auto& p : out.policies) named.push_back(p.strategy);
  MapReader blocks = m.map("strategies");
  std::map<std::string, MapReader> given;
  for (const std::string& name : blocks.keys()) {
    if (!hotswap::find_strategy(name))
      blocks.fail_key(name, fmt::format("unknown strategy '{}'{}", shown(name), hint(name, hotswap::strategy_names())));
    given.emplace(name, blocks.map(name));
    named.push_back(name);
  }
  for (const std::string& name : named) {
    if (out.params.count(name)) continue;
    const hotswap::StrategyEntry& s = *hotswap::find_strategy(name);
    hotswap::StrategyParams values(s.info.params);
    for (const auto& p : s.info.params)
      if (const auto it = flat.find(p.key); it != flat.end()) values.set(p.key, it->second);
    if (const auto it = given.find(name); it != given.end()) {
      for (const auto& p : s.info.params) values.set(p.key, read_param(it->second, p, values.real(p.key)));
      it->second.finish();
    }
    out.params.emplace(name, std::move(values));
  }
  m.finish();
}

}  // namespace quiesce::scenario
