// One hot-swap of one clustered object (one COID) to a new implementation,
// whatever the quiescence strategy: what every strategy records (per-CPU
// phases, blocked calls, bytes moved, when the safe point was reached, what
// it waited on, its own safety violations), and the steps the strategies
// that stop calls at the whole object share (the state transfer on one CPU,
// swinging the root). The Mediator (k42_generation) works per CPU instead.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "hotswap/patch.h"
#include "hotswap/reclaimer.h"
#include "hotswap/safety_oracle.h"
#include "hotswap/strategy_registry.h"
#include "hotswap/transfer_protocol.h"
#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

// Phases: each strategy names its own (StrategyInfo::phases); a swap records
// them by index. Before a CPU takes part it is in none; after, done.
inline constexpr uint8_t kPhaseNone = 0xfe, kPhaseDone = 0xff;

// Where a CPU's time in a swap goes (issue 21, part 3). From the moment a swap's system thread is made
// on a CPU until that CPU's part is done, every cycle is one of: the mechanism's own work (its thread
// running, spinning aside), waiting for the CPU (made or woken, not yet running: the run queue and the
// switch onto the CPU), waiting for quiescence (generations, drains, grace periods, walk retries) or
// waiting for other CPUs (meetings, a lock or a stop-the-world another CPU holds, CPUs still stopping).
enum class Activity : uint8_t { Mechanism, Cpu, Quiescence, OtherCpus };
inline constexpr unsigned kActivities = 4;
inline constexpr const char* kActivityNames[kActivities] = {"mechanism", "cpu", "quiescence", "other_cpus"};
using ActivitySplit = std::array<uint64_t, kActivities>;

// A stretch of one activity within one phase on one CPU (consecutive stretches differ in one of them).
struct ActivitySpan {
  uint64_t start, end;
  uint8_t phase;  // an index into the strategy's phases, kPhaseNone before the first, kPhaseRetried
  Activity what;
};
// A span's phase outside the strategy's: earlier attempts of a phase the CPU entered again.
inline constexpr uint8_t kPhaseRetried = 0xfd;

// What one CPU saw of a swap; cycles, 0 = not reached.
struct CpuSwapRecord {
  bool worker = false;  // the swap's machinery ran here
  std::vector<uint64_t> start, end;  // per phase of the strategy
  // Per phase (its last attempt, so the four sum to end - start once it ended), and two more:
  // before the first phase (the worker made and waiting to run) and earlier attempts of re-entered phases.
  std::vector<ActivitySplit> split;
  ActivitySplit before{}, retried{};
  std::vector<ActivitySpan> spans;  // the same, in time order
  uint64_t forwarded = 0, blocked = 0, released = 0;
  uint64_t blocked_cycles_total = 0, blocked_cycles_max = 0;
  uint64_t bytes = 0, lines = 0;
};

// A call the swap held and later released (for timelines).
struct HeldCall {
  unsigned tid, cpu;           // the thread and its CPU
  uint64_t since, released;    // cycles
  unsigned released_on;        // the CPU that released it
};

// A row of a strategy's own table in a swap's details (livepatch: its threads' switches and stalls):
// named fields, each a number or a text.
struct DetailField {
  std::string key, text;
  uint64_t number = 0;
  bool is_text = false;
};
using DetailRow = std::vector<DetailField>;

// Shared by every swap of a run.
// Linux's livepatch transition is global (klp_transition_patch): one at a time in the run, its id from one
// sequence, whichever livepatch-like strategy begins it, since the threads' patch word (kDescPatch) is one.
// `active` and `waiting` name swaps of such strategies (the waiting with the thread to wake).
struct PatchTransitions {
  const void* active = nullptr;
  std::vector<std::pair<void*, unsigned>> waiting;
  uint64_t count = 0;
};

struct SwapContext {
  os::SwapInterface k;  // the kernel, through its swap interface
  const std::vector<os::ImplementationSpec>& impls;
  const HotSwapSpec& spec;
  SafetyOracle& oracle;
  Reclaimer* reclaimer = nullptr;  // frees what swaps leave behind (none: nothing is freed)
  PatchTransitions transitions;    // livepatch's (livepatch.cpp)
};

// What one swap's memory came to (issue 24), bytes of OS heap blocks: the old object's (reps and shared
// state not kept by the new one), the new object's (reps it made and its shared state), the swap's own
// structures (the Mediator's reps and line); when they were retired (the swap's end, or its start for an
// at_start rule) and freed (0: not yet). `peak` is for the results writer (from the heap's history).
struct SwapMemory {
  uint64_t old_bytes = 0, new_bytes = 0, scaffold_bytes = 0;
  uint64_t retired_cycle = 0, freed_cycle = 0;
  bool freed = false;
};

class Swap {
 public:
  Swap(SwapContext& ctx, const StrategyInfo& strategy, unsigned id, unsigned coid, unsigned new_impl,
       std::string label);
  virtual ~Swap() = default;
  Swap(const Swap&) = delete;
  Swap& operator=(const Swap&) = delete;

  // Begins the swap from h's CPU; `done` runs on the CPU that completes it.
  virtual void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) = 0;
  // Runs at every kernel entry of every CPU while the swap is active.
  virtual void poll(ppc::Hart&) {}
  // Who waits on what (for reports of a swap that did not finish).
  virtual std::string describe() const = 0;

  // Results.
  unsigned id() const { return id_; }
  unsigned coid() const { return coid_; }
  const std::string& label() const { return label_; }
  const std::string& strategy() const { return info_.name; }
  const std::string& waited_on() const { return info_.waits_for; }
  const std::vector<std::string>& phase_names() const { return info_.phases; }
  unsigned old_impl() const { return old_impl_; }
  unsigned new_impl() const { return new_impl_; }
  std::optional<Protocol> protocol() const { return protocol_; }
  bool finished() const { return finished_; }  // completed: the object is the new one
  // Over: completed, or given up (the old object stays; `describe` says why). Another swap of the object may start.
  bool ended() const { return finished_ || given_up_; }
  uint64_t start_cycle() const { return start_cycle_; }
  uint64_t safe_cycle() const { return safe_cycle_; }  // when nothing could run in the old object any more
  uint64_t end_cycle() const { return end_cycle_; }
  const std::vector<CpuSwapRecord>& cpus() const { return rec_; }
  uint8_t phase(unsigned cpu) const { return phase_[cpu]; }
  // "none", a phase's name, or "done".
  std::string phase_name(unsigned cpu) const;
  virtual unsigned workers() const { return 1; }
  // Strategy-specific counts (walks, retries, polls, sites patched...), in a fixed order.
  const std::vector<std::pair<std::string, uint64_t>>& details() const { return details_; }
  const std::vector<HeldCall>& held_calls() const { return held_log_; }
  // Strategy-specific tables (rows of named fields), in a fixed order.
  const std::vector<std::pair<std::string, std::vector<DetailRow>>>& detail_tables() const { return tables_; }
  const SwapMemory& memory() const { return mem_; }
  bool scaffolding_freed() const { return scaffolding_freed_; }
  // An at_start strategy (unsafe): the old object's reps go back to the allocator as the swap begins.
  void free_early(ppc::Hart& h);

  // Patches (patch.h): a member holds at its safe point until its patch decides.
  void join_patch(Patch& p) { patch_ = &p; }
  const Patch* patch() const { return patch_; }
  // The patch's decisions. Commit: the joint point, this member's safe point (at_joint_point), then it goes
  // on. Abort: a member not over goes back, wherever it is, and gives up; the old object stays.
  void commit_joint(ppc::Hart& h);
  void abort_joint(ppc::Hart& h);
  // Every other member is at its safe point (a member that waits for that before it starts: stack_trace).
  virtual void others_arrived(ppc::Hart&) {}

 protected:
  // The whole-object strategies' start: the new object's root, and a system
  // thread on h's CPU running `body` one step per pass.
  void launch(ppc::Hart& h, std::function<void(ppc::Hart&)> done, os::SwapThreads_if::SystemBody body);
  void record_phase(uint64_t now, unsigned cpu, uint8_t phase);
  // Where the time goes. A system thread of the swap on `cpu`: made now, waiting for the CPU; each
  // step of `body` first settles what it waited on (the reason given to block() until the kernel made
  // it runnable, the CPU after that), then works. A step that spins sets its activity itself.
  void spawn(ppc::Hart& h, unsigned cpu, std::string name, os::SwapThreads_if::SystemBody body);
  void set_activity(unsigned cpu, uint64_t now, Activity a);
  // The thread leaves its CPU waiting on `why` (until someone wakes it).
  os::SystemStep block(ppc::Hart& h, Activity why);
  // The GTT entry's lock for writing; while a miss on another CPU holds it, the caller spins (waiting for other CPUs).
  bool lock_root(ppc::Hart& h);
  void note_old_reps();
  void note_old_rep(uint64_t rep) {
    if (!is_old_rep(rep)) old_reps_.push_back(rep);
  }
  bool is_old_rep(uint64_t rep) const { return std::find(old_reps_.begin(), old_reps_.end(), rep) != old_reps_.end(); }
 public:
  // Under way, `rep` is one of its old object's (of old_impl) or its new one's (of new_impl): the object's
  // rep while its root is out of the translation tables (the oracle: a reused block in use legitimately).
  bool holds_rep(uint64_t rep, unsigned impl) const;

 protected:
  // Where a strategy's swap claims its safe point: true when it goes on now (no patch: the safe point is
  // reached here; or this arrival completed its patch's joint point); false when it holds until
  // resume_joint (its patch commits or gives up).
  bool arrive_joint(ppc::Hart& h);
  // A member that had arrived is not quiescent any more (a call let through): the patch waits for it again.
  void leave_joint();
  // The safe point (without a patch) or the joint point, for this swap: by default reach_safe_point.
  virtual void at_joint_point(ppc::Hart& h) { reach_safe_point(h); }
  // The patch decided (joint_ says how) while this member held or had not arrived: wake what waits.
  virtual void resume_joint(ppc::Hart&) {}
  enum class Joint : uint8_t { None, Holding, Committed, Aborted };
  Joint joint_ = Joint::None;
  Patch* patch_ = nullptr;
  // The safe point: the strategy claims nothing runs in the old object; the protocol is negotiated,
  // and for copy and transform the state is handed over (the oracle watches the old code from now on).
  void reach_safe_point(ppc::Hart& h);
  // The old state belongs to the new implementation from now on (SafetyOracle::hand_over).
  void hand_over(ppc::Hart& h);
  // Moves this CPU's part of the state: its rep (per-CPU roots) or lines
  // [rank, rank + parts, ...) of the shared rep; the shared state when rank is 0.
  void transfer_part(ppc::Hart& h, unsigned cpu, unsigned rank, unsigned parts);
  // The whole state, on h's CPU.
  void transfer_all(ppc::Hart& h);
  // GTT root to the new object; on every CPU that had the object installed, its LTT entry to its new rep.
  // By reference, the old reps are handed over here (`hand_over_by_reference`), unless the strategy
  // lets old calls run on and hands them over itself later (rcu).
  void swing(ppc::Hart& h, bool hand_over_by_reference = true);
  uint64_t new_rep(unsigned cpu, ppc::Hart* h = nullptr);  // made by h, from its CPU's pool
  void finish(ppc::Hart& h);
  // The swap ends without completing (stack tracing after max_retries): the old object stays in place,
  // `done` runs so that whoever waits on the swap (an update, the next swap of the object) goes on.
  void give_up(ppc::Hart& h);
  uint64_t& detail(const char* name);
  std::vector<DetailRow>& table(const char* name);
  // A system thread's sleep, waiting on `why`: it runs again `cycles` from now.
  os::SystemStep sleep(ppc::Hart& h, unsigned tid, uint64_t cycles, Activity why);
  uint64_t us_to_cycles(double us) const;
  // The swap's own structures, freed with the old object after it (the Mediator's reps and line; the
  // tables a walker reads, from work_block).
  virtual std::vector<uint64_t> scaffolding() const { return work_blocks_; }
  // A block for the swap's own guest tables, from the OS allocator (its traffic paid on h's CPU), freed
  // with the scaffolding when the swap ends.
  uint64_t work_block(ppc::Hart& h, const std::string& name, uint64_t bytes);
  // At the end: the old object and the scaffolding to the reclaimer, by the strategy's rule.
  void retire(ppc::Hart& h);

  SwapContext& ctx_;
  unsigned id_, coid_, old_impl_, new_impl_;
  const StrategyInfo& info_;
  std::string label_;
  unsigned cpus_;
  bool started_ = false, finished_ = false, given_up_ = false;
  uint64_t start_cycle_ = 0, safe_cycle_ = 0, end_cycle_ = 0;
  std::optional<Protocol> protocol_;
  std::vector<uint8_t> phase_;
  std::vector<CpuSwapRecord> rec_;
  std::vector<uint64_t> old_reps_;     // every rep of the old object (for the oracle)
  std::unique_ptr<os::Root> old_root_;  // the old object's, once swung out
  std::unique_ptr<os::Root> new_root_;  // the new object's, until swung in
  std::function<void(ppc::Hart&)> done_cb_;
  std::vector<std::pair<std::string, uint64_t>> details_;
  std::vector<HeldCall> held_log_;
  std::vector<std::pair<std::string, std::vector<DetailRow>>> tables_;
  SwapMemory mem_;
  std::vector<uint64_t> freed_early_;  // reps free_early gave back
  uint64_t unused_shared_ = 0;         // by reference: the new root's own shared state, replaced by the old one
  std::vector<uint64_t> work_blocks_;  // work_block's
  bool scaffolding_freed_ = false;     // scaffolding() went back to the allocator (its blocks may be others' now)

 private:
  struct Ledger {
    bool open = false, blocked = false;
    Activity what = Activity::Cpu;
    uint64_t since = 0;
  };
  void account(unsigned cpu, uint64_t now);  // [since, now) to the current phase and activity
  static void append_span(std::vector<ActivitySpan>& spans, const ActivitySpan& sp);
  std::vector<Ledger> ledger_;
  bool arriving_ = false;  // inside arrive_joint: a commit now needs no wake-up
};

}  // namespace quiesce::hotswap
