// k42_generation: the patent's Mediator with K42's thread generations
// (mediator.h). Nothing on the fast path beyond the translation every call
// makes anyway; the swap interposes on the object and waits, per CPU, for two
// generation swaps and for the calls it forwarded. The strategy owns the
// mediation routine: the guest code every mediator rep's vtable sends calls to
// (mediation_code.h), the host-call entries where the host decides, and the
// entry forwarded calls return through.
#include <fmt/format.h>

#include "hotswap/mediation_code.h"
#include "hotswap/mediator.h"
#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {

namespace {
constexpr unsigned kMethodEntries = os::kMaxMethods;  // entries 0..63: methods; 64: forwarded return

class K42Generation final : public QuiescenceStrategy {
 public:
  K42Generation(const StrategyInfo& info, const StrategyParams& params) : QuiescenceStrategy(info), params_(params) {}

  void attach(SwapContext& ctx) override {
    ctx_ = &ctx;
    auto& k = ctx.k;
    routine_.returns.resize(k.threads.count());
    routine_.forwarded.resize(k.threads.count());
    const uint64_t entries = k.hooks.add_host_calls(kMethodEntries + 1, [this](ppc::Hart& h, unsigned i) { return on_call(h, i); });
    routine_.return_entry = entries + 4 * kMethodEntries;
    const MediationCode code = mediation_code(entries, kMethodEntries, routine_.return_entry, params_.u32("hash_slots"));
    const uint64_t at = k.objects.heap().allocate("Mediator.code", 4 * code.words.size());
    for (size_t w = 0; w < code.words.size(); ++w) k.facts.memory().store<uint32_t>(at + 4 * w, code.words[w]);
    routine_.forward_code = at + 4 * code.forward;
    routine_.return_code = at + 4 * code.ret;
    routine_.vtable = k.objects.heap().allocate("Mediator.vtable", 8 * kMethodEntries);
    for (unsigned m = 0; m < kMethodEntries; ++m)
      k.facts.memory().store<uint64_t>(routine_.vtable + 8 * m, at + 4 * code.stubs[m]);
    k.hooks.add_thread_describer([this](const os::Thread& t) {
      const uint32_t n = routine_.forwarded[t.id];
      return n ? fmt::format(" (in {} forwarded calls)", n) : std::string();
    });
  }

  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    auto m = std::make_unique<Mediator>(*ctx_, routine_, info_, params_, id, coid, to, std::move(label));
    mediators_.push_back(m.get());
    return m;
  }

 private:
  // Entry m: method m of whichever mediator owns the rep in r3; the last entry is where forwarded calls return.
  ppc::HartAction on_call(ppc::Hart& h, unsigned index) {
    const os::Thread* t = ctx_->k.threads.current(h.id());
    if (index == kMethodEntries) {
      if (!t || routine_.returns[t->id].empty()) {
        h.raise_trap("a return into a hot-swap mediator with no forwarded call");
        return ppc::HartAction::Fault;
      }
      const auto [m, lr] = routine_.returns[t->id].back();
      routine_.returns[t->id].pop_back();
      m->returned(h, lr);
      return ppc::HartAction::Continue;
    }
    const uint64_t rep = h.state().gpr[3];
    for (Mediator* m : mediators_)
      if (!m->finished() && m->owns_rep(h.id(), rep)) return m->intercept(h, index);
    for (Mediator* m : mediators_)  // a finished one, reached by a call that had already loaded its rep
      if (m->owns_rep(h.id(), rep)) return m->intercept(h, index);
    h.raise_trap(fmt::format("a call reached the mediator entries with r3 0x{:x}, not a mediator rep", rep));
    return ppc::HartAction::Fault;
  }

  StrategyParams params_;
  MediationRoutine routine_;
  std::vector<Mediator*> mediators_;  // every one made, in order (the swaps own them)
};
}  // namespace

StrategyEntry k42_generation_strategy() {
  StrategyInfo i;
  i.name = "k42_generation";
  i.summary =
      "the patent's Mediator with K42's thread generations: interpose, forward calls while two generation swaps per CPU prove the older threads ended, block new calls until the forwarded ones return, transfer, complete";
  i.safe = true;
  i.joins_patches = true;
  i.patch_lets_callers_through = true;
  i.in_patch = "its workers hold at the first meeting (every CPU's calls blocked or drained) until the others are at theirs; a call let through (a thread in a forwarded call) takes the arrival back, so parts that call each other do not wait for each other. Going back: the old root is swung back, LTT entries reset, blocked calls released to the old object";
  i.safety = "a thread that entered the old object before the interposition ends before the Block phase (two "
             "generation swaps per CPU); forwarded calls drain before the transfer; new calls are blocked meanwhile";
  i.fast_path = "nothing beyond the translation (DREF)";
  i.waits_for = "generations";
  i.reclaim = Reclaim::Generations;
  i.reclaim_rule =
      "two generation swaps on every CPU after the swap's end (K42's deferred destruction): every thread that could have loaded the mediator's or the old object's rep from a translation entry before Complete has ended";
  i.phases = {"interpose", "forward", "block", "transfer", "complete"};
  i.params = {
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "a worker thread's bookkeeping each time it runs a step"},
      {"hash_slots", 64, 1, 4096, "slots", "slots of each Mediator rep's hash table of threads in forwarded calls", true, true},
      {"generations", 2, 1, 8, "", "generation swaps per CPU, counted from its worker's start, that prove the threads "
       "alive then have ended (1 is unsafe: for ablations and the oracle's mutation test)", true, false,
       "K42 keeps two generations per CPU (the seeds' K42 paper)"},
  };
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) {
            return std::make_unique<K42Generation>(info, p);
          }};
}

}  // namespace quiesce::hotswap
