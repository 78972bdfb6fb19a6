// The `workloads:` section: who calls which methods, on which CPUs, how often; and `devices:`, what
// interrupts them and what the handlers call.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "scenario/os_sections.h"

namespace quiesce::scenario {
namespace {

constexpr double kMaxUs = 1e9;

// "all", "3", "0-3", or a list of numbers and ranges; ascending, each CPU once.
std::vector<unsigned> read_cpus(MapReader& r, unsigned machine_cpus) {
  const std::string expected = "all, a CPU number, a range like 0-3, or a list of numbers and ranges";
  std::vector<bool> chosen(machine_cpus);
  // Adds the CPUs of one item ("3" or "0-3"); `fail` reports at the item.
  const auto add = [&](const std::string& item, const std::function<void(const std::string&)>& fail) {
    unsigned lo = 0, hi = 0;
    const char* end = item.data() + item.size();
    auto res = std::from_chars(item.data(), end, lo);
    hi = lo;
    if (res.ec == std::errc{} && res.ptr != end && *res.ptr == '-') res = std::from_chars(res.ptr + 1, end, hi);
    if (item.empty() || res.ec != std::errc{} || res.ptr != end || hi < lo)
      fail(fmt::format("expected {}, found \"{}\"", expected, shown(item)));
    if (hi >= machine_cpus)
      fail(fmt::format("CPU {} does not exist: machine.cpus is {} (CPUs 0-{})", hi, machine_cpus, machine_cpus - 1));
    for (unsigned c = lo; c <= hi; ++c) {
      if (chosen[c]) fail(fmt::format("CPU {} is named twice", c));
      chosen[c] = true;
    }
  };
  const YAML::Node n = r.node("cpus");
  if (!n.IsDefined() || (n.IsScalar() && n.Scalar() == "all")) {
    chosen.assign(machine_cpus, true);
  } else if (n.IsSequence()) {
    ListReader list = r.list("cpus");
    if (list.size() == 0) list.fail("expected at least one CPU");
    for (size_t i = 0; i < list.size(); ++i)
      add(list.scalar(i, expected), [&](const std::string& msg) { list.fail(i, msg); });
  } else if (n.IsScalar()) {
    add(n.Scalar(), [&](const std::string& msg) { r.fail("cpus", msg); });
  } else {
    r.fail("cpus", fmt::format("expected {}, found {}", expected, describe(n)));
  }
  std::vector<unsigned> cpus;
  for (unsigned c = 0; c < machine_cpus; ++c)
    if (chosen[c]) cpus.push_back(c);
  return cpus;
}

os::WorkloadSpec read_workload(MapReader r, const platform::MachineConfig& machine, const Catalog& catalog,
                               std::vector<AddedCall>& added) {
  using os::WorkloadKind;
  os::WorkloadSpec w;
  const std::string kind = r.choice("kind", "closed", {"closed", "open", "long_lived"});
  w.kind = kind == "open" ? WorkloadKind::Open : kind == "long_lived" ? WorkloadKind::LongLived : WorkloadKind::Closed;
  const bool open = w.kind == WorkloadKind::Open;
  w.cpus = read_cpus(r, machine.cpus);
  // Open arrivals come at a rate: there are no clients to count or to think.
  for (const char* key : {"threads", "think_us", "think"})
    if (open && r.has(key)) r.fail(key, "not allowed with kind open (requests arrive at rate_per_ms)");
  w.threads = r.uint<uint32_t>("threads", w.threads, 1, 4096);
  w.think_us = r.real("think_us", w.think_us, 0, kMaxUs);
  w.think_exponential = r.choice("think", "exponential", {"exponential", "fixed"}) == "exponential";
  if (!open && r.has("rate_per_ms")) r.fail("rate_per_ms", fmt::format("only for kind open, not {}", kind));
  if (open && !r.has("rate_per_ms")) r.fail("kind", "kind open needs rate_per_ms (arrivals per CPU per millisecond)");
  w.rate_per_ms = r.positive("rate_per_ms", w.rate_per_ms, 1e6);
  w.calls_per_request = r.uint<uint32_t>("calls_per_request", w.calls_per_request, 1, 10000);

  const size_t first_added = added.size();
  ListReader mix = r.list("mix");
  if (mix.size() == 0) mix.fail("expected at least one entry {object: NAME, method: NAME, weight: N}");
  for (size_t i = 0; i < mix.size(); ++i) {
    MapReader e = mix.map(i);
    os::MixEntry entry;
    entry.object = required_string(e, "object");
    entry.method = required_string(e, "method");
    entry.weight = e.positive("weight", entry.weight, 1e6);
    e.finish();
    if (catalog.check_lifetime_call(e, entry.object, entry.method))
      ;  // a `create` or `destroy` call (object lifetimes)
    else if (catalog.added_method(entry.object, entry.method))
      added.push_back({e, entry.object, entry.method});  // start_us below
    else
      catalog.check_target(e, entry.object, entry.method);
    w.mix.push_back(std::move(entry));
  }
  const bool zipf = r.choice("popularity", "uniform", {"uniform", "zipf"}) == "zipf";
  w.popularity = zipf ? os::Popularity::Zipf : os::Popularity::Uniform;
  w.zipf_s = r.positive("zipf_s", w.zipf_s, 10);  // kept with uniform, so --set can switch popularity alone
  w.start_us = r.real("start_us", w.start_us, 0, kMaxUs);
  for (size_t k = first_added; k < added.size(); ++k) added[k].start_us = w.start_us;
  w.stop_us = r.real("stop_us", w.stop_us, 0, HUGE_VAL);
  if (w.stop_us <= w.start_us)
    r.fail("stop_us", fmt::format("expected a time after start_us ({} us), found {}", w.start_us, w.stop_us));
  if (w.kind != WorkloadKind::LongLived && r.has("declares_quiescence"))
    r.fail("declares_quiescence",
           fmt::format("only for kind long_lived (a {} workload's threads end after each request)", kind));
  w.declares_quiescence = r.boolean("declares_quiescence", w.declares_quiescence);
  w.priority = r.uint<uint32_t>("priority", w.priority, 0, os::kMaxPriority);
  r.finish();
  return w;
}

// The first method that a call of `object`.`method` may run (in any implementation the object has or
// is swapped to, itself or through nested calls at any depth) and that may wait for I/O, or "" if
// none may: such a call would block, which interrupt context forbids.
std::string may_block(const Catalog& catalog, const SwappedTo& swapped_to, const std::string& object,
                      const std::string& method, std::vector<std::pair<size_t, std::string>>& seen) {
  std::vector<size_t> impls{catalog.implementation_of(object)};
  if (const auto it = swapped_to.find(object); it != swapped_to.end())
    impls.insert(impls.end(), it->second.begin(), it->second.end());
  for (const size_t impl : impls) {
    if (std::find(seen.begin(), seen.end(), std::make_pair(impl, method)) != seen.end()) continue;
    seen.emplace_back(impl, method);
    const os::ImplementationSpec& is = catalog.implementations()[impl];
    const auto m = std::find_if(is.methods.begin(), is.methods.end(), [&](const auto& x) { return x.name == method; });
    if (m == is.methods.end()) continue;
    if (m->io.probability > 0) return is.name + "." + m->name;
    for (const os::CallSite& c : m->calls)
      if (std::string b = may_block(catalog, swapped_to, c.object, c.method, seen); !b.empty()) return b;
  }
  return "";
}

os::DeviceSpec read_device(MapReader r, const platform::MachineConfig& machine, const Catalog& catalog,
                           const SwappedTo& swapped_to) {
  os::DeviceSpec d;
  d.cpus = read_cpus(r, machine.cpus);
  d.routing = r.choice("routing", "per_cpu", {"per_cpu", "round_robin"}) == "round_robin" ? os::DeviceRouting::RoundRobin
                                                                                          : os::DeviceRouting::PerCpu;
  d.arrival = r.choice("arrival", "poisson", {"poisson", "periodic"}) == "periodic" ? os::DeviceArrival::Periodic
                                                                                     : os::DeviceArrival::Poisson;
  d.rate_per_ms = r.positive("rate_per_ms", d.rate_per_ms, 1e5);
  ListReader calls = r.list("calls");
  if (calls.size() == 0) calls.fail("expected at least one entry {object: NAME, method: NAME}: what the handler calls");
  for (size_t i = 0; i < calls.size(); ++i) {
    MapReader e = calls.map(i);
    os::MixEntry entry;
    entry.object = required_string(e, "object");
    entry.method = required_string(e, "method");
    e.finish();
    catalog.check_target(e, entry.object, entry.method);
    if (catalog.has_lifetimes(entry.object))
      e.fail("object", fmt::format("objects.{} has a capacity (its instances come and go): a handler cannot name one",
                                   entry.object));
    std::vector<std::pair<size_t, std::string>> seen;
    if (const std::string b = may_block(catalog, swapped_to, entry.object, entry.method, seen); !b.empty())
      e.fail("method", fmt::format("a call in interrupt context may not block, and this call may run {}, which may "
                                   "wait for I/O (io.probability > 0)", b));
    d.calls.push_back(std::move(entry));
  }
  d.start_us = r.real("start_us", d.start_us, 0, kMaxUs);
  d.stop_us = r.real("stop_us", d.stop_us, 0, HUGE_VAL);
  if (d.stop_us <= d.start_us)
    r.fail("stop_us", fmt::format("expected a time after start_us ({} us), found {}", d.start_us, d.stop_us));
  r.finish();
  return d;
}

}  // namespace

std::vector<os::DeviceSpec> read_devices(MapReader m, const platform::MachineConfig& machine, const Catalog& catalog,
                                         const SwappedTo& swapped_to) {
  std::vector<os::DeviceSpec> out;
  for (const std::string& name : m.keys()) {
    check_name(m, name);
    out.push_back(read_device(m.map(name), machine, catalog, swapped_to));
    out.back().name = name;
  }
  return out;
}

void check_atomic_calls(const std::vector<CallPlace>& calls, const Catalog& catalog, const SwappedTo& swapped_to) {
  for (const CallPlace& p : calls) {
    const os::MethodSpec& m = catalog.implementations()[p.implementation].methods[p.method];
    if (m.disables == os::MethodSpec::Disables::Nothing) continue;
    const os::CallSite& site = m.calls[p.call];
    std::vector<std::pair<size_t, std::string>> seen;
    if (const std::string b = may_block(catalog, swapped_to, site.object, site.method, seen); !b.empty())
      p.at.fail("method", fmt::format("{} disables {} and may not block, and this call may run {}, which may wait "
                                      "for I/O (io.probability > 0)", m.name,
                                      m.disables == os::MethodSpec::Disables::Preemption ? "preemption" : "interrupts", b));
  }
}

std::vector<os::WorkloadSpec> read_workloads(MapReader m, const platform::MachineConfig& machine,
                                             const Catalog& catalog, std::vector<AddedCall>& added) {
  std::vector<os::WorkloadSpec> out;
  for (const std::string& name : m.keys()) {
    check_name(m, name);
    out.push_back(read_workload(m.map(name), machine, catalog, added));
    out.back().name = name;
  }
  return out;
}

}  // namespace quiesce::scenario
