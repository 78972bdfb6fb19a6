// Devices and their interrupt handlers (the `devices:` section). A device's line rises at times drawn
// per stream (Poisson or periodic); the CPU takes the external interrupt as soon as its MSR[EE]
// allows, through the same vector entry as every interrupt (guest code: the volatile registers into
// the CPU's save area). The handler then runs in interrupt context, interrupts off:
//  - as the CPU's interrupt thread, so that whatever keys on the running thread (a mediator's hash
//    table and marks, a gate's slow path) sees one identity, and the interrupted thread keeps its own
//    state (it stays "in interrupt", its registers as the entry saved them);
//  - on the CPU's interrupt stack (Linux's hardirq stack); the non-volatile registers the entry does
//    not save and the call paths change (r1, r2, r13, r31) are kept at its top and restored at the end;
//  - its calls through the request loop's own call paths (the DREF, a gate, a direct call site), so
//    their cycles and memory traffic come from executing them; each returns to the loop's kernel
//    entry, where the next call starts or the handler ends and the interrupt returns (rfid).
// Interrupt context may not block: a handler call that would (a mediator's Block phase, a closed
// gate) stops the run with a report; one that may wait for I/O is refused by the scenario reader.
// A handler counts in its CPU's current generation while it runs, like a thread: a K42 swap waits
// for it. A CPU is never stopped in the middle of a handler (its interrupts are off): a stack walk
// sees only interrupted threads' frames.
#include <algorithm>

#include <fmt/format.h>

#include "os_model/host_access.h"
#include "os_model/method_codegen.h"
#include "os_model/rep_layout.h"
#include "os_model/os_kernel.h"
#include "os_model/translation_table.h"

namespace quiesce::os {

using ppc::HartAction;

namespace {
// The interrupted context's r1, r2, r13 and r31, kept above the handler's frame (which starts a frame
// lower: the calls may write their caller's frame header and parameter save area).
constexpr unsigned kSaved[] = {1, 2, 13, 31};
constexpr unsigned kSavedAt = 64;
}  // namespace

void OsKernel::raise_next(unsigned device, unsigned stream, uint64_t after) {
  DeviceState& d = devices_[device];
  const DeviceSpec& s = device_specs_[device];
  const uint64_t gap = s.arrival == DeviceArrival::Periodic
                           ? d.mean
                           : std::max<uint64_t>(1, static_cast<uint64_t>(d.streams[stream].exponential(
                                                       static_cast<double>(d.mean))));
  const uint64_t time = after + gap;
  if (time >= d.stop) return;
  unsigned cpu;
  if (s.routing == DeviceRouting::PerCpu) {
    cpu = s.cpus[stream];
  } else {
    cpu = s.cpus[d.next_cpu];
    d.next_cpu = (d.next_cpu + 1) % static_cast<unsigned>(s.cpus.size());
  }
  cpus_[cpu].irqs.emplace(time, device, stream);
  if (cpu < harts_.size() && harts_[cpu]) harts_[cpu]->post_external_at(time);
}

bool OsKernel::device_due(unsigned cpu, uint64_t now) const {
  const CpuState& c = cpus_[cpu];
  return !c.irqs.empty() && std::get<0>(c.irqs.top()) <= now;
}

HartAction OsKernel::start_handler(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  const auto [raised, device, stream] = c.irqs.top();
  c.irqs.pop();
  if (!c.irqs.empty()) h.post_external_at(std::get<0>(c.irqs.top()));  // taken after this one's rfid
  raise_next(device, stream, raised);
  const uint64_t now = h.cycle();
  if (now < end_cycles_) {
    ++stats_.devices[device].interrupts;
    stats_.devices[device].latency.add(now - raised);
  }
  c.in_handler = true;
  c.handler_device = device;
  c.handler_next = 0;
  c.handler_began = now;
  c.handler_interrupted = c.current;
  Thread& irq = threads_[c.irq_tid];
  if (Thread* t = current(h.id()); t && observer_) observer_->thread_off(h.id(), *t, now);
  c.current = static_cast<int>(irq.id);
  irq.state = ThreadState::Running;
  irq.generation = c.gen->enter(h);
  irq.counted = true;
  irq.calls_left = static_cast<uint32_t>(devices_[device].calls.size());
  if (observer_) observer_->thread_on(h.id(), irq, now);
  auto& r = h.state().gpr;
  for (unsigned k = 0; k < std::size(kSaved); ++k) host_store(h, irq.stack_top + kSavedAt + 8 * k, r[kSaved[k]]);
  r[1] = irq.stack_top - kFrameBytes;
  host_store(h, r[1], 0);  // the back chain ends here
  r[2] = toc_;  // as a thread has them (an idle CPU's context has neither)
  r[13] = com_->tables().ltt_base(h.id());
  return handler_step(h);
}

HartAction OsKernel::handler_step(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  Thread& irq = threads_[c.irq_tid];
  DeviceStats& ds = stats_.devices[c.handler_device];
  const uint64_t now = h.cycle();
  if (irq.in_call) {
    irq.in_call = false;
    if (observer_) observer_->call_end(h.id(), irq, now);
    count_served(irq);
    if (now < end_cycles_) ++ds.calls;
  }
  const auto& calls = devices_[c.handler_device].calls;
  if (c.handler_next < calls.size()) {
    const auto [group, method] = calls[c.handler_next++];
    const ObjectGroup& g = groups_[group];
    const unsigned instance = static_cast<unsigned>(c.irq_rng.next() % g.count);
    auto& r = h.state().gpr;
    r[kCallOffsetRegister] = uint64_t{g.first + instance} * TranslationTable::kLttEntryBytes;
    r[kCallMethodRegister] = uint64_t{method} * 8;
    r[4] = ++call_seq_;
    irq.in_call = true;
    irq.call_group = group;
    irq.call_method = method;
    irq.call_coid = g.first + instance;
    irq.call_impl = instance_impl_[irq.call_coid];
    irq.call_start = now;
    irq.call_holds = 0, irq.call_held_cycles = 0;
    --irq.calls_left;
    if (observer_) observer_->call_begin(h.id(), irq, now);
    // Where a thread's call of it would start: the group's gated call, a direct call site, or the
    // loop's DREF (just after the loop's kernel entry); each ends back at that entry.
    if (gated_call_[group]) h.state().pc = gated_call_[group];
    else if (const auto& sites = direct_sites_[irq.call_coid]; !sites.empty())
      h.state().pc = sites[method * gates_[group].direct_sites + static_cast<unsigned>(call_seq_ % gates_[group].direct_sites)].addr;
    else h.state().pc = request_loop_ + 4;
    return HartAction::Continue;
  }
  // The handler's end: out of its generation, the interrupted context back, then the interrupt's return.
  c.gen->leave(h, irq.generation);
  irq.counted = false;
  irq.state = ThreadState::Free;
  if (observer_) observer_->thread_off(h.id(), irq, now);
  auto& r = h.state().gpr;
  for (unsigned k = 0; k < std::size(kSaved); ++k) r[kSaved[k]] = host_load(h, irq.stack_top + kSavedAt + 8 * k);
  c.in_handler = false;
  c.current = c.handler_interrupted;
  if (Thread* t = current(h.id()); t && observer_) observer_->thread_on(h.id(), *t, now);
  if (now < end_cycles_) ds.handler_cycles.add(now - c.handler_began);
  return interrupt_tail(h);
}

HartAction OsKernel::refuse_block(ppc::Hart& h, const char* why) {
  const CpuState& c = cpus_[h.id()];
  const Thread& irq = threads_[c.irq_tid];
  const ImplementationSpec& impl = impls_[irq.call_impl];
  stop_run(fmt::format("cpu {} at cycle {}: device {}'s interrupt handler, calling {}.{} ({}), would block ({}); "
                       "a call in interrupt context may not block",
                       h.id(), h.cycle(), device_specs_[c.handler_device].name, groups_[irq.call_group].name,
                       impl.methods[irq.call_method].name, impl.name, why));
  return HartAction::Exit;
}

}  // namespace quiesce::os
