#include "scenario/os_sections.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "os_model/thread_descriptor.h"
#include "scenario/hotswap_section.h"

namespace quiesce::scenario {
namespace {

// Host-work costs beyond 1e6 cycles (0.5 ms at 2 GHz) are typos, not models.
constexpr uint32_t kMaxCycles = 1'000'000;
constexpr double kMaxUs = 1e9;  // 1000 s of simulated time
constexpr uint64_t kMaxStateBytes = 1 << 20;
constexpr size_t kMaxMethods = os::kMaxMethods;
constexpr uint32_t kMaxInstances = 65536;

os::MethodSpec read_symbol_method(MapReader& r, const os::OsConfig& os, const ppc::SymbolTable& guest) {
  os::MethodSpec s;
  s.symbol = r.string("symbol", "");
  s.counts_calls = r.boolean("counts_calls", false);
  for (const std::string& key : r.keys())
    if (key != "symbol" && key != "counts_calls")
      r.fail_key(key, "not allowed with `symbol`: the body is the guest function, not a cost description");
  if (os.guest_elf.empty()) r.fail("symbol", "needs os.guest_elf, the guest program that holds the function");
  const ppc::Symbol* sym = guest.lookup(s.symbol);
  if (!sym || sym->data) {
    std::vector<std::string> functions;
    for (const auto& g : guest.all())
      if (!g.data) functions.push_back(g.name);
    r.fail("symbol", fmt::format("no function '{}' in {}{}", shown(s.symbol), os.guest_elf, hint(s.symbol, functions)));
  }
  return s;
}

os::MethodSpec read_method(MapReader r, const os::ImplementationSpec& impl, uint32_t line_bytes, const os::OsConfig& os,
                           const ppc::SymbolTable& guest, std::vector<CallPlace>& places, size_t impl_index) {
  if (r.has("symbol")) return read_symbol_method(r, os, guest);
  os::MethodSpec s;
  r.string("symbol", "");  // absent here; named among the known keys
  s.instructions = r.uint<uint32_t>("instructions", s.instructions, 0, 100000);
  auto& x = s.mix;
  if (r.has("mix")) x = {0, 0, 0, 0, 0, 0};  // a given mix starts from nothing: {load: 1} means only loads
  MapReader mx = r.map("mix");
  const std::pair<const char*, double*> weights[] = {{"alu", &x.alu},   {"mul", &x.mul},     {"div", &x.div},
                                                     {"load", &x.load}, {"store", &x.store}, {"branch", &x.branch}};
  double total = 0;
  for (auto [key, w] : weights) total += *w = mx.real(key, *w, 0, 1e6);
  mx.finish();
  if (total == 0 && s.instructions > 0)
    r.fail("mix", fmt::format("all weights are zero for {} instructions", s.instructions));
  // Each count names lines from the start of its state, so it must fit in that state.
  const auto lines = [&](uint64_t bytes) { return (bytes + line_bytes - 1) / line_bytes; };
  const struct {
    const char* key;
    uint32_t* field;
    const char* bytes_key;
    uint64_t bytes;
  } accesses[] = {{"state_reads", &s.state_reads, "state_bytes", impl.state_bytes},
                  {"state_writes", &s.state_writes, "state_bytes", impl.state_bytes},
                  {"state_atomics", &s.state_atomics, "state_bytes", impl.state_bytes},
                  {"shared_reads", &s.shared_reads, "shared_state_bytes", impl.shared_state_bytes},
                  {"shared_writes", &s.shared_writes, "shared_state_bytes", impl.shared_state_bytes},
                  {"shared_atomics", &s.shared_atomics, "shared_state_bytes", impl.shared_state_bytes}};
  for (const auto& a : accesses) {
    *a.field = r.uint<uint32_t>(a.key, *a.field, 0, 4096);
    if (*a.field > lines(a.bytes))
      r.fail(a.key, fmt::format("{} lines do not fit in {} {} (at most {} lines of {} bytes)", *a.field, a.bytes_key,
                                a.bytes, lines(a.bytes), line_bytes));
  }
  ListReader calls = r.list("calls");
  for (size_t i = 0; i < calls.size(); ++i) {
    MapReader c = calls.map(i);
    os::CallSite site;
    site.object = required_string(c, "object");
    site.method = required_string(c, "method");
    site.count = c.uint<uint32_t>("count", site.count, 1, 1000);
    c.finish();
    s.calls.push_back(site);
    places.push_back({impl_index, impl.methods.size(), i, c});
  }
  MapReader io = r.map("io");
  s.io.probability = io.real("probability", s.io.probability, 0, 1);
  s.io.mean_us = io.real("mean_us", s.io.mean_us, 0, kMaxUs);
  s.io.exponential = io.choice("distribution", "exponential", {"exponential", "fixed"}) == "exponential";
  io.finish();
  const std::string disables = r.choice("disables", "nothing", {"nothing", "preemption", "interrupts"});
  s.disables = disables == "preemption" ? os::MethodSpec::Disables::Preemption
               : disables == "interrupts" ? os::MethodSpec::Disables::Interrupts
                                          : os::MethodSpec::Disables::Nothing;
  // A thread may not sleep with preemption or interrupts off (Linux: "scheduling while atomic").
  if (s.disables != os::MethodSpec::Disables::Nothing && s.io.probability > 0)
    r.fail("disables", fmt::format("a method that disables {} may not wait for I/O (io.probability {} > 0): its "
                                   "thread would sleep with {} off", disables, s.io.probability, disables));
  r.finish();
  return s;
}

}  // namespace

bool is_identifier(const std::string& s) {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  return !s.empty() && s.size() <= 100 && alpha(s[0]) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

void check_name(const MapReader& m, const std::string& key) {
  if (!is_identifier(key))
    m.fail_key(key, "expected a name of letters, digits and _ not starting with a digit (at most 100 characters)");
}

std::string hint(const std::string& word, const std::vector<std::string>& known) {
  if (known.empty()) return "; there are none";
  const std::string near = closest(word, known);
  if (!near.empty()) return fmt::format("; did you mean '{}'?", near);
  if (known.size() <= 12) return fmt::format("; known: {}", fmt::join(known, ", "));
  return fmt::format("; known: {}, ... ({} in all)", fmt::join(known.begin(), known.begin() + 12, ", "), known.size());
}

std::string required_string(MapReader& m, std::string_view key) {
  if (!m.has(key)) m.fail(fmt::format("missing key '{}'", key));
  return m.string(key, "");
}

// --- Catalog ---

Catalog::Catalog(const std::vector<os::ImplementationSpec>& implementations, const std::vector<os::ObjectSpec>& objects)
    : implementations_(implementations), objects_(objects) {
  std::unordered_map<std::string, size_t> impl_index;
  for (size_t i = 0; i < implementations.size(); ++i) impl_index.emplace(implementations[i].name, i);
  for (const auto& o : objects) object_impl_.emplace(o.name, impl_index.at(o.implementation));
}

size_t Catalog::implementation_of(const std::string& object) const { return object_impl_.at(object); }

bool Catalog::has_lifetimes(const std::string& object) const {
  const auto it = std::find_if(objects_.begin(), objects_.end(), [&](const os::ObjectSpec& o) { return o.name == object; });
  return it != objects_.end() && it->initial != 0;
}

bool Catalog::check_lifetime_call(const MapReader& at, const std::string& object, const std::string& method) const {
  if (method != os::kCreateName && method != os::kDestroyName) return false;
  if (!object_impl_.contains(object))
    at.fail("object", fmt::format("unknown object '{}'{}", shown(object), hint(object, names_of(objects_))));
  if (!has_lifetimes(object)) {
    const os::ImplementationSpec& impl = implementations_[implementation_of(object)];
    if (std::any_of(impl.methods.begin(), impl.methods.end(), [&](const os::MethodSpec& m) { return m.name == method; }))
      return false;  // a method of that name, on an object without a capacity: an ordinary call
    at.fail("method", fmt::format("{} makes or ends an instance of a group with a capacity, and objects.{} has none "
                                  "(give it `capacity: N`, the instances it may have at once)",
                                  method, object));
  }
  return true;
}

size_t Catalog::check_target(const MapReader& at, const std::string& object, const std::string& method) const {
  if (!object_impl_.contains(object))
    at.fail("object", fmt::format("unknown object '{}'{}", shown(object), hint(object, names_of(objects_))));
  const os::ImplementationSpec& impl = implementations_[implementation_of(object)];
  for (size_t m = 0; m < impl.methods.size(); ++m)
    if (impl.methods[m].name == method) return m;
  at.fail("method", fmt::format("{} (the implementation of {}) has no method '{}'{}", impl.name, object, shown(method),
                                hint(method, names_of(impl.methods))));
}

bool Catalog::added_method(const std::string& object, const std::string& method) const {
  const auto it = object_impl_.find(object);
  const auto has = [&](const os::ImplementationSpec& i) {
    return std::any_of(i.methods.begin(), i.methods.end(), [&](const os::MethodSpec& m) { return m.name == method; });
  };
  return it != object_impl_.end() && !has(implementations_[it->second]) &&
         std::any_of(implementations_.begin(), implementations_.end(), has);
}

// --- sections ---

os::OsConfig read_os(MapReader m, const Document& doc, const platform::MachineConfig& machine,
                     ppc::SymbolTable& guest) {
  os::OsConfig c;
  const auto cycles = [&](const char* key, uint32_t& field) { field = m.uint<uint32_t>(key, field, 0, kMaxCycles); };
  cycles("schedule_cycles", c.schedule_cycles);
  c.descriptor_bytes = m.uint<uint32_t>("descriptor_bytes", c.descriptor_bytes, os::kDescMinBytes, 65536);
  if (c.descriptor_bytes % 8)
    m.fail("descriptor_bytes", fmt::format("expected a multiple of 8, found {}", c.descriptor_bytes));
  c.stack_kib = m.uint<uint32_t>("stack_kib", c.stack_kib, 1, 1024);
  c.max_threads_per_cpu = m.uint<uint32_t>("max_threads_per_cpu", c.max_threads_per_cpu, 1, 4096);
  cycles("miss_handler_cycles", c.miss_handler_cycles);
  cycles("io_check_cycles", c.io_check_cycles);
  cycles("create_cycles", c.create_cycles);
  cycles("destroy_cycles", c.destroy_cycles);
  c.idle_poll_cycles = m.uint<uint32_t>("idle_poll_cycles", c.idle_poll_cycles, 1, kMaxCycles);
  c.guest_elf = m.string("guest_elf", "");
  MapReader g = m.map("generations");
  auto& gen = c.generations;
  gen.token = g.boolean("token", gen.token);
  gen.min_round_us = g.real("min_round_us", gen.min_round_us, 0, kMaxUs);
  gen.swap_cycles = g.uint<uint32_t>("swap_cycles", gen.swap_cycles, 0, kMaxCycles);
  gen.token_pass_cycles = g.uint<uint32_t>("token_pass_cycles", gen.token_pass_cycles, 0, kMaxCycles);
  g.finish();
  MapReader sch = m.map("scheduler");
  auto& sc = c.scheduler;
  sc.policy = sch.choice("policy", "run_to_completion", {"run_to_completion", "preemptive"}) == "preemptive"
                  ? os::SchedulerPolicy::Preemptive
                  : os::SchedulerPolicy::RunToCompletion;
  sc.tick_us = sch.positive("tick_us", sc.tick_us, kMaxUs);
  sc.system_priority = sch.uint<uint32_t>("system_priority", sc.system_priority, 0, os::kMaxPriority);
  sch.finish();
  m.finish();

  // Thread descriptors and stacks are preallocated per CPU, below the CPUs' own stacks.
  const uint64_t per_thread = uint64_t{c.stack_kib} * 1024 + c.descriptor_bytes;
  const uint64_t threads = uint64_t{c.max_threads_per_cpu} * machine.cpus;
  if (threads * per_thread + machine.stack_bytes * machine.cpus >= machine.memory_bytes)
    m.fail(m.has("max_threads_per_cpu") || !m.has("stack_kib") ? "max_threads_per_cpu" : "stack_kib",
           fmt::format("{} threads on each of {} CPUs with {} KiB stacks do not fit in {} MiB of memory",
                       c.max_threads_per_cpu, machine.cpus, c.stack_kib, machine.memory_bytes >> 20));

  // A path in the file is relative to the file; one from the command line, to the working directory.
  namespace fs = std::filesystem;
  if (!c.guest_elf.empty()) {
    const std::string key = m.path_of("guest_elf");
    if (!doc.file().empty() && !doc.overridden(key) && fs::path(c.guest_elf).is_relative())
      c.guest_elf = (fs::path(doc.file()).parent_path() / c.guest_elf).string();
    std::error_code ec;
    if (!fs::is_regular_file(c.guest_elf, ec)) m.fail("guest_elf", fmt::format("no such file: {}", c.guest_elf));
    try {
      mem::GuestMemory scratch(std::min<uint64_t>(machine.memory_bytes, uint64_t{4} << 30));  // for its symbols only
      guest = ppc::load_elf(c.guest_elf, scratch).symbols;
    } catch (const ppc::LoadError& e) {
      m.fail("guest_elf", e.what());
    }
  }
  return c;
}

std::vector<os::ImplementationSpec> read_implementations(MapReader m, const platform::MachineConfig& machine,
                                                         const os::OsConfig& os, const ppc::SymbolTable& guest,
                                                         std::vector<CallPlace>& calls,
                                                         std::vector<hotswap::TransferSpec>& transfers) {
  std::vector<os::ImplementationSpec> out;
  std::map<std::pair<std::string, uint32_t>, std::string> versions;  // (class, version) -> implementation
  for (const std::string& name : m.keys()) {
    check_name(m, name);
    MapReader r = m.map(name);
    os::ImplementationSpec impl;
    impl.name = name;
    impl.class_name = r.string("class", name);
    if (!is_identifier(impl.class_name))
      r.fail("class", "expected a name of letters, digits and _ not starting with a digit");
    impl.version = r.uint<uint32_t>("version", impl.version, 1, 1'000'000);
    const bool per_cpu = r.choice("root", "shared", {"shared", "per_cpu"}) == "per_cpu";
    impl.root = per_cpu ? os::RootKind::PerCpu : os::RootKind::Shared;
    impl.state_bytes = r.uint<uint64_t>("state_bytes", impl.state_bytes, 0, kMaxStateBytes);
    impl.shared_state_bytes = r.uint<uint64_t>("shared_state_bytes", impl.shared_state_bytes, 0, kMaxStateBytes);
    MapReader methods = r.map("methods");
    const std::vector<std::string> method_names = methods.keys();
    if (method_names.empty()) r.fail("methods", "an implementation needs at least one method");
    if (method_names.size() > kMaxMethods)
      methods.fail_key(method_names[kMaxMethods], fmt::format("more than {} methods (the vtable's size)", kMaxMethods));
    for (const std::string& method : method_names) {
      check_name(methods, method);
      os::MethodSpec spec =
          read_method(methods.map(method), impl, machine.hierarchy.line_bytes, os, guest, calls, out.size());
      spec.name = method;
      impl.methods.push_back(std::move(spec));
    }
    transfers.push_back(read_transfer(r.map("transfer")));
    r.finish();
    // The factory knows a class's implementations by version.
    const auto [it, fresh] = versions.emplace(std::pair(impl.class_name, impl.version), impl.name);
    if (!fresh)
      r.fail(r.has("version") ? "version" : "class", fmt::format("class {} version {} is already implementation {}",
                                                                  impl.class_name, impl.version, it->second));
    out.push_back(std::move(impl));
  }
  return out;
}

std::vector<os::ObjectSpec> read_objects(MapReader m, const std::vector<os::ImplementationSpec>& implementations) {
  std::vector<os::ObjectSpec> out;
  const std::vector<std::string> impl_names = names_of(implementations);
  const std::set<std::string> known(impl_names.begin(), impl_names.end());
  uint64_t instances = 0;
  for (const std::string& name : m.keys()) {
    check_name(m, name);
    MapReader r = m.map(name);
    os::ObjectSpec o;
    o.name = name;
    o.implementation = required_string(r, "implementation");
    if (!known.contains(o.implementation))
      r.fail("implementation",
             fmt::format("unknown implementation '{}'{}", shown(o.implementation), hint(o.implementation, impl_names)));
    o.count = r.uint<uint32_t>("count", o.count, 1, kMaxInstances);
    if (r.has("capacity")) {  // object lifetimes (issue 24): the slots reserved; `count` live at the start
      const uint32_t capacity = r.uint<uint32_t>("capacity", o.count, 2, kMaxInstances);
      if (capacity <= o.count)
        r.fail("capacity", fmt::format("expected more than count ({}): the instances it may have at once, found {}",
                                       o.count, capacity));
      o.initial = o.count;
      o.count = capacity;
      if (r.has("reclaim")) {  // how its destroyed instances wait (lifetimes.cpp)
        const std::string rule = r.string("reclaim", "generations");
        if (rule != "generations" && rule != "grace_period")
          r.fail("reclaim", fmt::format("expected generations or grace_period, found '{}'", shown(rule)));
        o.grace_period = rule == "grace_period";
      }
    } else if (r.has("reclaim")) {
      r.fail("reclaim", "only an object with a capacity destroys instances (give it `capacity: N`)");
    }
    r.finish();
    if ((instances += o.count) > kMaxInstances)
      r.fail(r.has("count") ? "count" : "implementation",
             fmt::format("{} object instances in all; at most {}", instances, kMaxInstances));
    out.push_back(std::move(o));
  }
  return out;
}

os::RunSpec read_run(MapReader m) {
  os::RunSpec run;
  run.duration_us = m.positive("duration_us", run.duration_us, kMaxUs);
  run.warmup_us = m.real("warmup_us", run.warmup_us, 0, kMaxUs);
  run.seed = m.uint<uint64_t>("seed", run.seed, 0, std::numeric_limits<uint64_t>::max());
  m.finish();
  if (run.warmup_us >= run.duration_us)
    m.fail("warmup_us",
           fmt::format("must be shorter than run.duration_us ({} us), found {}", run.duration_us, run.warmup_us));
  return run;
}

os::OutputsSpec read_outputs(MapReader m, const os::RunSpec& run) {
  constexpr double kMaxWindows = 1e6;  // rows of calls.csv per run
  os::OutputsSpec out;
  out.dir = m.string("dir", out.dir);
  // Unless given, the window fits the run: 100 us, or less for a short run, or more for a long one.
  out.window_us = std::clamp(out.window_us, run.duration_us / kMaxWindows, run.duration_us);
  out.window_us = m.positive("window_us", out.window_us, kMaxUs);
  m.finish();
  if (out.window_us > run.duration_us)
    m.fail("window_us", fmt::format("longer than run.duration_us ({} us), found {}", run.duration_us, out.window_us));
  if (run.duration_us / out.window_us > kMaxWindows)
    m.fail("window_us", fmt::format("{} us windows make more than {} windows of run.duration_us ({} us)", out.window_us,
                                    kMaxWindows, run.duration_us));
  return out;
}

}  // namespace quiesce::scenario
