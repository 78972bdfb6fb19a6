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
//              call (of any mediator, until the first meeting: one let through
//              after its CPU's worker found none in flight sends that worker
//              back to wait for it); wait for in-flight calls to drain; all
//              workers meet;
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

#include "hotswap/swap.h"

namespace quiesce::hotswap {

class Mediator;

// The mediation routine every Mediator of a run shares (set up by the
// k42_generation strategy, mediation_code.h): the vtable of every mediator rep
// (slot m -> a stub that loads the rep's phase word and enters host call m,
// where the host decides), the guest code of a forwarded call and of its
// return (the work: in-flight count, hash table, descriptor mark), the host
// entry forwarded calls return to, and per thread the forwarded calls it is
// in, innermost last (mediator, return address).
struct MediationRoutine {
  uint64_t vtable = 0, return_entry = 0, forward_code = 0, return_code = 0;
  std::vector<std::vector<std::pair<Mediator*, uint64_t>>> returns;
  std::vector<uint32_t> forwarded;  // per thread: the forwarded calls it is in (its descriptor mark)
};

class Mediator final : public Swap {
 public:
  // The phases it records, in StrategyInfo::phases order.
  enum : uint8_t { kInterpose, kForward, kBlock, kTransfer, kComplete };
  Mediator(SwapContext& ctx, MediationRoutine& routine, const StrategyInfo& strategy, const StrategyParams& params,
           unsigned id, unsigned coid, unsigned new_impl, std::string label);

  // Begins the swap on the initiating CPU (a system thread there interposes);
  // `done` runs on the CPU that completes it.
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override;
  // The mediation routine: a call of `method` reached this mediator's rep on h's CPU.
  ppc::HartAction intercept(ppc::Hart& h, unsigned method);
  // A forwarded call returned to `lr`: the in-flight count drops.
  void returned(ppc::Hart& h, uint64_t lr);
  // Entry-hook poll: wakes workers of h's CPU waiting for a generation to drain.
  void poll(ppc::Hart& h) override;

  // Once its reps went back to the allocator they may be another mediator's: a freed mediator owns none.
  bool owns_rep(unsigned cpu, uint64_t rep) const {
    return root_ && !scaffolding_freed() && root_->rep_if_any(cpu) == rep;
  }
  unsigned workers() const override { return workers_; }
  std::string describe() const override;

 protected:
  std::vector<uint64_t> scaffolding() const override;  // the mediator reps and the mediator's line

 private:
  enum class Work : uint8_t { Start, GenWait, BlockStart, InFlight, Meet1, Transfer, Meet2, Swing, Complete };
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
  os::SystemStep initiate(ppc::Hart& h);
  // Patches: at the joint point the first meeting happens; a patch that gives up sends it back.
  void at_joint_point(ppc::Hart& h) override { check_quiescent(h); }
  void resume_joint(ppc::Hart& h) override;
  os::SystemStep go_back(ppc::Hart& h);
  void add_worker(ppc::Hart& h, unsigned cpu);
  void new_mediator_rep(unsigned cpu);
  os::SystemStep work(ppc::Hart& h, unsigned cpu);
  bool meet(ppc::Hart& h, unsigned cpu, unsigned& arrived);  // true: last to arrive
  void swing_to_new(ppc::Hart& h);
  // The blocked calls of `cpu` resume as calls of the new object, or of the old one (going back).
  void release_blocked(ppc::Hart& h, unsigned cpu, bool to_old = false);
  void set_phase(ppc::Hart& h, unsigned cpu, uint8_t p);
  void check_quiescent(ppc::Hart& h);
  void call_after_count(ppc::Hart& h, unsigned cpu);
  uint64_t rep_word(unsigned cpu, unsigned word) const;
  void finish_if_done(ppc::Hart& h);

  MediationRoutine& routine_;
  const uint32_t step_cycles_, hash_slots_, generations_;
  bool locked_ = false, quiescent_ = false;  // quiescent_: the first meeting happened
  bool swings_ = false;  // the last at the second meeting: it swings the root to the new object
  bool back_locked_ = false;                 // going back: the GTT entry's lock is held
  uint64_t line_ = 0;                    // the mediator root's guest line: [phase][meet 1][meet 2][protocol]
  std::vector<uint64_t> old_rep_;        // per CPU: the old rep its mediator rep's word holds
  std::unique_ptr<os::Root> root_keep_;  // the mediator root until the COM owns it, and after
  os::Root* root_ = nullptr;             // hands out mediator reps
  std::vector<uint64_t> gen_target_;     // per CPU: generation swaps that prove older threads ended
  std::vector<uint64_t> in_flight_;      // per CPU (host mirror of the rep's counter)
  std::vector<Worker> worker_;
  std::vector<std::vector<Blocked>> blocked_;
  unsigned workers_ = 0, arrived1_ = 0, arrived2_ = 0, done_ = 0;
};

}  // namespace quiesce::hotswap
