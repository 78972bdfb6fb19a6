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
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "cpu_ppc64/elf_loader.h"
#include "os_model/clustered_object_manager.h"
#include "os_model/factory.h"
#include "os_model/generation_count.h"
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
  uint64_t idle_cycles = 0, threads_created = 0, threads_exited = 0, context_switches = 0, calls = 0;
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
};

class OsKernel final : public ppc::Environment_if {
 public:
  static constexpr uint64_t kHostCallBase = 0xffff'ffff'fffe'0000ull, kHostCallBytes = 0x1000;
  static constexpr uint64_t kIdle = kHostCallBase + 0x800, kNextCall = kIdle + 4, kIoWait = kIdle + 8;
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
  const Thread& thread(unsigned id) const { return threads_[id]; }
  size_t threads() const { return threads_.size(); }
  unsigned live_threads() const;
  uint64_t heap_used() const { return heap_.used(); }
  uint64_t request_loop_entry() const { return request_loop_; }

 private:
  enum class EventKind : uint8_t { ClientRequest, Arrival, LongLivedStart, Wake };
  struct Event {
    uint64_t time, seq;
    EventKind kind;
    unsigned a, b;
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  struct Request {
    unsigned workload, client;
    bool long_lived;
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
  };

  // Construction (os_build.cpp).
  void build_code(const OsConfig& os, const ppc::LoadedProgram* program);
  void build_objects();
  void build_threads(const OsConfig& os);
  void start_workloads(uint64_t seed);

  // Host-call handlers.
  ppc::HartAction on_idle(ppc::Hart& h);
  ppc::HartAction on_next_call(ppc::Hart& h);
  ppc::HartAction on_io(ppc::Hart& h);

  // Scheduling.
  void kernel_entry(ppc::Hart& h);
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
  void prepare_call(ppc::Hart& h, Thread& t);
  void complete_call(ppc::Hart& h, Thread& t);
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
  std::vector<std::vector<std::vector<std::pair<unsigned, unsigned>>>> nested_;  // [impl][method] -> (group, method) executions
  std::vector<std::vector<unsigned>> call_targets_;     // [impl] -> group of each nested-call reference
  std::vector<IoWait> io_points_;
  uint64_t request_loop_ = 0, toc_ = 0;
  std::vector<Thread> threads_;
  std::vector<CpuState> cpus_;
  std::vector<std::vector<MethodStats>> methods_;  // [group][method]
  std::vector<WindowStats> windows_;
  uint64_t window_cycles_ = 1, warmup_cycles_ = 0, end_cycles_ = 0;
  uint64_t event_seq_ = 0, call_seq_ = 0;
};

}  // namespace quiesce::os
