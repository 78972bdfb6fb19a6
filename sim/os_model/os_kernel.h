// The modelled K42 kernel: builds the object layer a scenario describes in
// guest memory (generated method code, vtables, objects through factories,
// translation tables, thread descriptors, stacks, run queues, generation
// counts) and runs it. Guest code enters the kernel through host calls:
//   - the Default Object's slots (a translation miss),
//   - `next call` from a thread's request loop (a call ended; pick the next
//     one, or end the thread and schedule another),
//   - an I/O point inside a method (block the thread for a scripted time),
//   - the idle loop of a CPU with nothing to run,
//   - a system thread's loop (one host-modelled step per pass),
//   - the entries a layer above reserved with add_host_calls, through the
//     swap interface (swap_interface.h: all a layer above reaches of the kernel).
// Scheduling is per CPU: run to completion by default, as K42's short-lived
// threads run (timed events -- arrivals, think times, I/O completions, the
// generation token -- are handled whenever the CPU enters the kernel), or
// preemptive (preemption.cpp). The kernel decides which thread runs; the
// context switch itself is guest code (context_switch.h).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>
#include <tuple>

#include "cpu_ppc64/elf_loader.h"
#include "os_model/call_gate.h"
#include "os_model/clustered_object_manager.h"
#include "os_model/factory.h"
#include "os_model/generation_count.h"
#include "os_model/kernel_observer.h"
#include "os_model/kernel_stats.h"
#include "os_model/os_spec.h"
#include "os_model/rng.h"
#include "os_model/swap_interface.h"
#include "os_model/thread.h"
#include "os_model/watchdog_report.h"
#include "os_model/workload.h"

namespace quiesce::os {

class SwapDoor;

struct KernelParams {
  unsigned cpus = 1;
  double clock_hz = 2e9;
  uint32_t line_bytes = 128;
  uint64_t heap_base = 0, heap_limit = 0;   // guest memory for the OS's structures
  const ppc::LoadedProgram* program = nullptr;  // the guest ELF of `symbol` methods, if any
  CallGateSource gates;  // the gate around calls into each object group (none if empty)
};

class OsKernel final : public ppc::Environment_if {
 public:
  static constexpr uint64_t kHostCallBase = 0xffff'ffff'fffe'0000ull, kHostCallBytes = 0x1000;
  static constexpr uint64_t kIdle = kHostCallBase + 0x800, kNextCall = kIdle + 4, kIoWait = kIdle + 8,
                            kSystemStep = kIdle + 12, kInterrupt = kIdle + 16, kSwitched = kIdle + 20,
                            kExited = kIdle + 24, kPreemptCheck = kIdle + 28;
  static constexpr uint64_t kExtensionCalls = kHostCallBase + 0x900;  // entries handed out by add_host_calls

  OsKernel(mem::GuestMemory& memory, mem::RegionMap& regions, const KernelParams& params, const OsConfig& os,
           const std::vector<ImplementationSpec>& impls, const std::vector<ObjectSpec>& objects,
           const std::vector<WorkloadSpec>& workloads, const RunSpec& run, const OutputsSpec& outputs,
           const std::vector<DeviceSpec>& devices = {});

  ~OsKernel();
  OsKernel(const OsKernel&) = delete;
  OsKernel& operator=(const OsKernel&) = delete;

  // Every CPU starts in the idle loop, at cycle 0.
  void boot(ppc::Hart& h);

  // Non-empty when the run stopped because guest memory for OS structures ran out.
  const std::string& out_of_memory() const { return out_of_memory_; }
  // The watchdog: a layer (or the kernel, on a deadlock) ends the run with a
  // report of who waits on what; every CPU stops at its next kernel entry.
  void stop_run(std::string report);
  const std::string& watchdog_report() const { return watchdog_; }

  // The door the hot-swap layer uses (swap_interface.h): all it may reach of the kernel.
  SwapInterface swap_interface();

  // Results.
  std::string thread_label(const Thread& t) const;  // its system body's name, or its workload's
  void set_observer(KernelObserver* o);              // a trace writer, or null
  const KernelParams& params() const { return p_; }
  unsigned impl_of(unsigned coid) const { return instance_impl_[coid]; }
  unsigned group_of(unsigned coid) const;
  uint64_t calls_completed() const { return stats_.calls; }
  const KernelStats& stats() const { return stats_; }
  const std::vector<ObjectGroup>& groups() const { return groups_; }
  const std::vector<ImplementationSpec>& implementations() const { return impls_; }
  const GenerationCount& generation(unsigned cpu) const { return *cpus_[cpu].gen; }
  const QuiescenceToken& token() const { return *token_; }
  QuiescenceToken& token() { return *token_; }
  const ClusteredObjectManager& objects() const { return *com_; }
  const std::vector<Factory>& factories() const { return factories_; }
  bool live(unsigned coid) const { return alive_[coid] != 0; }  // created and not destroyed
  const Thread& thread(unsigned id) const { return threads_[id]; }
  size_t threads() const { return threads_.size(); }
  unsigned live_threads() const;
  // One line per live thread: cpu, state, what it is, where it is (for reports of who waits on what).
  std::vector<std::string> describe_threads() const;
  // The watchdog's facts of each live thread, and a code address as symbol+offset: a method body, the
  // kernel's code and entries, the guest ELF, else the heap region holding it ("" if none). watchdog_report.cpp.
  std::vector<WatchdogThread> watchdog_threads() const;
  std::string symbol(uint64_t pc) const;
  uint64_t heap_used() const { return heap_.used(); }
  const GuestHeap& heap() const { return heap_; }  // the OS allocator: live bytes and their history

 private:
  // Environment_if (the harts call it through that interface): only host calls reach the kernel.
  bool is_mmio(uint64_t) const override { return false; }
  ppc::HartAction mmio_load(ppc::Hart&, uint64_t, unsigned, uint64_t&) override { return ppc::HartAction::Fault; }
  ppc::HartAction mmio_store(ppc::Hart&, uint64_t, unsigned, uint64_t) override { return ppc::HartAction::Fault; }
  ppc::HartAction system_call(ppc::Hart&) override { return ppc::HartAction::Fault; }
  HostCallWindow host_call_window() const override { return {kHostCallBase, kHostCallBytes}; }
  ppc::HartAction host_call(ppc::Hart& h, uint64_t pc) override;

  friend class SwapDoor;  // the swap interface's implementation (swap_door.cpp)
  // ---- What the swap interface offers, implemented here (see swap_interface.h for each). ----
  using Step = SystemStep;
  using SystemBody = std::function<Step(ppc::Hart&, const Thread&)>;
  using HostCallHandler = std::function<ppc::HartAction(ppc::Hart&, unsigned index)>;
  uint64_t add_host_calls(unsigned count, HostCallHandler handler);
  void spawn_system_thread(ppc::Hart& h, unsigned cpu, std::string name, SystemBody body);
  void wake(unsigned tid, uint64_t cycle);
  ppc::HartAction park_current(ppc::Hart& h, bool quiescent);
  void redirect(unsigned tid, uint64_t pc, uint64_t r3);
  bool in_request_loop(uint64_t pc) const {
    return (pc >= request_loop_ && pc < loop_end_) || (pc >= sites_begin_ && pc < sites_end_);
  }
  void stop_cpu(ppc::Hart& from, unsigned cpu, bool ipi, std::function<void(ppc::Hart&)> stopped);
  uint64_t ipi_word(unsigned cpu);  // made at the first stop: other scenarios keep their layout
  void resume_cpu(unsigned cpu, std::function<void(ppc::Hart&)> resumed);
  bool claim_world(unsigned tid);
  void release_world(ppc::Hart& h);
  Thread* current(unsigned cpu);
  void at(unsigned cpu, uint64_t cycle, std::function<void(ppc::Hart&)> fn);
  uint64_t add_entry_hook(std::function<void(ppc::Hart&)> fn);
  void remove_entry_hook(uint64_t id);
  // The shared state from the OS allocator (h's CPU's pool, paid on h; null: untimed, CPU 0's pool).
  // defer_pay: the allocator's accesses are paid later, by heap_.pay_deferred (host state first).
  RepTemplate rep_template(unsigned coid, unsigned impl, ppc::Hart* h = nullptr, bool defer_pay = false);
  uint64_t watch_code(uint64_t start, uint64_t end, SwapHooks_if::Watcher fn);
  void unwatch_code(uint64_t id);
  void watched(ppc::Hart& h, uint64_t pc) override;  // Environment_if: a watched instruction is about to run
  using CodeRange = KernelFacts_if::CodeRange;
  using DirectSite = KernelFacts_if::DirectSite;

  enum class EventKind : uint8_t { ClientRequest, Arrival, LongLivedStart, Wake, Callback, Spawn };
  struct Event {
    uint64_t time, seq;
    EventKind kind;
    unsigned a, b;
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  struct Request {
    unsigned workload, client;
    bool long_lived;
    int system = -1;  // index of a system body, for system threads
  };
  struct CpuState {
    int current = -1;
    // lifetimes.cpp's scratch, kept here rather than on the CPU's stack: it lives across timed accesses,
    // and a run may end with the CPU's SystemC thread suspended in one (a local's heap would leak).
    std::vector<std::pair<unsigned, uint64_t>> reaping;
    std::vector<uint64_t> reap_reps, reap_shared, report_loads;
    std::deque<unsigned> runq;  // host mirror of the guest run queue
    uint64_t runq_addr = 0;     // [head][tail][slot...]
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
    std::vector<unsigned> free;  // free thread ids, LIFO
    std::deque<Request> backlog;  // requests waiting for a free descriptor
    Rng rng;
    std::unique_ptr<GenerationCount> gen;
    bool stop_requested = false, stopped = false, interrupts_before_stop = false;
    bool stop_ipi = false;  // the request is an IPI (taken mid-code), not a wait for a scheduling point
    bool stop_machine = false;  // the request is a stopper thread's (ipi 0): it waits out preemption-off regions
    uint64_t stop_epoch = 0, stopped_epoch = 0;  // a stop requested again before the CPU saw its resume
    uint64_t next_idle_poll = 0;                 // when the idle loop next looks at the token and hooks
    uint64_t slice_end = 0, timer_at = ~uint64_t{0};  // preemptive: the running thread's slice; DEC's target
    uint64_t save_area = 0;                      // preemptive: where its interrupt entry saves registers
    int save_tid = -1;        // the thread that left the CPU in this kernel entry: the switch saves it
    uint64_t idle_desc = 0;   // the idle loop's context (what the switch loads when the CPU idles)
    uint64_t tasks = 0;       // the word holding the first live thread's descriptor (thread_descriptor.h)
    std::function<void(ppc::Hart&)> on_stopped, on_resumed;
    // Devices (devices.cpp): interrupts to come (cycle, device, stream), earliest first; the handler
    // running (interrupt context, on the CPU's interrupt thread), and the thread it interrupted.
    std::priority_queue<std::tuple<uint64_t, unsigned, unsigned>, std::vector<std::tuple<uint64_t, unsigned, unsigned>>,
                        std::greater<>> irqs;
    bool in_handler = false;
    unsigned handler_device = 0, handler_next = 0, irq_tid = 0;
    int handler_interrupted = -1;
    uint64_t handler_began = 0;
    Rng irq_rng;  // which instance a handler's call picks
  };

  // Construction (os_build.cpp).
  void build_code(const OsConfig& os, const ppc::LoadedProgram* program);
  void build_objects();
  void build_threads(const OsConfig& os);
  void build_direct_sites();
  void start_workloads(uint64_t seed);

  // Host-call handlers.
  ppc::HartAction dispatch_host_call(ppc::Hart& h, uint64_t pc);
  ppc::HartAction on_idle(ppc::Hart& h);
  ppc::HartAction on_next_call(ppc::Hart& h);
  ppc::HartAction on_io(ppc::Hart& h);
  // A call through a vtable slot past its implementation's methods (a method a newer version adds).
  ppc::HartAction on_missing_method(ppc::Hart& h, unsigned method);
  ppc::HartAction on_system_step(ppc::Hart& h);
  ppc::HartAction on_switched(ppc::Hart& h);  // the context switch's end: into the incoming thread
  // Preemption (preemption.cpp): the interrupt vectors' code, the timer, the interrupt's host part.
  bool preemptive() const { return os_.scheduler.policy == SchedulerPolicy::Preemptive; }
  bool takes_interrupts() const { return preemptive() || os_.interrupts; }
  bool preempt_regions_ = false;  // some method disables preemption (else no count is ever read)
  void build_vectors();
  void arm_timer(ppc::Hart& h);  // DEC to the slice's end or the CPU's next event, whichever is first
  void post_timer(unsigned cpu, uint64_t time);  // an event posted for `time`: the CPU's timer no later
  ppc::HartAction on_interrupt(ppc::Hart& h);
  ppc::ArchState interrupted(ppc::Hart& h);  // the state the interrupt entry saved
  ppc::HartAction interrupt_tail(ppc::Hart& h);  // after the interrupt's work: back, or preempt
  // Devices (devices.cpp): the interrupt streams; a due interrupt's handler runs its calls through the
  // request loop's call paths on the CPU's interrupt thread, interrupts off, and may not block.
  struct DeviceState {
    std::vector<std::pair<unsigned, unsigned>> calls;  // (group, method)
    std::vector<Rng> streams;  // one per listed CPU (per_cpu), or one (round_robin)
    uint64_t mean = 0, start = 0, stop = 0;  // cycles
    unsigned next_cpu = 0;  // round_robin: the index in spec.cpus of the next interrupt's CPU
  };
  void build_devices(const std::vector<DeviceSpec>& devices, uint64_t seed);  // os_build.cpp
  void raise_next(unsigned device, unsigned stream, uint64_t after);  // the stream's next interrupt
  bool device_due(unsigned cpu, uint64_t now) const;
  ppc::HartAction start_handler(ppc::Hart& h);
  ppc::HartAction handler_step(ppc::Hart& h);  // the handler's next call, or its end
  ppc::HartAction refuse_block(ppc::Hart& h, const char* why);  // a block asked for in interrupt context
  // A thread's registers as a walk sees them: its CPU's while it runs, else its descriptor's (an
  // interrupted thread's are put there on the interrupt's entry to the kernel).
  const ppc::ArchState& registers(unsigned tid) const;

  // Scheduling.
  void kernel_entry(ppc::Hart& h);
  void run_due_events(ppc::Hart& h);
  void handle(ppc::Hart& h, const Event& ev);
  ppc::HartAction next_or_idle(ppc::Hart& h);
  // Context switches (context_switch.h): the current thread leaves the CPU (its registers go to its
  // descriptor when the switch runs); the switch's guest code is entered for `incoming`'s descriptor.
  void save_current(ppc::Hart& h, Thread& t);
  void switch_to(ppc::Hart& h, uint64_t incoming, bool from_interrupt);
  void save_registers(ppc::Hart& h, unsigned tid);  // a stopped CPU's thread, by the stop handler
  void call_routine(ppc::Hart& h, uint64_t entry, uint64_t r3);  // a system thread's call into guest code
  void dispatch(ppc::Hart& h, bool from_interrupt = false);
  void block(ppc::Hart& h, Thread& t, uint64_t cycles);
  void new_request(ppc::Hart& h, const Request& r);
  void create_thread(ppc::Hart& h, const Request& r);
  ppc::HartAction exit_thread(ppc::Hart& h, Thread& t);  // into the exit's guest code (thread_life.h)
  ppc::HartAction on_exited(ppc::Hart& h);  // its end: the host's part, then the next thread
  // A method that disabled preemption enabled it again, and the kernel had noted a preemption (or a
  // stop_machine) owed meanwhile: now (preemption.cpp).
  ppc::HartAction on_preempt_check(ppc::Hart& h);
  ppc::HartAction preempt(ppc::Hart& h, Thread& t, bool from_interrupt);
  // Whether the running thread is in a region that disables preemption (its descriptor's count, read
  // through h's caches); if so, notes in its descriptor that the kernel wants it at the region's end.
  bool preemption_owed(ppc::Hart& h, Thread& t);
  void runq_push(ppc::Hart& h, unsigned tid);
  unsigned runq_pop(ppc::Hart& h);
  void post(unsigned cpu, uint64_t time, EventKind kind, unsigned a, unsigned b = 0);
  uint64_t prepare_call(ppc::Hart& h, Thread& t);  // returns where the call starts
  void complete_call(ppc::Hart& h, Thread& t);
  void count_served(const Thread& t);
  std::vector<unsigned> executions(const Thread& t) const;  // the instances t's call executes, with repeats
  // Each nested execution of t's call: f(COID). `scratch` keeps each entry's instance (grows once).
  template <class F>
  void for_each_nested(const Thread& t, std::vector<unsigned>& scratch, F&& f) const {
    const auto& nest = nested_[t.call_impl][t.call_method];
    scratch.resize(std::max(scratch.size(), nest.size()));
    const unsigned top = t.call_coid - groups_[t.call_group].first;
    for (size_t k = 0; k < nest.size(); ++k) {
      const ObjectGroup& g = groups_[nest[k].group];
      scratch[k] = (nest[k].parent < 0 ? top : scratch[static_cast<size_t>(nest[k].parent)]) % g.count;
      f(g.first + scratch[k]);
    }
  }
  uint64_t cycles(double us) const;

  // Object lifetimes (issue 24, lifetimes.cpp): a group with a capacity has a live list and a free COID
  // pool; `create` and `destroy` calls of its workloads; destroyed instances reclaimed two generation
  // swaps later (reap, at kernel entries while any waits).
  struct GroupLife {
    std::vector<unsigned> live;  // instance indices, ascending
    std::set<unsigned> free;     // slots free for a creation, lowest first
  };
  struct Doomed {
    unsigned coid;
    uint64_t since = 0;            // the destruction's cycle
    std::vector<uint64_t> target;  // generations: per CPU, the generation swaps to reach
    // grace_period: per CPU whether it has passed a quiescent state since, and the threads it then found off
    // their CPU part-way through a call (their call's start: a holdout leaves when that call has ended).
    bool grace = false;
    std::vector<uint8_t> reported;
    std::vector<std::pair<unsigned, uint64_t>> holdouts;
  };
  bool grace_ready(const Doomed& d) const;
  uint64_t quiescent_line(unsigned cpu) const { return quiescent_lines_ + uint64_t{cpu} * p_.line_bytes; }
  void report_quiescent(ppc::Hart& h);
  bool dynamic(unsigned group) const;
  unsigned class_impl(unsigned group) const;  // the implementation of the factory's current version
  Factory& factory_of(unsigned impl);
  void lifetime_op(ppc::Hart& h, const CallChoice& choice);
  void create_instance(ppc::Hart& h, unsigned group);
  void destroy_instance(ppc::Hart& h, unsigned group, unsigned pos);
  void reap(ppc::Hart& h);
  std::vector<GroupLife> life_;       // per group
  std::vector<unsigned> live_counts_;  // per group: its live instances (what a workload draws among)
  std::vector<uint8_t> alive_;        // per COID
  std::vector<int32_t> pinned_;       // per COID: swaps of it under way
  std::vector<uint32_t> incarnation_;  // per COID: its lives so far
  std::vector<Doomed> doomed_;        // in destruction order
  uint64_t quiescent_lines_ = 0;      // grace_period groups: a line per CPU, its quiescent-state reports
  std::vector<SwapHooks_if::FreedFn> freed_reporters_;
  bool lifetimes_ = false;            // some group has a capacity

  KernelParams p_;
  OsConfig os_;
  std::vector<ImplementationSpec> impls_;
  RunSpec run_;
  GuestHeap heap_;
  std::unique_ptr<ClusteredObjectManager> com_;
  std::unique_ptr<QuiescenceToken> token_;
  std::vector<Factory> factories_;
  std::vector<ObjectGroup> groups_;
  std::vector<Workload> workloads_;
  std::vector<DeviceSpec> device_specs_;
  std::vector<DeviceState> devices_;
  std::vector<uint64_t> vtables_;                       // per implementation
  uint64_t missing_method_ = 0;                         // host-call entry of vtable slot 0 past the methods
  std::vector<SwapHooks_if::MissingMethodFn> missing_reporters_;
  std::vector<SwapHooks_if::CallObserver> call_observers_;  // told of every top-level call completed
  // What one top-level call executes through nested calls: (group, method), and the entry whose
  // instance picks this one's (instance i of a caller's group calls instance i % count; -1: the top call).
  struct NestedExec {
    unsigned group, method;
    int parent;
  };
  std::vector<std::vector<std::vector<NestedExec>>> nested_;  // [impl][method]
  std::vector<uint64_t> served_;          // [coid]: method executions by completed calls, top-level and nested
  std::vector<unsigned> nested_inst_;     // scratch for complete_call
  std::vector<std::vector<unsigned>> call_targets_;     // [impl] -> group of each nested-call reference
  std::vector<IoWait> io_points_;
  std::vector<std::vector<CodeRange>> code_ranges_;  // [impl][method]
  std::vector<unsigned> instance_impl_;              // [coid]
  uint64_t system_loop_ = 0;                         // guest loop of system threads
  uint64_t start_code_ = 0, exit_code_ = 0;          // a thread's start and exit (thread_life.h)
  std::vector<std::pair<unsigned, HostCallHandler>> extensions_;  // entry count, handler
  std::vector<SystemBody> system_bodies_;                         // by Request::system
  std::vector<std::string> system_names_;
  std::vector<std::function<void(ppc::Hart&)>> callbacks_;        // by Callback event
  std::vector<std::pair<uint64_t, std::function<void(ppc::Hart&)>>> hooks_;  // (id, hook); id 0: removed
  uint64_t next_hook_id_ = 1;
  int world_owner_ = -1;                   // the system thread that holds stop-the-world, or -1
  std::vector<unsigned> world_waiters_;    // system threads waiting for it, in order
  std::vector<std::function<std::string(const Thread&)>> describers_;
  struct Watch {
    uint64_t id, start, end;
    SwapHooks_if::Watcher fn;
  };
  std::vector<Watch> watches_;  // in the order made
  std::unique_ptr<SwapDoor> door_;
  std::vector<ppc::Hart*> harts_;
  KernelObserver* observer_ = nullptr;
  std::string watchdog_;
  std::vector<std::function<std::string()>> reporters_;
  bool deadlocked() const;
  // CPUs that found the system deadlocked at their idle entry (after their own hooks ran), with no
  // CPU finding otherwise since: a deadlock is declared once all have, as CPUs run ahead of one
  // another within a quantum and one that has not looked yet may still wake a thread.
  std::vector<bool> saw_deadlock_;
  unsigned saw_deadlock_count_ = 0;
  std::string out_of_memory_;
  uint64_t request_loop_ = 0, loop_end_ = 0, sites_begin_ = 0, sites_end_ = 0, toc_ = 0;
  uint64_t vector_base_ = 0, interrupt_return_ = 0;  // preemptive: the vectors, and the entry's return path
  uint64_t preempt_exit_ = 0;   // preemptive: the return path's restore, then the switch
  uint64_t switch_code_ = 0, switch_load_ = 0;  // the context switch (context_switch.h), its second half
  std::vector<CallGate> gates_;                       // per group
  std::vector<uint64_t> gated_call_;                  // per group: its gated request-loop call, or 0
  std::vector<std::vector<DirectSite>> direct_sites_;  // per COID
  std::vector<Thread> threads_;
  std::vector<CpuState> cpus_;
  KernelStats stats_;
  uint64_t warmup_cycles_ = 0, end_cycles_ = 0;
  uint64_t event_seq_ = 0, call_seq_ = 0;
  int running_cpu_ = -1;
  uint64_t ipi_words_ = 0;  // per CPU a line: its stop request (stop_cpu)  // the CPU whose kernel entry is running (events it posts elsewhere are IPIs)
};

}  // namespace quiesce::os
