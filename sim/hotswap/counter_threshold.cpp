// counter_threshold: the K42 mailing list's demo switcher for Linux modules,
// which "directs the calls between the new and old versions" using counters
// with arbitrary thresholds. Every call passes the switcher, which counts it
// (a plain load, add and store on the object's line); a swap waits until
// threshold_calls more calls went through, then moves the state and redirects
// calls at once — without establishing quiescence. Unsafe on purpose: with
// calls in flight the safety oracle reports them.
#include <bit>

#include <fmt/format.h>

#include "cpu_ppc64/encoder.h"
#include "hotswap/counting_strategy.h"

namespace quiesce::hotswap {

namespace {
namespace enc = ppc::enc;
using Step = os::SystemStep;

class ThresholdSwap final : public Swap {
 public:
  enum : uint8_t { kCount, kTransfer, kComplete };
  ThresholdSwap(SwapContext& ctx, const StrategyInfo& info, const StrategyParams& p, unsigned id, unsigned coid,
                unsigned to, std::string label, uint64_t counter)
      : Swap(ctx, info, id, coid, to, std::move(label)),
        step_cycles_(p.u32("worker_step_cycles")),
        poll_us_(p.real("poll_us")),
        threshold_(p.u64("threshold_calls")),
        counter_(counter) {}
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override {
    launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
  }
  std::string describe() const override {
    return fmt::format("swap {} of {} (counter_threshold): {} of {} calls counted", id_, label_, counted_,
                       threshold_);
  }

 private:
  Step step(ppc::Hart& h, const os::Thread& t) {
    auto& k = ctx_.k;
    h.charge(step_cycles_);
    if (!counting_) {
      record_phase(h.cycle(), h.id(), kCount);
      base_ = os::host_load(h, counter_);
      counting_ = true;
    }
    counted_ = os::host_load(h, counter_) - base_;
    if (counted_ < threshold_) return sleep(h, t.id, us_to_cycles(poll_us_), Activity::Quiescence);
    if (!lock_root(h)) return Step::Again;
    record_phase(h.cycle(), h.id(), kTransfer);
    // What the switcher ignores: top-level calls to the object between their start and their end.
    for (size_t id = 0; id < k.threads.count(); ++id)
      if (const os::Thread& o = k.threads.thread(static_cast<unsigned>(id)); o.call_under_way() && o.call_coid == coid_)
        ++detail("calls_in_flight");
    reach_safe_point(h);  // the switcher's claim, which the oracle checks
    transfer_all(h);
    swing(h);
    k.objects.unlock_root(h, coid_);
    record_phase(h.cycle(), h.id(), kComplete);
    record_phase(h.cycle(), h.id(), kPhaseDone);
    detail("calls_counted") = counted_;
    finish(h);
    return Step::Exit;
  }

  const uint32_t step_cycles_;
  const double poll_us_;
  const uint64_t threshold_;
  uint64_t counter_, base_ = 0, counted_ = 0;
  bool counting_ = false;
};

class CounterThreshold final : public QuiescenceStrategy {
 public:
  CounterThreshold(const StrategyInfo& info, const StrategyParams& params) : QuiescenceStrategy(info), params_(params) {}
  os::CallGate gate(const os::SwapInterface& k, unsigned) override {
    if (!table_) {
      table_ = allocate_object_lines(k, name());
      shift_ = static_cast<unsigned>(std::countr_zero(k.facts.line_bytes() / 8));
      line_ = k.facts.line_bytes();
    }
    auto w = object_line_code(table_, shift_, 11, 12);
    for (uint32_t x : {enc::ld(12, 0, 11), enc::addi(12, 12, 1), enc::std_(12, 0, 11)}) w.push_back(x);
    return {w, {}, 0};
  }
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override {
    return std::make_unique<ThresholdSwap>(*ctx_, info_, params_, id, coid, to, std::move(label),
                                           table_ + uint64_t{coid} * line_);
  }

 private:
  StrategyParams params_;
  uint64_t table_ = 0;
  unsigned shift_ = 4;
  uint32_t line_ = 128;
};
}  // namespace

StrategyEntry counter_threshold_strategy() {
  StrategyInfo i;
  i.name = "counter_threshold";
  i.summary =
      "the K42 mailing list's demo switcher: after threshold_calls more calls it moves the state and redirects calls, without quiescence";
  i.safe = false;
  i.joins_patches = false;
  i.in_patch = "no: it has no safe point to hold at (unsafe on purpose)";
  i.safety = "unsafe on purpose: it moves the state and redirects calls without waiting for the calls in flight; "
             "the safety oracle must flag a swap with calls in flight";
  i.fast_path = "plain increment of a call counter (the switcher)";
  i.waits_for = "a number of calls (no quiescence)";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at its end, with no check at all: unsafe, as its swaps are";
  i.phases = {"count", "transfer", "complete"};
  i.params = {
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "the switcher's bookkeeping each time it runs a step"},
      {"poll_us", 1, 0.001, 1e6, "us", "how often the switcher re-reads the call counter", false},
      {"threshold_calls", 100, 1, 1e9, "calls", "calls after which the switcher redirects"},
  };
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) {
            return std::make_unique<CounterThreshold>(info, p);
          }};
}

}  // namespace quiesce::hotswap
