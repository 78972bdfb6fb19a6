// direct: Lee & Chang's direct swapping. Callers are bound to the method at
// build time — each call site loads `this` as an immediate and branches
// straight to the method, no translation table — so the fast path is the
// cheapest there is. A swap reaches quiescence by stack tracing (stack_trace.h),
// then, with the world still stopped, rewrites every call site of the object
// (the cost grows with the number of references: call_sites per instance and
// method), writes the changed lines back (dcbst, sync) and, on every CPU as it
// resumes, discards them from its instruction cache (icbi, isync).
#include <set>

#include "cpu_ppc64/core_timing.h"
#include "hotswap/quiescence_strategy.h"
#include "hotswap/stack_trace.h"
#include "hotswap/stack_walk.h"

namespace quiesce::hotswap {

namespace {

class DirectSwap final : public StackTraceSwap {
 public:
  using StackTraceSwap::StackTraceSwap;

 private:
  std::vector<std::pair<uint64_t, uint64_t>> call_sites() const override {
    const auto& k = ctx_.k;
    const uint64_t bytes = 4 * k.facts.direct_site_code(0, 0, 0).size();  // every site is as long
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const auto& site : k.facts.direct_sites(coid_)) out.emplace_back(site.addr, site.addr + bytes);
    return out;
  }
  void rebind(ppc::Hart& h) override {
    auto& k = ctx_.k;
    const uint32_t line = k.facts.line_bytes();
    const ppc::CoreTiming timing;
    const uint64_t rep = new_rep(0, &h);
    std::set<uint64_t> lines;
    for (const auto& site : k.facts.direct_sites(coid_)) {
      const uint64_t entry = h.memory().load<uint64_t>(k.objects.vtable(new_impl_) + 8 * uint64_t{site.method});
      const auto words = k.facts.direct_site_code(site.addr, rep, entry);
      for (size_t i = 0; i < words.size(); ++i) {
        h.timed_access(mem::AccessKind::Store, site.addr + 4 * i, 4);
        h.memory().store<uint32_t>(site.addr + 4 * i, words[i]);
      }
      h.forget_decoded(site.addr, 4 * words.size());
      lines.insert(site.addr & ~uint64_t{line - 1});
      lines.insert((site.addr + 4 * words.size() - 1) & ~uint64_t{line - 1});
      ++detail("sites_patched");
    }
    for (uint64_t l : lines) {  // dcbst each changed line, then sync
      h.charge(timing.cache_op);
      h.timed_access(mem::AccessKind::DcbSt, l, line);
    }
    h.charge(timing.sync);
    h.timed_access(mem::AccessKind::Sync, 0, 0);
    lines_.assign(lines.begin(), lines.end());
    detail("lines_patched") = lines_.size();
  }
  void resumed(ppc::Hart& h) override {  // icbi each changed line, then isync, on this CPU
    const ppc::CoreTiming timing;
    const uint32_t line = ctx_.k.facts.line_bytes();
    for (uint64_t l : lines_) {
      h.charge(timing.cache_op);
      h.timed_access(mem::AccessKind::Icbi, l, line);
    }
    h.charge(timing.isync);
    h.timed_access(mem::AccessKind::ISync, 0, 0);
  }

  std::vector<uint64_t> lines_;
};

class Direct final : public QuiescenceStrategy {
 public:
  Direct(const StrategyInfo& info, const StrategyParams& params)
      : QuiescenceStrategy(info), params_(params), sites_(params.u32("call_sites")) {}
  os::CallGate gate(const os::SwapInterface&, unsigned) override { return {{}, {}, sites_}; }
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    if (!walk_code_) walk_code_ = install_stack_walk(ctx_->k.objects.heap());
    return std::make_unique<DirectSwap>(*ctx_, info_, params_, id, coid, to, std::move(label), walk_code_);
  }

 private:
  StrategyParams params_;
  unsigned sites_;
  uint64_t walk_code_ = 0;
};

}  // namespace

StrategyEntry direct_strategy() {
  StrategyInfo i;
  i.name = "direct";
  i.summary =
      "Lee & Chang's direct swapping: call sites bound to the method; quiescence as stack_trace, then every call site rewritten (call_sites per method), dcbst + sync, and icbi + isync on every CPU";
  i.safe = true;
  i.joins_patches = true;
  i.in_patch = "as stack_trace: last, inside its stop-the-world once every other part holds";
  i.safety = "as stack_trace; the call sites are rewritten and the instruction caches made coherent while the world "
             "is stopped";
  i.fast_path = "no translation: the call site loads `this` as an immediate and branches to the method";
  i.waits_for = "stack walks finding no thread inside";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the swap's end: the last stack walk found no thread whose stack, registers or saved LR holds the old object, and the call sites now bind the new one";
  i.phases = stack_trace_phases();
  i.params = stack_trace_params();
  i.stops_world = true;
  i.params.push_back({"call_sites", 1, 1, 4096, "sites", "call sites per instance and method: the references a swap rewrites"});
  // Each call site is bound to one rep of one implementation, for good; instances an update makes have none.
  i.constraints = {kConstraintSharedRoot, kConstraintExclusive, kConstraintNoUpdates, kConstraintSameInterface,
                   kConstraintStaticInstances};
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<Direct>(info, p); }};
}

}  // namespace quiesce::hotswap
