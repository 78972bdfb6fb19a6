// The modelled K42 kernel: builds the object layer a scenario describes in
// guest memory (generated method code, vtables, objects through factories,
// translation tables, thread descriptors, stacks, run queues, generation
// counts) and runs it. Guest code enters the kernel through host calls:
//   - the Default Object's slots (a translation miss),
//   - `next call` from a thread's request loop (a call ended; pick the next
//     one, or end the thread and schedule another),
//   - an I/O point inside a method (block the thread for a scripted time),
//   - the idle loop of a CPU with nothing to run.
// Scheduling is per CPU and non-preemptive, as K42's short-lived threads run
// to completion: timed events (arrivals, think times, I/O completions, the
// generation token) are handled whenever the CPU enters the kernel.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "cpu_ppc64/elf_loader.h"
#include "os_model/call_gate.h"
#include "os_model/clustered_object_manager.h"
#include "os_model/factory.h"
#include "os_model/generation_count.h"
#include "os_model/kernel_observer.h"
#include "os_model/latency_histogram.h"
#include "os_model/os_spec.h"
#include "os_model/rng.h"
#include "os_model/thread.h"
#include "os_model/workload.h"

namespace quiesce::os {

// The scenario cannot be built (e.g. a method symbol missing from the guest ELF): bad input.
struct BuildError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CpuOsStats {
  uint64_t idle_cycles = 0, stopped_cycles = 0, threads_created = 0, threads_exited = 0, context_switches = 0, calls = 0;
  uint64_t io_points = 0, io_blocks = 0, backlogged = 0, backlog_peak = 0;
};

struct MethodStats {
  uint64_t calls = 0;   // top-level calls completed (after warm-up)
  uint64_t nested = 0;  // executions reached through nested calls of completed calls
  LatencyHistogram<5> latency;  // cycles, top-level calls
};

struct WindowStats {
  uint64_t calls = 0, threads_created = 0;
  LatencyHistogram<3> latency;
};

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
                            kSystemStep = kIdle + 12;
  static constexpr uint64_t kExtensionCalls = kHostCallBase + 0x900;  // entries handed out by add_host_calls
  static constexpr unsigned kMaxMethods = 64;

  OsKernel(mem::GuestMemory& memory, mem::RegionMap& regions, const KernelParams& params, const OsConfig& os,
           const std::vector<ImplementationSpec>& impls, const std::vector<ObjectSpec>& objects,
           const std::vector<WorkloadSpec>& workloads, const RunSpec& run, const OutputsSpec& outputs);

  // Every CPU starts in the idle loop, at cycle 0.
  void boot(ppc::Hart& h);

  // Environment_if: only host calls reach the kernel.
  bool is_mmio(uint64_t) const override { return false; }
  ppc::HartAction mmio_load(ppc::Hart&, uint64_t, unsigned, uint64_t&) override { return ppc::HartAction::Fault; }
  ppc::HartAction mmio_store(ppc::Hart&, uint64_t, unsigned, uint64_t) override { return ppc::HartAction::Fault; }
  ppc::HartAction system_call(ppc::Hart&) override { return ppc::HartAction::Fault; }
  HostCallWindow host_call_window() const override { return {kHostCallBase, kHostCallBytes}; }
  ppc::HartAction host_call(ppc::Hart& h, uint64_t pc) override;
  // Non-empty when the run stopped because guest memory for OS structures ran out.
  const std::string& out_of_memory() const { return out_of_memory_; }
  // The watchdog: a layer (or the kernel, on a deadlock) ends the run with a
  // report of who waits on what; every CPU stops at its next kernel entry.
  void stop_run(std::string report);
  const std::string& watchdog_report() const { return watchdog_; }
  // Adds a layer's part to a deadlock report (e.g. the swaps in progress).
  void add_waits_reporter(std::function<std::string()> f) { reporters_.push_back(std::move(f)); }

  // ---- Extension points for the layers above (hot-swap); the OS knows nothing of them. ----
  using HostCallHandler = std::function<ppc::HartAction(ppc::Hart&, unsigned index)>;
  // Reserves `count` consecutive host-call entries served by `handler`; returns entry 0's address.
  uint64_t add_host_calls(unsigned count, HostCallHandler handler);
  // A system thread's work: one step per dispatch of its loop. Again: run the
  // next step (the step charged its cycles); Block: leave the CPU until wake();
  // Exit: the thread ends.
  enum class Step : uint8_t { Again, Block, Exit };
  using SystemBody = std::function<Step(ppc::Hart&, Thread&)>;
  // Creates a system thread on `cpu` (from `h`, on any CPU: the target CPU
  // creates it at its next kernel entry, paying the creation). Not counted in generations.
  void spawn_system_thread(ppc::Hart& h, unsigned cpu, std::string name, SystemBody body);
  // What a system thread is (for reports of who waits on what).
  const std::string& system_name(const Thread& t) const { return system_names_[t.system_body]; }
  // A thread's name as it runs now: its system body's, or its workload's.
  std::string thread_label(const Thread& t) const;
  // A blocked thread becomes runnable on its CPU at `cycle` (callable from any CPU).
  void wake(unsigned tid, uint64_t cycle);
  // The thread running on h's CPU leaves it, blocked until wake(), with its
  // registers as they are now; returns what the host-call handler returns.
  // A `quiescent` thread (one in no object) leaves its generation meanwhile
  // and joins the current one when it runs again, so it holds no one's
  // quiescence back while it waits.
  ppc::HartAction park_current(ppc::Hart& h, bool quiescent = false);
  // Whether pc lies in the request loop or its call sites (a call returning there was made at top level).
  bool in_request_loop(uint64_t pc) const {
    return (pc >= request_loop_ && pc < loop_end_) || (pc >= sites_begin_ && pc < sites_end_);
  }
  // Stop-the-world support. stop_cpu: at its next kernel entry `cpu` runs
  // `stopped` and then spins there, its thread untouched, until resume_cpu;
  // then it runs `resumed` and carries on. Callable from any CPU.
  void stop_cpu(unsigned cpu, std::function<void(ppc::Hart&)> stopped);
  void resume_cpu(unsigned cpu, std::function<void(ppc::Hart&)> resumed = {});
  bool stopped(unsigned cpu) const { return cpus_[cpu].stopped; }
  // The statically bound call sites of instance `coid` (a gate with direct_sites).
  struct DirectSite {
    uint64_t addr;
    unsigned method;
  };
  const std::vector<DirectSite>& direct_sites(unsigned coid) const { return direct_sites_[coid]; }
  uint64_t request_loop() const { return request_loop_; }
  const CallGate& gate(unsigned group) const { return gates_[group]; }
  Thread* current(unsigned cpu);
  Thread& thread(unsigned id) { return threads_[id]; }
  // `fn` runs on `cpu` at its first kernel entry at or after `cycle`.
  void at(unsigned cpu, uint64_t cycle, std::function<void(ppc::Hart&)> fn);
  // Runs at every kernel entry of every CPU (conditions on the load, say).
  void add_entry_hook(std::function<void(ppc::Hart&)> fn) { hooks_.push_back(std::move(fn)); }
  // Runs as a top-level call of instance `coid` is issued (an observer: the
  // safety oracle checks which rep the call will reach).
  void add_call_hook(std::function<void(ppc::Hart&, const Thread&, unsigned coid)> fn) {
    call_hooks_.push_back(std::move(fn));
  }
  ppc::Hart& hart(unsigned cpu) { return *harts_[cpu]; }
  // An observer of threads, calls and generation swaps (a trace writer), or null.
  void set_observer(KernelObserver* o);
  GenerationCount& generation(unsigned cpu) { return *cpus_[cpu].gen; }
  GuestHeap& heap() { return heap_; }
  const KernelParams& params() const { return p_; }
  const OsConfig& os_config() const { return os_; }
  // The implementation an instance runs now (a hot-swap changes it), and the
  // rep template of instance `coid` built as implementation `impl`.
  unsigned impl_of(unsigned coid) const { return instance_impl_[coid]; }
  void set_impl_of(unsigned coid, unsigned impl) { instance_impl_[coid] = impl; }
  unsigned group_of(unsigned coid) const;
  RepTemplate rep_template(unsigned coid, unsigned impl);
  uint64_t vtable(unsigned impl) const { return vtables_[impl]; }
  // Where each method's code lies ([start, end), and whether it keeps `this` in a frame).
  struct CodeRange {
    uint64_t start = 0, end = 0;
    bool frame = false;
  };
  const std::vector<std::vector<CodeRange>>& code_ranges() const { return code_ranges_; }
  uint64_t calls_completed() const { return calls_total_; }
  uint64_t calls_issued() const { return call_seq_; }
  // Executions of instance `coid`'s methods by the calls completed so far (top-level and nested, the
  // run's end included): what a method that counts its calls in its state must have counted.
  uint64_t served(unsigned coid) const { return served_[coid]; }

  // Results.
  const std::vector<ObjectGroup>& groups() const { return groups_; }
  const std::vector<ImplementationSpec>& implementations() const { return impls_; }
  const MethodStats& method_stats(unsigned group, unsigned method) const { return methods_[group][method]; }
  const std::vector<WindowStats>& windows() const { return windows_; }
  uint64_t window_cycles() const { return window_cycles_; }
  const CpuOsStats& cpu_stats(unsigned cpu) const { return cpus_[cpu].stats; }
  const GenerationCount& generation(unsigned cpu) const { return *cpus_[cpu].gen; }
  const QuiescenceToken& token() const { return *token_; }
  QuiescenceToken& token() { return *token_; }
  ClusteredObjectManager& objects() { return *com_; }
  const ClusteredObjectManager& objects() const { return *com_; }
  const std::vector<Factory>& factories() const { return factories_; }
  std::vector<Factory>& factories() { return factories_; }
  const Thread& thread(unsigned id) const { return threads_[id]; }
  size_t threads() const { return threads_.size(); }
  unsigned live_threads() const;
  // One line per live thread: cpu, state, what it is, where it is (for reports of who waits on what).
  std::vector<std::string> describe_threads() const;
  uint64_t heap_used() const { return heap_.used(); }

 private:
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
    std::deque<unsigned> runq;  // host mirror of the guest run queue
    uint64_t runq_addr = 0;     // [head][tail][slot...]
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
    std::vector<unsigned> free;  // free thread ids, LIFO
    std::deque<Request> backlog;  // requests waiting for a free descriptor
    Rng rng;
    std::unique_ptr<GenerationCount> gen;
    CpuOsStats stats;
    bool stop_requested = false, stopped = false;
    uint64_t stop_epoch = 0, stopped_epoch = 0;  // a stop requested again before the CPU saw its resume
    uint64_t next_idle_poll = 0;                 // when the idle loop next looks at the token and hooks
    std::function<void(ppc::Hart&)> on_stopped, on_resumed;
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
  ppc::HartAction on_system_step(ppc::Hart& h);

  // Scheduling.
  void kernel_entry(ppc::Hart& h);
  void run_due_events(ppc::Hart& h);
  void handle(ppc::Hart& h, const Event& ev);
  ppc::HartAction next_or_idle(ppc::Hart& h);
  void dispatch(ppc::Hart& h);
  void block(ppc::Hart& h, Thread& t, uint64_t cycles);
  void new_request(ppc::Hart& h, const Request& r);
  void create_thread(ppc::Hart& h, const Request& r);
  void end_thread(ppc::Hart& h, Thread& t);
  void runq_push(ppc::Hart& h, unsigned tid);
  unsigned runq_pop(ppc::Hart& h);
  void post(unsigned cpu, uint64_t time, EventKind kind, unsigned a, unsigned b = 0);
  uint64_t prepare_call(ppc::Hart& h, Thread& t);  // returns where the call starts
  void complete_call(ppc::Hart& h, Thread& t);
  void count_served(const Thread& t);
  uint64_t cycles(double us) const;

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
  std::vector<uint64_t> vtables_;                       // per implementation
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
  std::vector<std::pair<unsigned, HostCallHandler>> extensions_;  // entry count, handler
  std::vector<SystemBody> system_bodies_;                         // by Request::system
  std::vector<std::string> system_names_;
  std::vector<std::function<void(ppc::Hart&)>> callbacks_;        // by Callback event
  std::vector<std::function<void(ppc::Hart&)>> hooks_;
  std::vector<std::function<void(ppc::Hart&, const Thread&, unsigned)>> call_hooks_;
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
  uint64_t calls_total_ = 0;
  std::string out_of_memory_;
  uint64_t request_loop_ = 0, loop_end_ = 0, sites_begin_ = 0, sites_end_ = 0, toc_ = 0;
  std::vector<CallGate> gates_;                       // per group
  std::vector<uint64_t> gated_call_;                  // per group: its gated request-loop call, or 0
  std::vector<std::vector<DirectSite>> direct_sites_;  // per COID
  std::vector<Thread> threads_;
  std::vector<CpuState> cpus_;
  std::vector<std::vector<MethodStats>> methods_;  // [group][method]
  std::vector<WindowStats> windows_;
  uint64_t window_cycles_ = 1, warmup_cycles_ = 0, end_cycles_ = 0;
  uint64_t event_seq_ = 0, call_seq_ = 0;
};

}  // namespace quiesce::os
