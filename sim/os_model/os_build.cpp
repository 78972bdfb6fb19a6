// OsKernel construction: lays the scenario's object layer out in guest memory.
#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "cpu_ppc64/assembler.h"
#include "os_model/context_switch.h"
#include "os_model/method_codegen.h"
#include "os_model/os_kernel.h"
#include "os_model/swap_door.h"
#include "os_model/thread_life.h"

namespace quiesce::os {

namespace {
unsigned method_index(const ImplementationSpec& impl, const std::string& name) {
  for (unsigned m = 0; m < impl.methods.size(); ++m)
    if (impl.methods[m].name == name) return m;
  throw BuildError(fmt::format("implementation {} has no method {}", impl.name, name));
}

unsigned group_index(const std::vector<ObjectGroup>& groups, const std::string& name) {
  for (unsigned g = 0; g < groups.size(); ++g)
    if (groups[g].name == name) return g;
  throw BuildError(fmt::format("no object {}", name));
}
}  // namespace

OsKernel::OsKernel(mem::GuestMemory& memory, mem::RegionMap& regions, const KernelParams& params, const OsConfig& os,
                   const std::vector<ImplementationSpec>& impls, const std::vector<ObjectSpec>& objects,
                   const std::vector<WorkloadSpec>& workloads, const RunSpec& run, const OutputsSpec& outputs,
                   const std::vector<DeviceSpec>& devices)
    : p_(params),
      os_(os),
      impls_(impls),
      run_(run),
      heap_(memory, regions, params.heap_base, params.heap_limit, params.line_bytes),
      door_(std::make_unique<SwapDoor>(*this)) {
  heap_.set_cpus(params.cpus);  // the OS allocator's per-processor pools
  if (impls.empty() && !objects.empty()) throw BuildError("objects need implementations");
  // Groups first: nested calls and workloads name them.
  unsigned next = 0;
  for (const ObjectSpec& o : objects) {
    unsigned impl = 0;
    while (impl < impls.size() && impls[impl].name != o.implementation) ++impl;
    if (impl == impls.size()) throw BuildError(fmt::format("object {}: no implementation {}", o.name, o.implementation));
    unsigned iface = o.interface.empty() ? impl : 0;
    while (iface < impls.size() && impls[iface].name != (o.interface.empty() ? o.implementation : o.interface)) ++iface;
    if (iface == impls.size()) throw BuildError(fmt::format("object {}: no implementation {}", o.name, o.interface));
    groups_.push_back({o.name, impl, next, o.count, iface, o.initial ? std::min(o.initial, o.count) : o.count,
                       o.grace_period});
    next += o.count;
  }
  com_ = std::make_unique<ClusteredObjectManager>(heap_, p_.cpus, next + 1024, kMaxMethods, kHostCallBase,
                                                  MissCosts{os.miss_handler_cycles});
  build_code(os, params.program);
  build_objects();
  build_direct_sites();
  build_threads(os);
  if (takes_interrupts()) build_vectors();  // only then: other scenarios keep their memory laid out as before
  token_ = std::make_unique<QuiescenceToken>(heap_, p_.cpus, os.generations, cycles(os.generations.min_round_us));
  for (const WorkloadSpec& w : workloads) workloads_.emplace_back(w, groups_, impls_, p_.clock_hz / 1e6);
  stats_.methods.resize(groups_.size());
  stats_.lifetimes.resize(groups_.size());
  for (unsigned g = 0; g < groups_.size(); ++g) stats_.methods[g].resize(impls_[groups_[g].interface].methods.size());
  warmup_cycles_ = cycles(run.warmup_us);
  end_cycles_ = cycles(run.duration_us);
  stats_.window_cycles = std::max<uint64_t>(1, cycles(outputs.window_us));
  stats_.windows.resize(static_cast<size_t>((end_cycles_ + stats_.window_cycles - 1) / stats_.window_cycles));
  start_workloads(run.seed);
  build_devices(devices, run.seed);
}

// Each device's calls resolved; per CPU an interrupt thread (a descriptor for the layer above's marks,
// never on a run queue or task list) and an interrupt stack; each stream's first interrupt.
void OsKernel::build_devices(const std::vector<DeviceSpec>& devices, uint64_t seed) {
  if (devices.empty()) return;
  if (!takes_interrupts()) throw BuildError("devices need os.interrupts (the scenario reader sets it)");
  device_specs_ = devices;
  stats_.devices.resize(devices.size());
  const uint64_t stack = uint64_t{os_.stack_kib} << 10;
  for (unsigned c = 0; c < p_.cpus; ++c) {
    Thread t;
    t.id = static_cast<unsigned>(threads_.size());
    t.cpu = c;
    t.irq = true;
    t.descriptor = heap_.allocate(fmt::format("threads.cpu{}.irq", c), os_.descriptor_bytes);
    t.stack_top = heap_.allocate(fmt::format("stacks.cpu{}.irq", c), stack, 16) + stack - kFrameBytes;
    cpus_[c].irq_tid = t.id;
    cpus_[c].irq_rng = Rng(Rng::derive(seed, c, 0x1e9));
    threads_.push_back(t);
  }
  for (unsigned d = 0; d < devices.size(); ++d) {
    const DeviceSpec& s = devices[d];
    DeviceState ds;
    for (const MixEntry& e : s.calls) {
      const unsigned g = group_index(groups_, e.object);
      ds.calls.emplace_back(g, method_index(impls_[groups_[g].impl], e.method));
    }
    ds.mean = std::max<uint64_t>(1, static_cast<uint64_t>(p_.clock_hz / 1e3 / s.rate_per_ms));
    ds.start = cycles(s.start_us);
    ds.stop = std::min(end_cycles_, std::isinf(s.stop_us) ? end_cycles_ : cycles(s.stop_us));
    const size_t n = s.routing == DeviceRouting::PerCpu ? s.cpus.size() : 1;
    for (size_t k = 0; k < n; ++k) ds.streams.emplace_back(Rng::derive(seed, 0xde71ce + d, k));
    devices_.push_back(std::move(ds));
    for (unsigned k = 0; k < n; ++k) raise_next(d, k, devices_[d].start);
  }
}

OsKernel::~OsKernel() = default;

SwapInterface OsKernel::swap_interface() { return door_->interface(); }

// The request loop, every generated method body, and the vtables.
void OsKernel::build_code(const OsConfig& os, const ppc::LoadedProgram* program) {
  if (!os.guest_elf.empty() && !program) throw BuildError("os.guest_elf was not loaded");
  toc_ = program ? program->toc : 0;
  gates_.resize(groups_.size());
  if (p_.gates)
    for (unsigned g = 0; g < groups_.size(); ++g) gates_[g] = p_.gates(swap_interface(), g);
  std::vector<uint32_t> code = os::request_loop(kNextCall);
  // Each gated group's call from the request loop, right after it.
  std::vector<size_t> gated_at(groups_.size(), 0);
  for (unsigned g = 0; g < groups_.size(); ++g)
    if (!gates_[g].enter.empty() || !gates_[g].leave.empty()) {
      gated_at[g] = code.size();
      for (uint32_t w : gated_call(4 * code.size(), 0, gates_[g])) code.push_back(w);
    }
  const size_t loop_end = code.size();
  const size_t system_loop_at = code.size();
  {  // a system thread: one host-modelled step per pass
    ppc::enc::Assembler loop;
    const ppc::enc::Label step = loop.label("step");
    loop.bind(step);
    loop.put(ppc::enc::bla(kSystemStep));
    loop.b(step);
    for (uint32_t w : loop.take()) code.push_back(w);
  }
  std::vector<std::vector<std::pair<size_t, size_t>>> body_span(impls_.size());  // words [from, to)
  std::vector<std::vector<size_t>> body_at(impls_.size());  // word offset of each generated body, or SIZE_MAX
  call_targets_.resize(impls_.size());
  nested_.resize(impls_.size());
  for (unsigned i = 0; i < impls_.size(); ++i) {
    const ImplementationSpec& impl = impls_[i];
    if (impl.methods.size() > kMaxMethods)
      throw BuildError(fmt::format("implementation {} has more than {} methods", impl.name, kMaxMethods));
    // One reference slot per nested call site, in method then call order.
    unsigned nrefs = 0;
    for (const MethodSpec& m : impl.methods) nrefs += static_cast<unsigned>(m.calls.size());
    const RepLayout layout = RepLayout::make(impl.state_bytes, nrefs, p_.line_bytes);
    unsigned ref = 0;
    for (const MethodSpec& m : impl.methods) {
      if (!m.symbol.empty()) {
        body_at[i].push_back(SIZE_MAX);
        body_span[i].emplace_back(0, 0);
        continue;
      }
      BodyPlan plan{&m, layout, p_.line_bytes, {}, -1, kIoWait, kPreemptCheck};
      preempt_regions_ |= m.disables == MethodSpec::Disables::Preemption;
      for (const CallSite& c : m.calls) {
        const unsigned g = group_index(groups_, c.object);
        call_targets_[i].push_back(g);
        if (gates_[g].direct_sites)
          throw BuildError(fmt::format("implementations.{}.methods.{}: a nested call to {}, whose calls are bound "
                                       "directly (only top-level calls can be)", impl.name, m.name, c.object));
        const CallGate* gate = gates_[g].enter.empty() && gates_[g].leave.empty() ? nullptr : &gates_[g];
        plan.calls.push_back({ref++, method_index(impls_[groups_[g].impl], c.method), c.count, gate});
      }
      if (m.io.probability > 0) {
        plan.io_point = static_cast<int>(io_points_.size());
        io_points_.push_back(m.io);
      }
      body_at[i].push_back(code.size());
      for (uint32_t w : generate_method(plan)) code.push_back(w);
      body_span[i].emplace_back(body_at[i].back(), code.size());
    }
  }
  const size_t start_at = code.size();
  for (uint32_t w : thread_start_code()) code.push_back(w);
  const size_t exit_at = code.size();
  for (uint32_t w : thread_exit_code(kExited)) code.push_back(w);
  const size_t switch_at = code.size();
  const ContextSwitchCode cs = context_switch_code(kSwitched);
  code.insert(code.end(), cs.words.begin(), cs.words.end());
  const uint64_t at = heap_.allocate("os.code", 4 * code.size());
  for (size_t k = 0; k < code.size(); ++k) heap_.memory().store<uint32_t>(at + 4 * k, code[k]);
  request_loop_ = at;
  loop_end_ = at + 4 * loop_end;
  gated_call_.assign(groups_.size(), 0);
  for (unsigned g = 0; g < groups_.size(); ++g)
    if (gated_at[g]) gated_call_[g] = at + 4 * gated_at[g];
  system_loop_ = at + 4 * system_loop_at;
  switch_code_ = at + 4 * switch_at;
  start_code_ = at + 4 * start_at;
  exit_code_ = at + 4 * exit_at;
  switch_load_ = switch_code_ + cs.load_offset;
  code_ranges_.resize(impls_.size());
  // Vtables as wide as the widest interface an object has, when an event adds methods; else each its own.
  size_t vtable_slots = 0;
  for (const ObjectGroup& g : groups_)
    if (g.interface != g.impl) vtable_slots = std::max(vtable_slots, impls_[g.interface].methods.size());
  if (vtable_slots)
    missing_method_ = add_host_calls(static_cast<unsigned>(vtable_slots),
                                     [this](ppc::Hart& h, unsigned m) { return on_missing_method(h, m); });
  for (unsigned i = 0; i < impls_.size(); ++i) {
    const ImplementationSpec& impl = impls_[i];
    // Slots past its own methods (an object may move to a version that adds methods): the missing-method entries.
    const uint64_t vt = heap_.allocate(impl.name + ".vtable", 8 * std::max<size_t>(impl.methods.size(), vtable_slots));
    for (size_t m = impl.methods.size(); m < vtable_slots; ++m)
      heap_.memory().store<uint64_t>(vt + 8 * m, missing_method_ + 4 * m);
    for (unsigned m = 0; m < impl.methods.size(); ++m) {
      uint64_t entry = at + 4 * body_at[i][m];
      const MethodSpec& spec = impl.methods[m];
      CodeRange range{entry, at + 4 * body_span[i][m].second, !spec.calls.empty() || spec.io.probability > 0};
      if (body_at[i][m] == SIZE_MAX) {
        const ppc::Symbol* s = program ? program->symbols.lookup(impl.methods[m].symbol) : nullptr;
        if (!s || s->data)
          throw BuildError(fmt::format("implementations.{}.methods.{}.symbol: {} has no function '{}'", impl.name,
                                       impl.methods[m].name, os.guest_elf, impl.methods[m].symbol));
        entry = s->addr;
        range = {s->addr, s->addr + std::max<uint64_t>(s->size, 4), false};  // compiled: `this` not tracked
      }
      heap_.memory().store<uint64_t>(vt + 8 * m, entry);
      code_ranges_[i].push_back(range);
    }
    vtables_.push_back(vt);
  }
  // What one top-level call executes through nested calls, by (group, method), in call order.
  std::function<void(unsigned, unsigned, int, std::vector<NestedExec>&)> expand =
      [&](unsigned impl, unsigned m, int parent, std::vector<NestedExec>& out) {
        for (const CallSite& c : impls_[impl].methods[m].calls) {
          const unsigned g = group_index(groups_, c.object);
          const unsigned cm = method_index(impls_[groups_[g].impl], c.method);
          for (uint32_t k = 0; k < c.count; ++k) {
            out.push_back({g, cm, parent});
            expand(groups_[g].impl, cm, static_cast<int>(out.size() - 1), out);
          }
        }
      };
  for (unsigned i = 0; i < impls_.size(); ++i) {
    nested_[i].resize(std::max(impls_[i].methods.size(), vtable_slots));  // a missing method nests nothing
    for (unsigned m = 0; m < impls_[i].methods.size(); ++m) expand(i, m, -1, nested_[i][m]);
  }
}

// Each instance: shared state, a root (shared or per-CPU reps) with its
// nested-call references, and a place in its class's factory.
void OsKernel::build_objects() {
  for (const ImplementationSpec& impl : impls_) {
    const std::string& cls = impl.class_name.empty() ? impl.name : impl.class_name;
    if (std::none_of(factories_.begin(), factories_.end(), [&](const Factory& f) { return f.class_name() == cls; })) {
      unsigned capacity = 0;
      for (const ObjectGroup& g : groups_)
        if ((impls_[g.impl].class_name.empty() ? impls_[g.impl].name : impls_[g.impl].class_name) == cls)
          capacity += g.count;
      factories_.emplace_back(heap_, cls, impl.version, std::max(capacity, 1u) + 64);
    }
  }
  for (unsigned g = 0; g < groups_.size(); ++g) {
    const ObjectGroup& grp = groups_[g];
    const ImplementationSpec& impl = impls_[grp.impl];
    const std::string& cls = impl.class_name.empty() ? impl.name : impl.class_name;
    Factory& factory = *std::find_if(factories_.begin(), factories_.end(), [&](const Factory& f) { return f.class_name() == cls; });
    for (unsigned i = 0; i < grp.count; ++i) {
      const std::string name = grp.count == 1 ? grp.name : fmt::format("{}[{}]", grp.name, i);
      instance_impl_.push_back(grp.impl);
      if (i >= grp.initial) {  // a free slot of a group with lifetimes: its COID and entries, no instance yet
        com_->create(name, impl.root, RepTemplate{vtables_[grp.impl], 0, 16, 16, {}, {}, true});
        heap_.memory().store<uint64_t>(com_->tables().gtt_entry(grp.first + i), 0);
        continue;
      }
      const unsigned coid = com_->create(name, impl.root, rep_template(grp.first + i, grp.impl));
      factory.add(coid);
    }
  }
  served_.assign(com_->tables().capacity(), 0);
  // Object lifetimes (lifetimes.cpp): which instances live, each group's live list and free COID pool.
  alive_.assign(com_->tables().capacity(), 0);
  pinned_.assign(com_->tables().capacity(), 0);
  incarnation_.assign(com_->tables().capacity(), 0);
  life_.resize(groups_.size());
  for (unsigned g = 0; g < groups_.size(); ++g) {
    const ObjectGroup& grp = groups_[g];
    lifetimes_ = lifetimes_ || grp.initial < grp.count;
    for (unsigned i = 0; i < grp.count; ++i) {
      if (i < grp.initial) life_[g].live.push_back(i), alive_[grp.first + i] = 1;
      else life_[g].free.insert(i);
    }
    live_counts_.push_back(grp.initial);
    if (grp.grace_period && !quiescent_lines_)  // a line per CPU for its quiescent-state reports
      quiescent_lines_ = heap_.allocate("os.quiescent_states", uint64_t{p_.cpus} * p_.line_bytes, p_.line_bytes);
  }
}

// Groups whose gate binds calls directly: each instance's one rep is made now
// and each of its methods gets the gate's number of call sites.
void OsKernel::build_direct_sites() {
  direct_sites_.resize(com_->tables().capacity());
  size_t words = 0;
  for (unsigned g = 0; g < groups_.size(); ++g)
    words += size_t{gates_[g].direct_sites} * groups_[g].count * impls_[groups_[g].impl].methods.size() * kDirectSiteWords;
  if (!words) return;
  sites_begin_ = heap_.allocate("os.callsites", 4 * words);
  sites_end_ = sites_begin_ + 4 * words;
  uint64_t at = sites_begin_;
  for (unsigned g = 0; g < groups_.size(); ++g) {
    const ObjectGroup& grp = groups_[g];
    if (!gates_[g].direct_sites) continue;
    const ImplementationSpec& impl = impls_[grp.impl];
    if (impl.root != RootKind::Shared)
      throw BuildError(fmt::format("objects.{}: calls bound directly need a shared root (one rep to branch to)", grp.name));
    for (unsigned i = 0; i < grp.count; ++i) {
      const unsigned coid = grp.first + i;
      const uint64_t rep = com_->root(coid).rep_for(0, heap_);
      for (unsigned m = 0; m < impl.methods.size(); ++m)
        for (unsigned k = 0; k < gates_[g].direct_sites; ++k, at += 4 * kDirectSiteWords) {
          const uint64_t entry = heap_.memory().load<uint64_t>(vtables_[grp.impl] + 8 * m);
          std::vector<uint32_t> w;
          try {
            w = os::direct_site(at, rep, entry, request_loop_);
          } catch (const std::invalid_argument& e) {
            throw BuildError(fmt::format("objects.{}: {}", grp.name, e.what()));
          }
          for (size_t x = 0; x < w.size(); ++x) heap_.memory().store<uint32_t>(at + 4 * x, w[x]);
          direct_sites_[coid].push_back({at, m});
        }
    }
  }
}

// The reps instance `coid` gets as implementation `impl`: a fresh shared
// state, the nested-call references of that instance, the statistics region.
RepTemplate OsKernel::rep_template(unsigned coid, unsigned impl_index, ppc::Hart* h, bool defer_pay) {
  const unsigned g = group_of(coid);
  const ObjectGroup& grp = groups_[g];
  const ImplementationSpec& impl = impls_[impl_index];
  const unsigned i = coid - grp.first;
  const RepLayout layout =
      RepLayout::make(impl.state_bytes, static_cast<unsigned>(call_targets_[impl_index].size()), p_.line_bytes);
  RepTemplate t;
  t.vtable = vtables_[impl_index];
  t.shared = heap_.allocate_block(h, h ? h->id() : 0, grp.count == 1 ? grp.name + ".shared" : grp.name + "[].shared",
                                  std::max<uint64_t>(8, impl.shared_state_bytes), defer_pay);
  t.bytes = layout.bytes;
  t.refs_offset = layout.refs;
  for (unsigned target : call_targets_[impl_index]) {
    const ObjectGroup& callee = groups_[target];
    t.refs.push_back(uint64_t{callee.first + i % callee.count} * TranslationTable::kLttEntryBytes);
  }
  t.region = grp.count == 1 ? grp.name + ".rep" : grp.name + "[].rep";
  return t;
}

unsigned OsKernel::group_of(unsigned coid) const {
  auto it = std::upper_bound(groups_.begin(), groups_.end(), coid,
                             [](unsigned c, const ObjectGroup& g) { return c < g.first; });
  return static_cast<unsigned>(it - groups_.begin()) - 1;
}

// Per CPU: thread descriptors, stacks, the run queue and the generation count.
void OsKernel::build_threads(const OsConfig& os) {
  const unsigned n = os.max_threads_per_cpu;
  const uint64_t stack = uint64_t{os.stack_kib} << 10;
  cpus_.resize(p_.cpus);
  stats_.cpu.resize(p_.cpus);
  for (unsigned c = 0; c < p_.cpus; ++c) {
    CpuState& cs = cpus_[c];
    const uint64_t desc = heap_.allocate(fmt::format("threads.cpu{}", c), uint64_t{n} * os.descriptor_bytes);
    const uint64_t stacks = heap_.allocate(fmt::format("stacks.cpu{}", c), n * stack, 16);
    cs.runq_addr = heap_.allocate(fmt::format("runqueue.cpu{}", c), 16 + 8 * uint64_t{n});
    cs.gen = std::make_unique<GenerationCount>(heap_, c);
    // The idle loop's context, as the switch loads it when the CPU has nothing to run: interrupts off.
    cs.idle_desc = heap_.allocate(fmt::format("threads.cpu{}.idle", c), os.descriptor_bytes);
    cs.tasks = heap_.allocate(fmt::format("tasks.cpu{}", c), 8);
    heap_.memory().store<uint64_t>(cs.idle_desc + kDescPc, kIdle);
    heap_.memory().store<uint64_t>(cs.idle_desc + kDescMsr, ppc::kMsrSF);
    for (unsigned k = 0; k < n; ++k) {
      Thread t;
      t.id = static_cast<unsigned>(threads_.size());
      t.cpu = c;
      t.descriptor = desc + uint64_t{k} * os.descriptor_bytes;
      t.stack_top = stacks + (k + 1) * stack - kFrameBytes;
      threads_.push_back(t);
    }
    for (unsigned k = n; k-- > 0;) cs.free.push_back(c * n + k);  // lowest id first
  }
}

void OsKernel::start_workloads(uint64_t seed) {
  for (unsigned c = 0; c < p_.cpus; ++c) cpus_[c].rng = Rng(Rng::derive(seed, c));
  for (unsigned w = 0; w < workloads_.size(); ++w) {
    const Workload& wl = workloads_[w];
    const WorkloadSpec& s = wl.spec();
    for (unsigned c : s.cpus) {
      if (c >= p_.cpus) throw BuildError(fmt::format("workload {} uses cpu {} of {}", s.name, c, p_.cpus));
      if (wl.start() >= wl.stop()) continue;
      switch (s.kind) {
        case WorkloadKind::Closed:
          for (unsigned k = 0; k < s.threads; ++k) post(c, wl.start(), EventKind::ClientRequest, w, k);
          break;
        case WorkloadKind::Open:  // the first arrival, like every later one, only before the stop
          if (const uint64_t first = wl.start() + wl.interarrival(cpus_[c].rng); first < wl.stop())
            post(c, first, EventKind::Arrival, w);
          break;
        case WorkloadKind::LongLived:
          for (unsigned k = 0; k < s.threads; ++k) post(c, wl.start(), EventKind::LongLivedStart, w, k);
          break;
      }
    }
  }
}

uint64_t OsKernel::cycles(double us) const {
  if (!std::isfinite(us)) return ~uint64_t{0};
  return static_cast<uint64_t>(std::llround(us * p_.clock_hz / 1e6));
}

}  // namespace quiesce::os
