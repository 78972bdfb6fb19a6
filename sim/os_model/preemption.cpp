// Preemptive scheduling (os.scheduler.policy: preemptive). Each CPU's decrementer is set to the end of
// the running thread's time slice or the CPU's next timed event (a wake-up, an arrival), whichever is
// first. The interrupt runs guest code: the vector's entry saves the volatile registers in the CPU's
// save area (SPRG0 points at it, SPRG1 keeps r3) and enters the kernel; the kernel handles the due
// events, the token and the hooks, as at any kernel entry, then either returns through the guest exit
// path (restore, rfid) or preempts: the interrupted thread's registers go to its descriptor, it joins
// the run queue's tail, and the best runnable thread runs. A thread is preempted by a runnable thread
// of higher priority at once, and by one of equal priority when its slice is over (round robin).
// Under run_to_completion there is no timer and no preemption: when a swap stops the world (the request
// is an IPI) or a device interrupts (os.interrupts), the vectors and save areas exist and threads run
// with MSR[EE] on, and an interrupt always returns to the thread it interrupted. Otherwise none of this
// exists and memory stays laid out as before.
#include <algorithm>

#include <fmt/format.h>

#include "cpu_ppc64/assembler.h"
#include "cpu_ppc64/encoder.h"
#include "os_model/host_access.h"
#include "os_model/os_kernel.h"
#include "os_model/thread_descriptor.h"

namespace quiesce::os {

using ppc::HartAction;
namespace enc = ppc::enc;

namespace {
// The save area: r0, r4..r12, LR, CR, CTR, XER (r3 is in SPRG1).
constexpr unsigned kSaveR0 = 0, kSaveR4 = 8, kSaveLr = 80, kSaveCr = 88, kSaveCtr = 96, kSaveXer = 104;
constexpr unsigned kSaveBytes = 112;
constexpr uint64_t kVectorsBytes = 0xa00;  // up to the last vector's entry; the exit path follows

std::vector<uint32_t> interrupt_entry() {
  std::vector<uint32_t> w = {enc::mtsprg(1, 3), enc::mfsprg(3, 0), enc::std_(0, kSaveR0, 3)};
  for (unsigned r = 4; r <= 12; ++r) w.push_back(enc::std_(r, kSaveR4 + 8 * (r - 4), 3));
  const std::pair<uint32_t, unsigned> spr[] = {
      {enc::mflr(4), kSaveLr}, {enc::mfcr(4), kSaveCr}, {enc::mfctr(4), kSaveCtr}, {enc::mfxer(4), kSaveXer}};
  for (const auto& [move, at] : spr) w.push_back(move), w.push_back(enc::std_(4, at, 3));
  w.push_back(enc::ba(OsKernel::kInterrupt));
  return w;
}

std::vector<uint32_t> interrupt_exit() {
  std::vector<uint32_t> w = {enc::mfsprg(3, 0)};
  const std::pair<uint32_t, unsigned> spr[] = {
      {enc::mtlr(4), kSaveLr}, {enc::mtcr(4), kSaveCr}, {enc::mtctr(4), kSaveCtr}, {enc::mtxer(4), kSaveXer}};
  for (const auto& [move, at] : spr) w.push_back(enc::ld(4, at, 3)), w.push_back(move);
  w.push_back(enc::ld(0, kSaveR0, 3));
  for (unsigned r = 4; r <= 12; ++r) w.push_back(enc::ld(r, kSaveR4 + 8 * (r - 4), 3));
  w.push_back(enc::mfsprg(3, 1));
  w.push_back(enc::rfid());
  return w;
}
}  // namespace

void OsKernel::build_vectors() {
  const std::vector<uint32_t> entry = interrupt_entry(), exit = interrupt_exit();
  std::vector<uint32_t> code(kVectorsBytes / 4 + 2 * exit.size(), enc::trap());  // a stray vector traps
  for (const uint64_t v : {ppc::kVectorExternal, ppc::kVectorDecrementer})
    std::copy(entry.begin(), entry.end(), code.begin() + static_cast<std::ptrdiff_t>(v / 4));
  std::copy(exit.begin(), exit.end(), code.begin() + kVectorsBytes / 4);
  vector_base_ = heap_.allocate("os.vectors", 4 * code.size());
  interrupt_return_ = vector_base_ + kVectorsBytes;
  // A preemption's way out: the same restore, then the context switch instead of rfid.
  preempt_exit_ = interrupt_return_ + 4 * exit.size();
  std::copy(exit.begin(), exit.end() - 1, code.begin() + kVectorsBytes / 4 + static_cast<std::ptrdiff_t>(exit.size()));
  enc::Assembler to_switch(preempt_exit_ + 4 * (exit.size() - 1));
  to_switch.b_to(switch_code_);
  code[kVectorsBytes / 4 + 2 * exit.size() - 1] = to_switch.take().front();
  for (size_t k = 0; k < code.size(); ++k) heap_.memory().store<uint32_t>(vector_base_ + 4 * k, code[k]);
  for (unsigned c = 0; c < cpus_.size(); ++c) cpus_[c].save_area = heap_.allocate(fmt::format("os.save_area.{}", c), kSaveBytes);
}

void OsKernel::arm_timer(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  c.timer_at = c.slice_end;
  if (!c.events.empty()) c.timer_at = std::min(c.timer_at, c.events.top().time);
  // DEC reads 0 one cycle before the interrupt becomes pending; a stale pending tick is forgotten.
  const uint64_t now = h.cycle();
  h.set_decrementer(static_cast<uint32_t>(std::min<uint64_t>(c.timer_at > now ? c.timer_at - now - 1 : 0, 0x7fffffff)));
}

void OsKernel::post_timer(unsigned cpu, uint64_t time) {
  CpuState& c = cpus_[cpu];
  if (c.current < 0 || time >= c.timer_at || cpu >= harts_.size() || !harts_[cpu]) return;  // idle: it looks itself
  arm_timer(*harts_[cpu]);
}

ppc::ArchState OsKernel::interrupted(ppc::Hart& h) {
  ppc::ArchState s = h.state();
  const uint64_t area = cpus_[h.id()].save_area;
  auto& m = heap_.memory();
  s.gpr[0] = m.load<uint64_t>(area + kSaveR0);
  s.gpr[3] = s.sprg[1];
  for (unsigned r = 4; r <= 12; ++r) s.gpr[r] = m.load<uint64_t>(area + kSaveR4 + 8 * (r - 4));
  s.lr = m.load<uint64_t>(area + kSaveLr);
  s.cr = static_cast<uint32_t>(m.load<uint64_t>(area + kSaveCr));
  s.ctr = m.load<uint64_t>(area + kSaveCtr);
  s.set_xer(m.load<uint64_t>(area + kSaveXer));
  s.pc = s.srr0;
  s.msr = s.srr1 | ppc::kMsrSF;
  return s;
}

HartAction OsKernel::on_interrupt(ppc::Hart& h) {
  ++stats_.cpu[h.id()].interrupts;
  kernel_entry(h);  // due events (wake-ups), the token, the hooks
  if (device_due(h.id(), h.cycle())) return start_handler(h);  // which ends in interrupt_tail
  return interrupt_tail(h);
}

HartAction OsKernel::interrupt_tail(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  Thread* t = current(h.id());
  const uint64_t now = h.cycle();
  if (t) t->in_interrupt = false;
  if (!preemptive()) {  // run_to_completion: the interrupted thread (or idle loop) goes on, whatever is queued
    h.state().pc = interrupt_return_;
    return HartAction::Continue;
  }
  if (t) {
    const auto best = std::max_element(c.runq.begin(), c.runq.end(), [&](unsigned a, unsigned b) {
      return threads_[a].priority < threads_[b].priority;  // the first of the highest
    });
    const bool over = now >= c.slice_end;
    if (best != c.runq.end() && (threads_[*best].priority > t->priority || (over && threads_[*best].priority == t->priority)) &&
        !(preempt_regions_ && preemption_owed(h, *t))) {
      t->regs = interrupted(h);
      c.save_tid = static_cast<int>(t->id);  // the switch saves it, after the return path restored it
      return preempt(h, *t, true);
    }
    if (over) c.slice_end = now + cycles(os_.scheduler.tick_us);  // (one owed is taken at the region's end)
  }
  h.state().pc = interrupt_return_;
  arm_timer(h);
  return HartAction::Continue;
}

bool OsKernel::preemption_owed(ppc::Hart& h, Thread& t) {
  if (host_load(h, t.descriptor + kDescPreempt) == 0) return false;
  if (!t.resched_owed) host_store(h, t.descriptor + kDescResched, 1), t.resched_owed = true;
  return true;
}

// preempt_enable's slow path: the count is back to 0 and the kernel wanted the thread meanwhile. A
// stop_machine that waited was taken at this entry already (dispatch_host_call); a preemption is taken
// here if one is still due, as at an interrupt but from a kernel entry: the thread resumes after the call.
HartAction OsKernel::on_preempt_check(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  auto& s = h.state();
  s.pc = s.lr;
  Thread* t = current(h.id());
  if (!t || c.in_handler) return HartAction::Continue;
  host_store(h, t->descriptor + kDescResched, 0);
  t->resched_owed = false;
  if (!preemptive()) return HartAction::Continue;
  // The kernel wanted to preempt it (a higher priority woke, or its slice ended): one of at least its
  // priority takes the CPU.
  const auto best = std::max_element(c.runq.begin(), c.runq.end(), [&](unsigned a, unsigned b) {
    return threads_[a].priority < threads_[b].priority;
  });
  if (best == c.runq.end() || threads_[*best].priority < t->priority) return HartAction::Continue;
  save_current(h, *t);  // resumes after the call, mid-method: a walk treats it as interrupted
  return preempt(h, *t, false);
}

// The running thread, its registers recorded (save_tid set), leaves its CPU part-way through its code
// for the run queue's tail; the best runnable thread comes in.
HartAction OsKernel::preempt(ppc::Hart& h, Thread& t, bool from_interrupt) {
  CpuState& c = cpus_[h.id()];
  const uint64_t now = h.cycle();
  if (!t.desc_interrupted) host_store(h, t.descriptor + kDescInterrupted, 1), t.desc_interrupted = true;
  t.state = ThreadState::Runnable;
  t.preempted = true;
  t.runnable_since = now;
  c.current = -1;
  if (observer_) observer_->thread_off(h.id(), t, now);
  if (now < end_cycles_) ++stats_.cpu[h.id()].preemptions;
  runq_push(h, t.id);
  dispatch(h, from_interrupt);
  return HartAction::Continue;
}

}  // namespace quiesce::os
