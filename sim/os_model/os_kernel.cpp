// OsKernel at run time: the host-call handlers and the per-CPU scheduler.
// Every step runs on the CPU whose hart entered the kernel, paying cycles and
// memory traffic there (host_access.h).
#include "os_model/os_kernel.h"

#include <algorithm>

#include <fmt/format.h>

#include "os_model/context_switch.h"
#include "os_model/host_access.h"
#include "os_model/method_codegen.h"

namespace quiesce::os {

using ppc::HartAction;

void OsKernel::boot(ppc::Hart& h) {
  if (harts_.size() <= h.id()) harts_.resize(h.id() + 1, nullptr);
  harts_[h.id()] = &h;
  h.state().pc = kIdle;
  if (takes_interrupts()) h.set_vector_base(vector_base_), h.state().sprg[0] = cpus_[h.id()].save_area;
  if (!cpus_[h.id()].irqs.empty()) h.post_external_at(std::get<0>(cpus_[h.id()].irqs.top()));
}

HartAction OsKernel::host_call(ppc::Hart& h, uint64_t pc) {
  // Guest memory for OS structures can run out while running (reps are made
  // on first use): the run stops and reports it as a configuration error.
  try {
    running_cpu_ = static_cast<int>(h.id());
    return dispatch_host_call(h, pc);
  } catch (const GuestHeapExhausted& e) {
    if (out_of_memory_.empty()) out_of_memory_ = e.what();
    h.raise_trap(e.what());
    return HartAction::Fault;
  }
}

HartAction OsKernel::dispatch_host_call(ppc::Hart& h, uint64_t pc) {
  if (!watchdog_.empty()) return HartAction::Exit;  // the watchdog ended the run
  if (pc == kSwitched) return on_switched(h);  // before a stop: the thread's pc is still in SRR0
  if (pc == kExited) return on_exited(h);      // before a stop: the thread is off its task list
  if (pc == kInterrupt)  // first, so that a CPU stopped here shows where its thread was
    if (Thread* t = current(h.id()); t && !t->in_interrupt) t->regs = interrupted(h), t->in_interrupt = true;
  // A handler runs with interrupts off: no stop in the middle of one (its kernel entries are its calls').
  // A stopper thread (ipi 0) cannot run while the thread disables preemption: it stops at the region's end.
  CpuState& cs = cpus_[h.id()];
  const bool deferred = cs.stop_requested && !cs.stopped && cs.stop_machine && preempt_regions_ &&
                        pc != kPreemptCheck && !cs.in_handler && current(h.id()) && preemption_owed(h, *current(h.id()));
  if (CpuState& c = cs; (c.stop_requested || c.stopped) && !c.in_handler && !deferred) {
    if (c.stopped && (!c.stop_requested || c.stopped_epoch != c.stop_epoch)) {  // resumed (and maybe stopped again)
      c.stopped = false;
      if (c.interrupts_before_stop) h.set_interrupts(true);
      if (auto f = std::move(c.on_resumed)) f(h);
    }
    if (c.stop_requested && (c.stopped || c.stop_ipi || pc != kInterrupt)) {
      if (!c.stopped) {
        c.stopped = true;
        c.stopped_epoch = c.stop_epoch;
        // The stopped CPU acknowledges and spins with interrupts off (its thread's MSR back on resume).
        c.interrupts_before_stop = h.set_interrupts(false);
        if (c.stop_ipi && takes_interrupts()) h.clear_external();  // the IPI is answered (whichever entry came first)
        host_load(h, ipi_word(h.id()));  // the request read, and cleared: the line comes back
        host_store(h, ipi_word(h.id()), 0);
        if (auto f = std::move(c.on_stopped)) f(h);
      }
      // Spin here (the same kernel entry runs again) until resumed.
      constexpr uint64_t kStopPoll = 100;
      const uint64_t until = std::max(h.cycle() + 1, std::min(h.budget_end(), h.cycle() + kStopPoll));
      stats_.cpu[h.id()].stopped_cycles += until - h.cycle();
      h.charge(until - h.cycle());
      return HartAction::Continue;
    }
  }
  if (pc - com_->miss_base() < com_->miss_bytes()) return com_->handle_miss(h, pc);
  switch (pc) {
    case kIdle: return on_idle(h);
    case kInterrupt: return on_interrupt(h);
    case kNextCall: return on_next_call(h);
    case kIoWait: return on_io(h);
    case kSystemStep: return on_system_step(h);
    case kPreemptCheck: return on_preempt_check(h);
    default: break;
  }
  uint64_t base = kExtensionCalls;
  for (auto& [count, handler] : extensions_) {
    if (pc - base < 4 * uint64_t{count} && (pc - base) % 4 == 0) return handler(h, static_cast<unsigned>((pc - base) / 4));
    base += 4 * uint64_t{count};
  }
  h.raise_trap("branch into an unused kernel entry");
  return HartAction::Fault;
}

uint64_t OsKernel::add_host_calls(unsigned count, HostCallHandler handler) {
  uint64_t base = kExtensionCalls;
  for (const auto& e : extensions_) base += 4 * uint64_t{e.first};
  if (base + 4 * uint64_t{count} > kHostCallBase + kHostCallBytes)
    throw std::length_error("the host-call window has no room for more kernel entries");
  extensions_.emplace_back(count, std::move(handler));
  return base;
}

void OsKernel::spawn_system_thread(ppc::Hart& h, unsigned cpu, std::string name, SystemBody body) {
  system_bodies_.push_back(std::move(body));
  system_names_.push_back(std::move(name));
  post(cpu, h.cycle(), EventKind::Spawn, static_cast<unsigned>(system_bodies_.size() - 1));
}

void OsKernel::stop_run(std::string report) {
  if (!watchdog_.empty()) return;
  std::vector<std::string> parts;
  for (const auto& f : reporters_) parts.push_back(f());
  watchdog_ = os::watchdog_report(report, parts, watchdog_threads());  // the culprit first (watchdog_report.h)
}

// Every CPU idle with nothing queued and nothing to come, while some thread
// still waits: nobody is left to wake it.
bool OsKernel::deadlocked() const {
  for (const CpuState& c : cpus_)
    if (c.current >= 0 || !c.runq.empty() || !c.events.empty() || !c.backlog.empty() || c.stop_requested) return false;
  return std::any_of(threads_.begin(), threads_.end(), [](const Thread& t) { return t.state == ThreadState::Blocked; });
}

void OsKernel::set_observer(KernelObserver* o) {
  observer_ = o;
  for (unsigned c = 0; c < cpus_.size(); ++c)
    cpus_[c].gen->on_swap(o ? std::function<void(uint64_t)>([o, c](uint64_t cycle) { o->generation_swap(c, cycle); })
                            : std::function<void(uint64_t)>());
}

// An IPI (asked for, or under a preemptive kernel, whose stop_machine stopper preempts at once): an
// external interrupt to `cpu`, which enters the kernel as soon as its MSR[EE] allows (a thread in an
// interrupts-off region delays it) and stops there, interrupts off. Otherwise the CPU stops at its
// next scheduling point: a kernel entry that is not an interrupt (run_to_completion returns from
// those to the thread interrupted). A kernel built without interrupts stops at any kernel entry.
void OsKernel::stop_cpu(ppc::Hart& from, unsigned cpu, bool ipi, std::function<void(ppc::Hart&)> stopped) {
  host_store(from, ipi_word(cpu), 1);  // the request, through the caches: the line moves to the sender
  cpus_[cpu].stop_requested = true;
  cpus_[cpu].stop_ipi = ipi || preemptive();
  cpus_[cpu].stop_machine = !ipi;
  ++cpus_[cpu].stop_epoch;
  cpus_[cpu].on_stopped = std::move(stopped);
  if (cpus_[cpu].stop_ipi && takes_interrupts() && cpu < harts_.size() && harts_[cpu]) harts_[cpu]->post_external();
}

uint64_t OsKernel::ipi_word(unsigned cpu) {
  if (!ipi_words_) ipi_words_ = heap_.allocate("os.ipi", uint64_t{p_.cpus} * p_.line_bytes, p_.line_bytes);
  return ipi_words_ + uint64_t{cpu} * p_.line_bytes;
}

void OsKernel::resume_cpu(unsigned cpu, std::function<void(ppc::Hart&)> resumed) {
  cpus_[cpu].stop_requested = false;
  cpus_[cpu].on_resumed = std::move(resumed);
}

void OsKernel::wake(unsigned tid, uint64_t cycle) { post(threads_[tid].cpu, cycle, EventKind::Wake, tid); }

void OsKernel::redirect(unsigned tid, uint64_t pc, uint64_t r3) {
  Thread& t = threads_[tid];
  t.regs.pc = pc;
  t.regs.gpr[3] = r3;
  // Its descriptor says so at once (a walk reads it; untimed: the caller's CPU is not at hand), and
  // again, timed, when it is next dispatched on its own CPU (in case a switch still saving it wrote
  // over this: the CPU parking it may not have finished its switch in this quantum).
  heap_.memory().store<uint64_t>(t.descriptor + kDescPc, pc);
  heap_.memory().store<uint64_t>(t.descriptor + kDescGpr + 8 * 3, r3);
  t.redirected = true;
}

bool OsKernel::claim_world(unsigned tid) {
  if (world_owner_ >= 0 && world_owner_ != static_cast<int>(tid)) {
    world_waiters_.push_back(tid);
    return false;
  }
  world_owner_ = static_cast<int>(tid);
  return true;
}

void OsKernel::release_world(ppc::Hart& h) {
  world_owner_ = -1;
  if (world_waiters_.empty()) return;
  wake(world_waiters_.front(), h.cycle());
  world_waiters_.erase(world_waiters_.begin());
}

void OsKernel::at(unsigned cpu, uint64_t cycle, std::function<void(ppc::Hart&)> fn) {
  callbacks_.push_back(std::move(fn));
  post(cpu, cycle, EventKind::Callback, static_cast<unsigned>(callbacks_.size() - 1));
}

Thread* OsKernel::current(unsigned cpu) {
  const int c = cpus_[cpu].current;
  return c < 0 ? nullptr : &threads_[static_cast<unsigned>(c)];
}

HartAction OsKernel::park_current(ppc::Hart& h, bool quiescent) {
  CpuState& c = cpus_[h.id()];
  if (c.in_handler) return refuse_block(h, "held by a hot swap");
  Thread& t = threads_[static_cast<unsigned>(c.current)];
  if (quiescent && t.counted) {
    c.gen->leave(h, t.generation);
    t.counted = false;
  }
  save_current(h, t);
  t.state = ThreadState::Blocked;
  c.current = -1;
  if (observer_) observer_->thread_off(h.id(), t, h.cycle());
  return next_or_idle(h);
}

HartAction OsKernel::on_system_step(ppc::Hart& h) {
  Thread* t = current(h.id());
  if (!t || !t->system) {
    h.raise_trap("a system-thread step outside a system thread");
    return HartAction::Fault;
  }
  h.state().pc = h.state().lr;
  switch (system_bodies_[t->system_body](h, *t)) {
    case Step::Again: return HartAction::Continue;
    case Step::Block: return park_current(h, false);
    case Step::Exit: return exit_thread(h, *t);
  }
  return HartAction::Fault;
}

std::string OsKernel::thread_label(const Thread& t) const {
  if (t.irq) return fmt::format("irq.cpu{}", t.cpu);
  return t.system ? system_names_[t.system_body] : workloads_[t.workload].spec().name;
}

unsigned OsKernel::live_threads() const {
  return static_cast<unsigned>(std::count_if(threads_.begin(), threads_.end(),
                                             [](const Thread& t) { return t.state != ThreadState::Free; }));
}

std::vector<std::string> OsKernel::describe_threads() const {
  static const char* const kState[] = {"free", "runnable", "running", "blocked"};
  std::vector<std::string> out;
  for (const Thread& t : threads_) {
    if (t.state == ThreadState::Free) continue;
    const uint64_t pc = t.state == ThreadState::Running && harts_[t.cpu] ? harts_[t.cpu]->state().pc : t.regs.pc;
    std::string extra;
    for (const auto& f : describers_) extra += f(t);
    out.push_back(fmt::format("thread {} cpu {} {} {} pc 0x{:x}{}", t.id, t.cpu, kState[static_cast<unsigned>(t.state)],
                              thread_label(t), pc, extra) +
                  (t.counted ? fmt::format(", holds generation {}", t.generation) : ""));
  }
  return out;
}

void OsKernel::post(unsigned cpu, uint64_t time, EventKind kind, unsigned a, unsigned b) {
  cpus_[cpu].events.push({time, event_seq_++, kind, a, b});
  if (!preemptive()) return;
  // Posted by another CPU to one running a thread: a reschedule IPI (the event is handled, and a woken
  // thread of higher priority takes the CPU, when it is taken); by the CPU itself: its own timer.
  if (running_cpu_ >= 0 && static_cast<unsigned>(running_cpu_) != cpu && cpus_[cpu].current >= 0 &&
      cpu < harts_.size() && harts_[cpu]) {
    harts_[cpu]->post_external_at(time);
    ++stats_.cpu[cpu].wake_ipis;
    return;
  }
  post_timer(cpu, time);
}

const ppc::ArchState& OsKernel::registers(unsigned tid) const {
  const Thread& t = threads_[tid];
  return t.state == ThreadState::Running && !t.in_interrupt ? harts_[t.cpu]->state() : t.regs;
}

// Every entry into the kernel handles the CPU's due events and its part of
// the generation token, as K42 does at its scheduling points.
void OsKernel::kernel_entry(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  run_due_events(h);
  token_->poll(h, *c.gen);
  if (!doomed_.empty()) reap(h);
  for (size_t i = 0; i < hooks_.size(); ++i)  // by index: a hook may add or remove hooks
    if (hooks_[i].first) hooks_[i].second(h);
}

uint64_t OsKernel::add_entry_hook(std::function<void(ppc::Hart&)> fn) {
  hooks_.emplace_back(next_hook_id_, std::move(fn));
  return next_hook_id_++;
}

// Watched code is marked in the cores' shared decode cache (any hart reaches it).
uint64_t OsKernel::watch_code(uint64_t start, uint64_t end, SwapHooks_if::Watcher fn) {
  const uint64_t id = next_hook_id_++;
  watches_.push_back({id, start, end, std::move(fn)});
  harts_.at(0)->watch_code(start, end - start);
  return id;
}

void OsKernel::unwatch_code(uint64_t id) {
  const auto it = std::find_if(watches_.begin(), watches_.end(), [&](const Watch& w) { return w.id == id; });
  if (it == watches_.end()) return;
  harts_.at(0)->unwatch_code(it->start, it->end - it->start);
  watches_.erase(it);
}

void OsKernel::watched(ppc::Hart& h, uint64_t pc) {
  running_cpu_ = static_cast<int>(h.id());
  const Thread* t = current(h.id());
  for (size_t i = 0; i < watches_.size(); ++i)  // by index: a watcher may unwatch
    if (pc >= watches_[i].start && pc < watches_[i].end) watches_[i].fn(h, t, pc);
}

void OsKernel::remove_entry_hook(uint64_t id) {
  for (auto& [hid, fn] : hooks_)
    if (hid == id) hid = 0;  // left in place (a kernel entry may be running the hooks): skipped from now on
}

void OsKernel::run_due_events(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  while (!c.events.empty() && c.events.top().time <= h.cycle()) {
    const Event ev = c.events.top();
    c.events.pop();
    handle(h, ev);
  }
}

void OsKernel::handle(ppc::Hart& h, const Event& ev) {
  CpuState& c = cpus_[h.id()];
  switch (ev.kind) {
    case EventKind::ClientRequest: new_request(h, {ev.a, ev.b, false}); break;
    case EventKind::LongLivedStart: new_request(h, {ev.a, ev.b, true}); break;
    case EventKind::Arrival: {
      new_request(h, {ev.a, 0, false});
      const Workload& w = workloads_[ev.a];
      const uint64_t next = ev.time + w.interarrival(c.rng);
      if (next < w.stop()) post(h.id(), next, EventKind::Arrival, ev.a);
      break;
    }
    case EventKind::Callback: callbacks_[ev.a](h); break;
    case EventKind::Spawn: new_request(h, {0, 0, false, static_cast<int>(ev.a)}); break;
    case EventKind::Wake: {
      Thread& t = threads_[ev.a];
      if (t.state != ThreadState::Blocked) break;  // already woken
      t.state = ThreadState::Runnable;
      t.runnable_since = std::min(ev.time, h.cycle());
      if (!t.system && !t.counted) {  // a quiescent thread (long-lived, or parked at top level) runs again
        t.generation = c.gen->enter(h);
        t.counted = true;
      }
      runq_push(h, t.id);
      break;
    }
  }
}

// The idle loop takes the events posted to its CPU at once (wakes, arrivals, work handed over),
// but looks at the token and runs the entry hooks only every os.idle_poll_cycles, so its memory
// traffic is the modelled loop's and not a function of the simulator's quantum.
HartAction OsKernel::on_idle(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  if (!devices_.empty()) {
    // The idle loop runs with interrupts off; a device's interrupt due is let in (taken at once), and
    // its return brings the loop back here with them on.
    const bool on = (h.state().msr & ppc::kMsrEE) != 0;
    if (device_due(h.id(), h.cycle()) && !c.stop_requested) {
      if (!on) h.set_interrupts(true);
      else h.charge(1);
      return HartAction::Continue;
    }
    if (on) h.set_interrupts(false);
  }
  const bool poll = h.cycle() >= c.next_idle_poll;
  if (poll) {
    kernel_entry(h);
    c.next_idle_poll = h.cycle() + os_.idle_poll_cycles;
  } else {
    run_due_events(h);
  }
  if (!c.runq.empty()) {
    dispatch(h);
    return HartAction::Continue;
  }
  if (!poll) {
    // Deadlocks are judged after a poll: the hooks may have had something to wake.
  } else if (c.events.empty() && deadlocked()) {
    if (saw_deadlock_.empty()) saw_deadlock_.assign(cpus_.size(), false);
    if (!saw_deadlock_[h.id()]) saw_deadlock_[h.id()] = true, ++saw_deadlock_count_;
    if (saw_deadlock_count_ == cpus_.size()) {
      stop_run(fmt::format("deadlock at cycle {} (cpu {}): no CPU has a thread to run or an event to come, and "
                           "threads still wait", h.cycle(), h.id()));
      return HartAction::Exit;
    }
  } else if (saw_deadlock_count_) {
    saw_deadlock_.assign(cpus_.size(), false);
    saw_deadlock_count_ = 0;
  }
  // Nothing to run: idle until the next event, or the end of this quantum
  // (other CPUs may hand this one work, e.g. the token, meanwhile).
  uint64_t until = std::min(h.budget_end(), c.next_idle_poll);
  if (!c.events.empty()) until = std::min(until, c.events.top().time);
  if (!c.irqs.empty()) until = std::min(until, std::get<0>(c.irqs.top()));
  if (until <= h.cycle()) until = h.cycle() + 1;
  stats_.cpu[h.id()].idle_cycles += until - h.cycle();
  h.charge(until - h.cycle());
  return HartAction::Continue;
}

HartAction OsKernel::on_next_call(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  if (c.in_handler) return handler_step(h);  // a device handler's call returned
  if (c.current < 0) {
    h.raise_trap("the request loop ran without a current thread");
    return HartAction::Fault;
  }
  Thread& t = threads_[static_cast<unsigned>(c.current)];
  if (t.in_call) complete_call(h, t);
  kernel_entry(h);
  if (t.calls_left == 0) {
    const Workload& w = workloads_[t.workload];
    if (!t.long_lived || h.cycle() >= w.stop()) {
      return exit_thread(h, t);
    }
    // A long-lived thread's iteration ends: it is quiescent until the next.
    t.calls_left = w.spec().calls_per_request;
    if (w.spec().declares_quiescence && t.counted) {
      c.gen->leave(h, t.generation);
      t.counted = false;
    }
    if (const uint64_t think = w.think(c.rng)) {
      h.state().pc = prepare_call(h, t);
      t.start_on_dispatch = t.in_call;
      block(h, t, think);
      return next_or_idle(h);
    }
    if (!t.counted) {
      t.generation = c.gen->enter(h);
      t.counted = true;
    }
  }
  h.state().pc = prepare_call(h, t);
  if (!t.in_call) return HartAction::Continue;  // a `create` or `destroy` call, done: back to the loop
  t.call_start = h.cycle();
  if (observer_) observer_->call_begin(h.id(), t, h.cycle());
  return HartAction::Continue;
}

HartAction OsKernel::on_missing_method(ppc::Hart& h, unsigned method) {
  Thread* t = current(h.id());
  auto& s = h.state();
  const uint64_t vtable = heap_.memory().load<uint64_t>(s.gpr[3]);  // the rep's first word
  const auto it = std::find(vtables_.begin(), vtables_.end(), vtable);
  if (!t || it == vtables_.end()) {
    h.raise_trap(fmt::format("a call reached the missing-method entry of vtable slot {} outside a thread's call", method));
    return HartAction::Fault;
  }
  t->call_missed = true;
  for (const auto& f : missing_reporters_) f(h, *t, static_cast<unsigned>(it - vtables_.begin()), method, s.gpr[3]);
  s.gpr[3] = 0;
  s.pc = s.lr;
  return HartAction::Continue;
}

HartAction OsKernel::on_io(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  const uint64_t point = h.state().gpr[kIoPointRegister];
  if (c.current < 0 || point >= io_points_.size()) {
    h.raise_trap("I/O wait outside a thread or with an unknown I/O point");
    return HartAction::Fault;
  }
  if (c.in_handler) return refuse_block(h, "an I/O wait");  // the reader refuses these: a guard
  Thread& t = threads_[static_cast<unsigned>(c.current)];
  const IoWait& io = io_points_[point];
  h.charge(os_.io_check_cycles);
  ++stats_.cpu[h.id()].io_points;
  h.state().pc = h.state().lr;
  if (c.rng.uniform() >= io.probability) return HartAction::Continue;
  ++stats_.cpu[h.id()].io_blocks;
  const double mean = io.mean_us * p_.clock_hz / 1e6;
  block(h, t, std::max<uint64_t>(1, static_cast<uint64_t>(io.exponential ? c.rng.exponential(mean) : mean)));
  return next_or_idle(h);
}

// The current thread leaves the CPU (its registers, pc included, are saved).
void OsKernel::block(ppc::Hart& h, Thread& t, uint64_t cycles) {
  CpuState& c = cpus_[h.id()];
  save_current(h, t);
  t.state = ThreadState::Blocked;
  c.current = -1;
  post(h.id(), h.cycle() + cycles, EventKind::Wake, t.id);
  if (observer_) observer_->thread_off(h.id(), t, h.cycle());
}

HartAction OsKernel::next_or_idle(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  c.current = -1;
  kernel_entry(h);
  if (!c.runq.empty()) {
    dispatch(h);
  } else if (c.save_tid >= 0) {
    switch_to(h, c.idle_desc, false);  // the idle context: the idle loop, interrupts off
  } else {
    h.state().pc = kIdle;
    h.state().msr &= ~ppc::kMsrEE;  // the idle loop takes no interrupts (it looks at its events itself)
  }
  return HartAction::Continue;
}

// The thread leaving the CPU in this kernel entry: the kernel's record now, its descriptor when the
// switch runs (it runs before the CPU leaves the kernel: this entry dispatches or idles).
void OsKernel::save_current(ppc::Hart& h, Thread& t) {
  t.regs = h.state();
  cpus_[h.id()].save_tid = static_cast<int>(t.id);
  if (t.desc_interrupted) host_store(h, t.descriptor + kDescInterrupted, 0), t.desc_interrupted = false;
}

// Leaves the kernel through the context switch's guest code, into `incoming`. From an interrupt (a
// preemption) the return path first restores what the interrupt entry saved; SRR0/SRR1 already hold
// where the thread was. Otherwise the saved thread resumes where the kernel's record says.
void OsKernel::switch_to(ppc::Hart& h, uint64_t incoming, bool from_interrupt) {
  CpuState& c = cpus_[h.id()];
  ppc::ArchState& s = h.state();
  s.sprg[2] = c.save_tid >= 0 ? threads_[static_cast<unsigned>(c.save_tid)].descriptor : 0;
  s.sprg[3] = incoming;
  if (from_interrupt) {
    s.pc = preempt_exit_;
  } else {
    if (c.save_tid >= 0) {
      const Thread& out = threads_[static_cast<unsigned>(c.save_tid)];
      s.srr0 = out.regs.pc;
      s.srr1 = out.regs.msr;
    }
    s.msr &= ~ppc::kMsrEE;
    s.pc = c.save_tid >= 0 ? switch_code_ : switch_load_;
  }
  c.save_tid = -1;
}

// The stop handler (a CPU stopping for stop-the-world) saves its thread's registers where a walk reads
// them, and says whether the thread was stopped part-way through its code (an interrupt entry).
void OsKernel::save_registers(ppc::Hart& h, unsigned tid) {
  Thread& t = threads_[tid];
  store_registers(h, t.descriptor, registers(tid));
  // Stopped at preempt_enable's kernel entry (a deferred stop taken there), it is part-way through a method
  // too: a leaf keeps its return address in r11 across that call.
  const bool at_preempt_check = t.state == ThreadState::Running && !t.in_interrupt && h.state().pc == kPreemptCheck;
  const bool mid_code = t.in_interrupt || t.preempted || at_preempt_check;
  if (mid_code != t.desc_interrupted) host_store(h, t.descriptor + kDescInterrupted, mid_code ? 1 : 0);
  t.desc_interrupted = mid_code;
}

// The running system thread calls guest code: `entry` with r3, returning (blr) into the thread's loop,
// whose next step finds the result in r3.
void OsKernel::call_routine(ppc::Hart& h, uint64_t entry, uint64_t r3) {
  ppc::ArchState& s = h.state();
  s.lr = system_loop_;
  s.pc = entry;
  s.gpr[3] = r3;
}

void OsKernel::dispatch(ppc::Hart& h, bool from_interrupt) {
  CpuState& c = cpus_[h.id()];
  const unsigned tid = runq_pop(h);
  h.charge(os_.schedule_cycles);
  Thread& t = threads_[tid];
  if (t.redirected) {  // a held call sent elsewhere while it was parked
    host_store(h, t.descriptor + kDescPc, t.regs.pc);
    host_store(h, t.descriptor + kDescGpr + 8 * 3, t.regs.gpr[3]);
    t.redirected = false;
  }
  if (t.desc_interrupted) host_store(h, t.descriptor + kDescInterrupted, 0), t.desc_interrupted = false;
  // The descriptor is what the switch loads: it must be what the kernel thinks the thread is (unless
  // the thread is the one leaving, saved by this very switch).
  if (c.save_tid != static_cast<int>(tid) && !same_registers(load_registers(h.memory(), t.descriptor), t.regs))
    throw std::logic_error(fmt::format("thread {}'s descriptor at 0x{:x} disagrees with the kernel's record of its "
                                       "registers (cpu {}, cycle {}):{}", tid, t.descriptor, h.id(), h.cycle(),
                                       register_difference(load_registers(h.memory(), t.descriptor), t.regs)));
  t.state = ThreadState::Running;
  t.preempted = false;
  c.current = static_cast<int>(tid);
  switch_to(h, t.descriptor, from_interrupt);
  if (preemptive()) {
    c.slice_end = h.cycle() + cycles(os_.scheduler.tick_us);  // a fresh slice, and the timer for it
    arm_timer(h);
  }
  ++stats_.cpu[h.id()].context_switches;
}

// The switch has loaded the incoming context: it begins (rfid's work, its pc and MSR from SRR0/SRR1).
HartAction OsKernel::on_switched(ppc::Hart& h) {
  h.return_from_interrupt();
  Thread* t = current(h.id());
  if (!t) return HartAction::Continue;  // the idle context
  if (observer_) observer_->thread_on(h.id(), *t, h.cycle());
  if (t->start_on_dispatch) {
    t->call_start = h.cycle();
    t->start_on_dispatch = false;
    if (observer_) observer_->call_begin(h.id(), *t, h.cycle());
  }
  return HartAction::Continue;
}

void OsKernel::new_request(ppc::Hart& h, const Request& r) {
  CpuState& c = cpus_[h.id()];
  if (c.free.empty()) {
    c.backlog.push_back(r);
    ++stats_.cpu[h.id()].backlogged;
    stats_.cpu[h.id()].backlog_peak = std::max<uint64_t>(stats_.cpu[h.id()].backlog_peak, c.backlog.size());
    return;
  }
  create_thread(h, r);
}

// A new thread: descriptor, first stack frame, generation, run queue.
void OsKernel::create_thread(ppc::Hart& h, const Request& r) {
  CpuState& c = cpus_[h.id()];
  const unsigned tid = c.free.back();
  c.free.pop_back();
  Thread& t = threads_[tid];
  t.system = r.system >= 0;
  t.system_body = t.system ? static_cast<unsigned>(r.system) : 0;
  // Its first registers: it starts in the start code (thread_life.h), which links it and enters its loop.
  t.regs = ppc::ArchState{};
  t.regs.pc = start_code_;
  t.regs.gpr[1] = t.stack_top;
  t.regs.gpr[2] = toc_;
  t.regs.gpr[3] = t.descriptor;
  t.regs.gpr[4] = c.tasks;
  t.regs.gpr[5] = t.system ? kDescSystem : kDescThread;
  t.regs.gpr[6] = t.system ? system_loop_ : request_loop_;
  t.regs.gpr[13] = com_->tables().ltt_base(h.id());
  t.counted = !t.system;  // kernel threads never hold a generation back
  if (t.counted) t.generation = c.gen->enter(h);
  t.long_lived = r.long_lived;
  t.workload = r.workload;
  t.client = r.client;
  t.calls_left = t.system ? 0 : workloads_[r.workload].spec().calls_per_request;
  t.in_call = t.start_on_dispatch = t.resched_owed = false;
  t.created = h.cycle();
  t.priority = t.system ? os_.scheduler.system_priority : workloads_[r.workload].spec().priority;
  if (takes_interrupts()) t.regs.gpr[7] = t.regs.msr | ppc::kMsrEE, t.regs.sprg[0] = c.save_area;
  else t.regs.gpr[7] = t.regs.msr;  // the start code runs with interrupts off, then sets r7's EE
  store_registers(h, t.descriptor, t.regs);  // where its first switch loads them from
  t.redirected = t.desc_interrupted = false;
  t.state = ThreadState::Runnable;
  t.runnable_since = h.cycle();
  runq_push(h, tid);
  // Statistics stop at the run's end (a CPU may run past it within a quantum).
  if (const uint64_t win = h.cycle() / stats_.window_cycles; h.cycle() < end_cycles_) {
    ++stats_.cpu[h.id()].threads_created;
    ++stats_.windows[win].threads_created;
  }
}

HartAction OsKernel::exit_thread(ppc::Hart& h, Thread& t) {
  auto& s = h.state();
  s.gpr[3] = t.descriptor;
  s.gpr[4] = cpus_[h.id()].tasks;
  s.pc = exit_code_;
  h.set_interrupts(false);  // the next thread's switch loads its own MSR
  return HartAction::Continue;
}

HartAction OsKernel::on_exited(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  Thread* tp = current(h.id());
  if (!tp) {
    h.raise_trap("a thread's exit code ran without a current thread");
    return HartAction::Fault;
  }
  Thread& t = *tp;
  if (t.counted) c.gen->leave(h, t.generation);
  t.counted = false;
  t.state = ThreadState::Free;
  c.free.push_back(t.id);
  c.current = -1;
  if (observer_) observer_->thread_off(h.id(), t, h.cycle());
  if (h.cycle() < end_cycles_) ++stats_.cpu[h.id()].threads_exited;
  if (t.system) {
    // nothing to re-issue
  } else if (const Workload& w = workloads_[t.workload]; !t.long_lived && w.spec().kind == WorkloadKind::Closed) {
    const uint64_t next = h.cycle() + w.think(c.rng);
    if (next < w.stop()) post(h.id(), next, EventKind::ClientRequest, t.workload, t.client);
  }
  if (!c.backlog.empty()) {
    const Request r = c.backlog.front();
    c.backlog.pop_front();
    create_thread(h, r);
  }
  return next_or_idle(h);
}

// The run queue is a ring of descriptor addresses in guest memory.
void OsKernel::runq_push(ppc::Hart& h, unsigned tid) {
  CpuState& c = cpus_[h.id()];
  const uint64_t tail = host_load(h, c.runq_addr + 8);
  host_store(h, c.runq_addr + 16 + 8 * (tail % os_.max_threads_per_cpu), threads_[tid].descriptor);
  host_store(h, c.runq_addr + 8, tail + 1);
  c.runq.push_back(tid);
  if (observer_) observer_->run_queue(h.id(), tid, c.runq.size(), h.cycle());
}

unsigned OsKernel::runq_pop(ppc::Hart& h) {
  CpuState& c = cpus_[h.id()];
  const uint64_t head = host_load(h, c.runq_addr);
  host_load(h, c.runq_addr + 16 + 8 * (head % os_.max_threads_per_cpu));
  host_store(h, c.runq_addr, head + 1);
  // The first of the highest priority (FIFO within a priority; all equal by default).
  auto it = c.runq.begin();
  for (auto i = c.runq.begin(); i != c.runq.end(); ++i)
    if (threads_[*i].priority > threads_[*it].priority) it = i;
  const unsigned tid = *it;
  c.runq.erase(it);
  if (observer_) observer_->run_queue(h.id(), tid, c.runq.size(), h.cycle());
  return tid;
}

// Loads the next call of the thread's workload into the request loop's registers.
uint64_t OsKernel::prepare_call(ppc::Hart& h, Thread& t) {
  CpuState& c = cpus_[h.id()];
  CallChoice choice = workloads_[t.workload].pick(c.rng, lifetimes_ ? &live_counts_ : nullptr);
  if (choice.method >= kCreateMethod) {  // a `create` or `destroy` call: kernel work; the loop comes back here
    --t.calls_left;
    t.in_call = false;
    lifetime_op(h, choice);
    return request_loop_;
  }
  if (lifetimes_ && dynamic(choice.group)) choice.instance = life_[choice.group].live[choice.instance];
  const ObjectGroup& g = groups_[choice.group];
  auto& r = h.state().gpr;
  r[kCallOffsetRegister] = uint64_t{g.first + choice.instance} * TranslationTable::kLttEntryBytes;
  r[kCallMethodRegister] = uint64_t{choice.method} * 8;
  r[4] = ++call_seq_;
  --t.calls_left;
  t.in_call = true;
  t.call_missed = false;
  t.call_group = choice.group;
  t.call_method = choice.method;
  t.call_impl = instance_impl_[g.first + choice.instance];
  t.call_coid = g.first + choice.instance;
  t.call_incarnation = incarnation_[t.call_coid];
  t.call_holds = 0, t.call_held_cycles = 0;
  // Where the call starts: the loop's own DREF, the group's gated call, or a direct call site.
  if (gated_call_[choice.group]) return gated_call_[choice.group];
  if (const auto& sites = direct_sites_[g.first + choice.instance]; !sites.empty()) {
    const unsigned per = gates_[choice.group].direct_sites;
    return sites[choice.method * per + static_cast<unsigned>(call_seq_ % per)].addr;
  }
  return h.state().lr;
}

void OsKernel::complete_call(ppc::Hart& h, Thread& t) {
  t.in_call = false;
  if (observer_) observer_->call_end(h.id(), t, h.cycle());
  count_served(t);
  const uint64_t now = h.cycle();
  if (now >= end_cycles_) return;  // past the run's end (a CPU may run ahead of it within a quantum)
  const uint64_t latency = now - t.call_start;
  ++stats_.calls;
  ++stats_.cpu[h.id()].calls;
  WindowStats& w = stats_.windows[now / stats_.window_cycles];
  ++w.calls;
  w.latency.add(latency);
  for (const auto& f : call_observers_) f(h, t, latency);
  if (now < warmup_cycles_) return;
  MethodStats& m = stats_.methods[t.call_group][t.call_method];
  ++m.calls;
  m.latency.add(latency);
  for (const NestedExec& n : nested_[t.call_impl][t.call_method]) ++stats_.methods[n.group][n.method].nested;
}

void OsKernel::count_served(const Thread& t) {
  if (t.call_missed) return;  // no method body ran (the reporters were told)
  if (t.call_incarnation == incarnation_[t.call_coid]) ++served_[t.call_coid];  // (not an earlier life's)
  for_each_nested(t, nested_inst_, [&](unsigned coid) { ++served_[coid]; });
}

std::vector<unsigned> OsKernel::executions(const Thread& t) const {
  std::vector<unsigned> out{t.call_coid}, scratch;
  for_each_nested(t, scratch, [&](unsigned coid) { out.push_back(coid); });
  return out;
}

}  // namespace quiesce::os
