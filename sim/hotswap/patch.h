// A patch: several swaps and eager updates that switch as one unit (issue 23).
// Each part's swaps run as usual up to their safe points, and hold there: the
// calls their strategy stops stay stopped, nothing of the new implementation
// runs. When the last member arrives, that moment is the joint safe point:
// every member reaches its safe point at once (the oracle checks each old
// object there), the updates' factories switch, and every member goes on to
// transfer and switch. A member that gives up, or a joint point not reached
// within give_up_us, aborts the patch: every member goes back, each by its
// strategy's way, and every part keeps its old implementation.
//
// Only strategies that can hold at their safe point and go back from there
// take part (StrategyInfo::in_patch); the scenario reader checks.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hotswap/hotswap_spec.h"
#include "os_model/swap_interface.h"

namespace quiesce::hotswap {

class Swap;

// One member's record: its swap, when it arrived at its safe point (last, if a let-through call took its
// arrival back) and how long it held there for the others.
struct PatchMember {
  Swap* swap;
  uint64_t joined = 0, ready = 0;  // cycles; ready 0: not at its safe point
  bool arrived = false;
};

class Patch {
 public:
  enum class Outcome : uint8_t { Pending, Committed, GivenUp };
  Patch(unsigned id, const PatchEvent& ev, os::SwapInterface k);

  // The patch fires: `members` swaps are to join it (some may start later, behind another swap of
  // their object; one whose object is already there is skipped).
  void begin(ppc::Hart& h, unsigned members);
  void join(Swap& s, uint64_t now);
  void skip(ppc::Hart& h);
  // Every part has started what it starts now (a patch with no member left commits at once).
  void started(ppc::Hart& h) { maybe_commit(h); }
  // A member at its safe point, holding: the last one commits the patch (every member, now).
  void ready(Swap& s, ppc::Hart& h);
  // A member's quiescence was taken back (a call let through).
  void unready(Swap& s);
  // A member gave up on its own (or the patch is aborted): the others go back.
  void gave_up(Swap& s, ppc::Hart& h);
  // Runs at the joint point, after the members' safe points (an update's factory switch).
  void on_commit(std::function<void(ppc::Hart&)> f) { on_commit_.push_back(std::move(f)); }

  unsigned id() const { return id_; }
  Outcome outcome() const { return outcome_; }
  bool aborted() const { return outcome_ == Outcome::GivenUp; }
  // Every member but `s` has started and is at its safe point (a stop-the-world member starts its stop then).
  bool others_ready(const Swap& s) const;
  // Whether thread `tid`'s current call executes an instance another member swaps: a member holding at its
  // safe point lets such a call through (taking its arrival back), or the other member might wait for it.
  bool in_other_member(unsigned tid, const Swap& s) const;
  bool fired() const { return fired_; }
  uint64_t start_cycle() const { return start_; }
  uint64_t joint_cycle() const { return joint_; }  // 0: not reached
  uint64_t end_cycle() const { return end_; }      // the decision: the joint point, or giving up
  const std::string& why() const { return why_; }  // why it gave up
  const std::vector<PatchMember>& members() const { return members_; }
  unsigned expected() const { return expected_; }
  std::string describe() const;

 private:
  void maybe_commit(ppc::Hart& h);
  void abort(ppc::Hart& h, std::string why);
  PatchMember* member(const Swap& s);

  unsigned id_;
  PatchEvent ev_;
  os::SwapInterface k_;
  bool fired_ = false;
  Outcome outcome_ = Outcome::Pending;
  unsigned expected_ = 0;
  uint64_t start_ = 0, joint_ = 0, end_ = 0;
  std::string why_;
  std::vector<PatchMember> members_;
  std::vector<std::function<void(ppc::Hart&)>> on_commit_;
};

const char* outcome_name(Patch::Outcome o);

}  // namespace quiesce::hotswap
