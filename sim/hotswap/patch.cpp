#include "hotswap/patch.h"

#include <algorithm>

#include <fmt/format.h>

#include "diag/log.h"
#include "hotswap/swap.h"

namespace quiesce::hotswap {

const char* outcome_name(Patch::Outcome o) {
  switch (o) {
    case Patch::Outcome::Pending: return "pending";
    case Patch::Outcome::Committed: return "committed";
    case Patch::Outcome::GivenUp: return "given_up";
  }
  return "?";
}

Patch::Patch(unsigned id, const PatchEvent& ev, os::SwapInterface k) : id_(id), ev_(ev), k_(k) {}

void Patch::begin(ppc::Hart& h, unsigned members) {
  fired_ = true;
  start_ = h.cycle();
  expected_ = members;
  QLOG(Swap, Info, h.cycle(), h.id(), "patch {}: fires, {} member swaps", id_, members);
  if (ev_.give_up_us > 0) {
    const uint64_t at = start_ + k_.us_to_cycles(ev_.give_up_us);
    k_.hooks.at(ev_.cpu, at, [this](ppc::Hart& hh) {
      if (outcome_ == Outcome::Pending)
        abort(hh, fmt::format("the joint safe point was not reached within give_up_us ({} us)", ev_.give_up_us));
    });
  }
}

PatchMember* Patch::member(const Swap& s) {
  for (PatchMember& m : members_)
    if (m.swap == &s) return &m;
  return nullptr;
}

void Patch::join(Swap& s, uint64_t now) {
  members_.push_back({&s, now, 0, false});
  s.join_patch(*this);
}

// A member with nothing to do (its object already there): the patch no longer waits for it.
void Patch::skip(ppc::Hart& h) {
  --expected_;
  maybe_commit(h);
  for (const PatchMember& o : members_)
    if (outcome_ == Outcome::Pending && !o.arrived && others_ready(*o.swap)) o.swap->others_arrived(h);
}

void Patch::ready(Swap& s, ppc::Hart& h) {
  PatchMember* m = member(s);
  if (!m || outcome_ != Outcome::Pending) return;
  m->arrived = true;
  m->ready = h.cycle();
  maybe_commit(h);
  if (outcome_ != Outcome::Pending) return;
  for (const PatchMember& o : members_)  // the one left, if it waits for the others (a stop-the-world)
    if (!o.arrived && others_ready(*o.swap)) o.swap->others_arrived(h);
}

bool Patch::others_ready(const Swap& s) const {
  if (members_.size() < expected_) return false;
  for (const PatchMember& m : members_)
    if (m.swap != &s && !m.arrived) return false;
  return true;
}

bool Patch::in_other_member(unsigned tid, const Swap& s) const {
  const std::vector<unsigned> inside = k_.facts.executions(tid);
  for (const PatchMember& m : members_)
    if (m.swap != &s && std::find(inside.begin(), inside.end(), m.swap->coid()) != inside.end()) return true;
  return false;
}

void Patch::unready(Swap& s) {
  if (PatchMember* m = member(s); m && outcome_ == Outcome::Pending) m->arrived = false;
}

void Patch::maybe_commit(ppc::Hart& h) {
  if (outcome_ != Outcome::Pending || members_.size() < expected_) return;
  for (const PatchMember& m : members_)
    if (!m.arrived) return;
  // The joint safe point: every member holds at its own, all now.
  outcome_ = Outcome::Committed;
  joint_ = end_ = h.cycle();
  QLOG(Swap, Info, h.cycle(), h.id(), "patch {}: joint safe point, {} members switch", id_, members_.size());
  for (const PatchMember& m : members_) m.swap->commit_joint(h);
  for (auto& f : on_commit_) f(h);
}

void Patch::gave_up(Swap& s, ppc::Hart& h) {
  if (outcome_ != Outcome::Pending) return;
  abort(h, fmt::format("swap {} of {} ({}) gave up: {}", s.id(), s.label(), s.strategy(), s.describe()));
}

void Patch::abort(ppc::Hart& h, std::string why) {
  outcome_ = Outcome::GivenUp;
  end_ = h.cycle();
  why_ = std::move(why);
  QLOG(Swap, Warn, h.cycle(), h.id(), "patch {}: gives up ({}); every part keeps its old implementation", id_, why_);
  for (const PatchMember& m : members_) m.swap->abort_joint(h);
}

std::string Patch::describe() const {
  unsigned arrived = 0;
  for (const PatchMember& m : members_) arrived += m.arrived;
  return fmt::format("patch {}: {}; {} of {} member swaps started, {} at their safe points", id_,
                     outcome_name(outcome_), members_.size(), expected_, arrived);
}

}  // namespace quiesce::hotswap
