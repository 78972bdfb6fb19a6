// The hot-swap layer of one run: turns the scenario's swap events into swaps
// made by each event's strategy at the right time (or once enough calls
// completed), one swap of an object at a time, and keeps the safety oracle.
// Reaches the kernel through its swap interface (os_model/swap_interface.h);
// the kernel knows nothing of it.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hotswap/dynamic_update.h"
#include "hotswap/hotswap_spec.h"
#include "hotswap/patch.h"
#include "hotswap/policy.h"
#include "hotswap/quiescence_strategy.h"
#include "hotswap/reclaimer.h"
#include "hotswap/safety_oracle.h"
#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

class HotSwapManager {
 public:
  // `objects` resolves event object names (group or "name[i]") to COIDs.
  // `strategies` gave the kernel its call gates when it was built.
  HotSwapManager(os::SwapInterface kernel, const std::vector<os::ImplementationSpec>& impls,
                 const std::vector<os::ObjectSpec>& objects, const HotSwapSpec& spec, StrategySet& strategies);

  const std::vector<std::unique_ptr<Swap>>& swaps() const { return swaps_; }
  const std::vector<std::unique_ptr<DynamicUpdate>>& updates() const { return updates_; }
  const std::vector<std::unique_ptr<Patch>>& patches() const { return patches_; }
  const SafetyOracle& oracle() const { return oracle_; }
  // The events, numbered as summary.json's scenario.events lists them: the swap events, then
  // the updates (update u is event swaps + u). Each swap belongs to the event that asked for it
  // (one queued behind another swap of its object included).
  unsigned event_of(unsigned swap_id) const { return swap_event_[swap_id]; }
  bool fired(unsigned event) const { return fired_[event]; }
  size_t targets(unsigned swap_event) const { return targets_[swap_event].size(); }  // its instances
  unsigned queued(unsigned event) const;  // its swaps that wait, not started yet, behind another
  // The exactly-once audit, once the run is over: an instance whose every
  // implementation (its first, and each one a swap gave it) counts its calls
  // in its state — every method generated with `state_atomics` >= 1, whose
  // first atomic adds 1 to the state's first word, or compiled from C and
  // declared `counts_calls` (it promises the same) — must hold, summed over its
  // reps, exactly the executions of its methods by the calls the kernel saw
  // complete, plus at most one for each call still under way at the end that
  // executes it (a long-lived thread mid-call, a call held by a swap that
  // never completed): it may or may not have counted itself yet. Outside that
  // range a call was lost or served twice (or state lost in a transfer): a
  // violation. An instance whose swap had not completed at the end (its state
  // between two implementations) is listed with why it was not audited.
  struct Audit {
    std::string object;
    uint64_t served = 0, counted = 0, in_flight = 0;
    std::string skipped;  // why it was not audited, if so
  };
  void audit_calls();
  const std::vector<Audit>& audits() const { return audits_; }

  // Autonomic swaps (policy.h): the run's policies (null without any), and the entry point their decisions
  // use. start_policy_swaps swaps each of `coids` to `to` by `strategy`, started from h's CPU as an event's
  // swaps are (one waiting behind another swap of its object starts after it); `done` once every one ended.
  // Their event_of is kPolicyEvent + decision.
  static constexpr unsigned kPolicyEvent = 1u << 31;
  const PolicyEngine* policies() const { return policies_.get(); }
  PolicyEngine* policies() { return policies_.get(); }
  void start_policy_swaps(ppc::Hart& h, unsigned decision, const std::vector<unsigned>& coids, unsigned to,
                          const std::string& strategy, std::function<void(ppc::Hart&, uint64_t)> done);
  bool swapping_any(const std::vector<unsigned>& coids) const;
  void retire_old_tables(DynamicUpdate& d, const std::string& class_name);
  // A policy's update action: a dynamic update (`u`: class, version, mode, strategy) to implementation `to`,
  // started from h's CPU as an update event is; its swaps are decision `decision`'s. `done(end)` once it completes.
  DynamicUpdate& start_policy_update(ppc::Hart& h, unsigned decision, const UpdateEvent& u, unsigned to,
                                     std::function<void(uint64_t)> done);
  const std::vector<std::unique_ptr<DynamicUpdate>>& policy_updates() const { return policy_updates_; }
  // An update of class `cls` (an event's or a policy's) under way, or a swap of one of its factory's instances.
  bool updating(const std::string& cls) const;
  const std::string& implementation_name(unsigned impl) const { return impls_[impl].name; }

 private:
  // Runs `fire` on `cpu` at at_us, or once after_calls calls completed.
  void when(unsigned cpu, double at_us, uint64_t after_calls, std::function<void(ppc::Hart&)> fire);
  void begin(ppc::Hart& h, unsigned event);
  // A patch fires: every part's swaps start at once, each a member of the patch.
  void begin_patch(ppc::Hart& h, unsigned patch);
  Patch* patch_of(unsigned event) const;
  // One instance's swap for `event`, started from h's CPU; `done` when it completes (at once if nothing to do).
  void start_swap(ppc::Hart& h, unsigned event, unsigned coid, unsigned to, const std::string& strategy,
                  DynamicUpdate::SwapDone done);
  bool swapping(unsigned coid) const;  // a swap of that instance is under way

  os::SwapInterface k_;
  const std::vector<os::ImplementationSpec>& impls_;
  HotSwapSpec spec_;
  SafetyOracle oracle_;
  Reclaimer reclaimer_;
  SwapContext ctx_;
  StrategySet& strategies_;
  std::vector<std::vector<unsigned>> targets_;  // per swap event: COIDs
  std::vector<unsigned> to_impl_;               // per swap event
  std::vector<std::string> labels_;             // per swap event: per COID label prefix
  std::vector<bool> fired_;                     // per event
  std::vector<std::unique_ptr<Swap>> swaps_;
  std::vector<unsigned> swap_event_;            // per swap id: its event
  std::vector<Swap*> active_;         // started, not finished: the ones calls and polls can concern
  std::map<unsigned, std::vector<Swap*>> by_coid_;
  // Swaps asked for while the same object is being swapped: they start, in
  // order, when the running one completes (on the CPU that completed it).
  struct Pending {
    unsigned event, to;
    std::string strategy;
    DynamicUpdate::SwapDone done;
  };
  std::map<unsigned, std::vector<Pending>> waiting_;
  std::vector<std::unique_ptr<DynamicUpdate>> updates_;
  std::vector<std::unique_ptr<DynamicUpdate>> policy_updates_;  // the policies' update actions, in decision order
  std::vector<std::unique_ptr<Patch>> patches_;
  std::vector<Audit> audits_;
  std::unique_ptr<PolicyEngine> policies_;
};

}  // namespace quiesce::hotswap
