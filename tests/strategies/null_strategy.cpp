// null_swap: a strategy that exists only in the tests (the binary quiesce_test_strategies), the
// proof that a strategy is one file and one registration line. No call gate; a swap waits
// delay_us, then moves the state and swings the root with no quiescence at all. Unsafe on
// purpose: with calls in flight the safety oracle must flag it. (Not named plain "null": YAML
// reads `strategy: null` as no value.)
#include <fmt/format.h>

#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {
namespace {

class NullSwap final : public Swap {
 public:
  enum : uint8_t { kPause, kTransfer, kComplete };  // indices into StrategyInfo::phases
  NullSwap(SwapContext& ctx, const StrategyInfo& info, const StrategyParams& p, unsigned id, unsigned coid,
           unsigned to, std::string label)
      : Swap(ctx, info, id, coid, to, std::move(label)), delay_us_(p.real("delay_us")) {}
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override {
    launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
  }
  std::string describe() const override {
    return fmt::format("swap {} of {} (null_swap): pausing {} us", id_, label_, delay_us_);
  }

 private:
  os::SystemStep step(ppc::Hart& h, const os::Thread& t) {
    auto& k = ctx_.k;
    if (!paused_) {
      paused_ = true;
      record_phase(h.cycle(), h.id(), kPause);
      return sleep(h, t.id, us_to_cycles(delay_us_), Activity::Quiescence);  // what it claims to wait for
    }
    if (!lock_root(h)) return os::SystemStep::Again;
    record_phase(h.cycle(), h.id(), kTransfer);
    // What it ignores (for tools/torture's report): calls into the object begun by now (another CPU may be ahead).
    for (size_t i = 0; i < k.threads.count(); ++i)
      if (const os::Thread& o = k.threads.thread(static_cast<unsigned>(i));
          o.call_under_way() && o.call_coid == coid_ && o.call_start <= h.cycle())
        ++detail("calls_in_flight");
    reach_safe_point(h);  // a claim with nothing behind it: the oracle checks it
    transfer_all(h);
    swing(h);
    k.objects.unlock_root(h, coid_);
    record_phase(h.cycle(), h.id(), kComplete);
    record_phase(h.cycle(), h.id(), kPhaseDone);
    finish(h);
    return os::SystemStep::Exit;
  }

  const double delay_us_;
  bool paused_ = false;
};

class NullStrategy final : public QuiescenceStrategy {
 public:
  NullStrategy(const StrategyInfo& info, const StrategyParams& p) : QuiescenceStrategy(info), params_(p) {}
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    return std::make_unique<NullSwap>(*ctx_, info_, params_, id, coid, to, std::move(label));
  }

 private:
  StrategyParams params_;
};

StrategyEntry null_strategy() {
  StrategyInfo i;
  i.name = "null_swap";
  i.summary = "a test-only strategy: wait, then swap with no quiescence at all";
  i.safe = false;
  i.safety = "unsafe on purpose: it never waits for the calls in flight; the safety oracle must flag a swap with "
             "calls in flight";
  i.fast_path = "nothing (no call gate)";
  i.waits_for = "a fixed delay (no quiescence)";
  i.phases = {"pause", "transfer", "complete"};
  i.params = {{"delay_us", 1, 0, 1e6, "us", "how long the swap waits before switching, with no quiescence at all",
               false}};
  i.test_only = true;
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) {
            return std::make_unique<NullStrategy>(info, p);
          }};
}

}  // namespace

static const StrategyRegistrar registrar{null_strategy()};  // the one registration line

}  // namespace quiesce::hotswap
