// The patent's Mediator: hot-swaps one clustered object (one COID) for a new
// implementation while calls keep coming. It is itself a clustered object:
// a root (a line in guest memory and an os::Root handing out a mediator rep
// per CPU), mediator reps in guest memory whose vtable sends every method to
// the mediation routine (a host call), and a worker thread per CPU that had
// used the object. Phases, per CPU (patent 0036-0046):
//   Interpose  take the GTT entry's lock for writing, swing its root to the
//              mediator's, reset the LTT entries so calls miss into the mediator;
//   Forward    count calls in flight, remember each thread's return address,
//              mark it as in a forwarded call, forward to the old rep; wait
//              (two generation swaps) until every thread older than the swap ended;
//   Block      block new calls except from threads already in a forwarded
//              call; wait for in-flight calls to drain; all workers meet;
//   Transfer   negotiate the protocol and move the state, in parallel; meet;
//   Complete   swing the GTT root to the new object, install its reps in the
//              LTTs, release the blocked calls to it, retire the old object.
// Every step runs on a worker (a system thread competing for its CPU) or on
// the calling thread, and pays cycles and memory traffic there.
#pragma once
#include <array>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "hotswap/safety_oracle.h"
#include "hotswap/transfer_protocol.h"
#include "os_model/os_kernel.h"

namespace quiesce::hotswap {

enum class Phase : uint8_t { Interpose, Forward, Block, Transfer, Complete, Done };
inline constexpr unsigned kRecordedPhases = 5;
const char* phase_name(Phase p);

// What one CPU saw of a swap; cycles, 0 = not reached.
struct CpuSwapRecord {
  bool worker = false;
  std::array<uint64_t, kRecordedPhases> start{}, end{};
  uint64_t forwarded = 0, blocked = 0, released = 0;
  uint64_t blocked_cycles_total = 0, blocked_cycles_max = 0;
  uint64_t bytes = 0, lines = 0;
};

// Shared by every mediator of a run.
struct MediatorContext {
  os::OsKernel& kernel;
  const std::vector<os::ImplementationSpec>& impls;
  const HotSwapSpec& spec;
  SafetyOracle& oracle;
  uint64_t vtable = 0;        // mediator vtable: slot m -> host-call entry m
  uint64_t return_entry = 0;  // host-call entry forwarded calls return to
  // Per thread: the forwarded calls it is in, innermost last (mediator id, return address).
  std::vector<std::vector<std::pair<unsigned, uint64_t>>> returns;
};

class Mediator {
 public:
  Mediator(MediatorContext& ctx, unsigned id, unsigned coid, unsigned new_impl, std::string strategy,
           std::string label);

  // Begins the swap on the initiating CPU (a system thread there interposes);
  // `done` runs on the CPU that completes it.
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done = {});
  // The mediation routine: a call of `method` reached this mediator's rep on h's CPU.
  ppc::HartAction intercept(ppc::Hart& h, unsigned method);
  // A forwarded call returned to `lr`: the in-flight count drops.
  void returned(ppc::Hart& h, uint64_t lr);
  // Entry-hook poll: wakes workers of h's CPU waiting for a generation to drain.
  void poll(ppc::Hart& h);

  bool owns_rep(unsigned cpu, uint64_t rep) const { return root_ && root_->rep_if_any(cpu) == rep; }
  // Whether `rep` is one of the old object's reps whose state was transferred
  // away (reps kept by a by-reference transfer are the new object's).
  bool retired(uint64_t rep) const;
  bool finished() const { return finished_; }

  // Results.
  unsigned id() const { return id_; }
  unsigned coid() const { return coid_; }
  const std::string& label() const { return label_; }
  const std::string& strategy() const { return strategy_; }
  unsigned old_impl() const { return old_impl_; }
  unsigned new_impl() const { return new_impl_; }
  std::optional<Protocol> protocol() const { return protocol_; }
  uint64_t start_cycle() const { return start_cycle_; }
  uint64_t end_cycle() const { return end_cycle_; }
  const std::vector<CpuSwapRecord>& cpus() const { return rec_; }
  Phase phase(unsigned cpu) const { return phase_[cpu]; }
  unsigned workers() const { return workers_; }
  // Who waits on what, per CPU (for reports of a swap that did not finish).
  std::string describe() const;

 private:
  enum class Work : uint8_t { Start, GenWait, BlockStart, InFlight, Meet1, Transfer, Meet2, Complete };
  struct Worker {
    Work at = Work::Start;
    bool assigned = false;  // this CPU has (or will have) a worker
    int tid = -1;           // its thread, once it runs
    bool waiting_gen = false, waiting_inflight = false, waiting_meet = false;
  };
  struct Blocked {
    unsigned tid, method;
    uint64_t since;
  };

  class MediatorRoot;
  os::OsKernel::Step initiate(ppc::Hart& h);
  void add_worker(ppc::Hart& h, unsigned cpu);
  void new_mediator_rep(unsigned cpu);
  os::OsKernel::Step work(ppc::Hart& h, unsigned cpu);
  bool meet(ppc::Hart& h, unsigned cpu, unsigned& arrived);  // true: last to arrive
  void transfer_share(ppc::Hart& h, unsigned cpu);
  void swing_to_new(ppc::Hart& h);
  void release_blocked(ppc::Hart& h, unsigned cpu);
  void set_phase(ppc::Hart& h, unsigned cpu, Phase p);
  void check_quiescent(ppc::Hart& h);
  uint64_t new_rep(unsigned cpu);
  uint64_t rep_word(unsigned cpu, unsigned word) const;
  void finish_if_done(ppc::Hart& h);

  MediatorContext& ctx_;
  unsigned id_, coid_, old_impl_, new_impl_;
  std::string strategy_, label_;
  unsigned cpus_;
  bool started_ = false, finished_ = false, locked_ = false;
  uint64_t start_cycle_ = 0, end_cycle_ = 0;
  uint64_t line_ = 0;                    // the mediator root's guest line: [phase][meet 1][meet 2][protocol]
  std::unique_ptr<os::Root> root_keep_;  // the mediator root until the COM owns it, and after
  os::Root* root_ = nullptr;             // hands out mediator reps
  std::unique_ptr<os::Root> old_root_;   // the old object's, once swung out
  std::unique_ptr<os::Root> new_root_;   // the new object's, until swung in
  std::optional<Protocol> protocol_;
  std::vector<Phase> phase_;
  std::vector<uint64_t> gen_target_;     // per CPU: generation swaps that prove older threads ended
  std::vector<uint64_t> in_flight_;      // per CPU (host mirror of the rep's counter)
  std::vector<Worker> worker_;
  std::vector<std::vector<Blocked>> blocked_;
  std::vector<CpuSwapRecord> rec_;
  std::vector<uint64_t> old_reps_;       // every rep of the old object (for the oracle)
  std::function<void(ppc::Hart&)> done_cb_;
  bool transferred_ = false;  // the first meeting passed: the old state is being moved
  unsigned workers_ = 0, arrived1_ = 0, arrived2_ = 0, done_ = 0;
};

}  // namespace quiesce::hotswap
