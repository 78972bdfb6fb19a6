// percpu_refcount: a counter per CPU per object (a CPU-local word after the
// CPU's LTT, reached from r13), updated with plain loads and stores — no
// atomics, no line shared on the fast path but the read-mostly "swap pending"
// word. A swap, like Linux's percpu_ref switching to atomic mode, first waits
// for a grace period (every CPU passed a kernel entry since the word was set,
// so no call is between counting itself in and checking it), then sums the
// CPUs' counters until the sum is zero.
#include "cpu_ppc64/encoder.h"
#include "hotswap/counting_strategy.h"

namespace quiesce::hotswap {

namespace {
namespace enc = ppc::enc;

class PercpuRefcount final : public CountingStrategy {
 public:
  PercpuRefcount(const StrategyInfo& info, const StrategyParams& p)
      : CountingStrategy(info, p), grace_(p.u32("grace_period") != 0) {}
  bool needs_grace() const override { return grace_; }
  // Counting in and reading the swap-pending word must not be split by a kernel entry on this CPU
  // (the grace period's premise), nor the counter's plain load and store by another thread's update:
  // under a preemptive kernel both run with interrupts off (Linux: percpu_ref under
  // rcu_read_lock_sched, preemption off). The slow path runs after, interrupts back on.
  void enter_code(enc::Assembler& a, enc::Label slow_call, const os::SwapInterface& k) const override {
    const bool off = k.facts.preemptive();
    if (off) interrupts_off(a);
    local(a, k.objects.local_offset(), +1);
    object_line(a, 11, 12);
    const enc::Label done = a.label("done");
    a.put(enc::ld(0, 0, 11));
    if (off) a.put(enc::mtmsrd(3, 1));
    a.put(enc::cmpdi(0, 0, 0));
    a.beq(0, done);
    put_slow_call(a, slow_call);
    a.bind(done);
  }
  void leave_code(enc::Assembler& a, const os::SwapInterface& k) const override {
    const bool off = k.facts.preemptive();
    if (off) interrupts_off(a);
    local(a, k.objects.local_offset(), -1);
    if (off) a.put(enc::mtmsrd(3, 1));
  }
  void undo_entry(ppc::Hart& h, unsigned coid) override {
    const uint64_t a = ctx_->k.objects.local_word(h.id(), coid);
    os::host_store(h, a, os::host_load(h, a) - 1);
  }
  void close(ppc::Hart& h, unsigned coid) override { os::host_store(h, line(coid), 1); }
  void reopen(ppc::Hart& h, unsigned coid) override { os::host_store(h, line(coid), 0); }
  int64_t count(ppc::Hart& h, unsigned coid) override {
    int64_t sum = 0;
    for (unsigned c = 0; c < ctx_->k.facts.cpus(); ++c)
      sum += static_cast<int64_t>(os::host_load(h, ctx_->k.objects.local_word(c, coid)));
    return sum;
  }

 private:
  // This CPU's counter of the object += delta: r11 = its offset from r13.
  const bool grace_;

  // MSR to r3 (free at both gate sites), then EE off; `mtmsrd r3, 1` puts it back.
  static void interrupts_off(enc::Assembler& a) {
    for (uint32_t w : {enc::mfmsr(3), enc::li(0, 0), enc::mtmsrd(0, 1)}) a.put(w);
  }
  static void local(enc::Assembler& a, uint64_t off, int delta) {
    const auto lo = static_cast<int16_t>(off & 0xffff);
    const auto ha = static_cast<int64_t>((off - static_cast<uint64_t>(int64_t{lo})) >> 16);
    for (uint32_t w : {enc::addis(11, os::kGateKeyRegister, ha), enc::addi(11, 11, lo), enc::ldx(12, 13, 11),
                       enc::addi(12, 12, delta), enc::stdx(12, 13, 11)})
      a.put(w);
  }
};
}  // namespace

StrategyEntry percpu_refcount_strategy() {
  StrategyInfo i;
  i.name = "percpu_refcount";
  i.summary =
      "a plain counter per CPU per object (percpu_ref-like); the swap holds new calls, waits a grace period (every CPU passed a kernel entry), then sums the counters until zero";
  i.safe = true;
  i.joins_patches = true;
  i.in_patch = "as global_refcount: the gate stays closed, the counters summed to zero, until the joint point; going back reopens it";
  i.safety = "after a grace period (every CPU passed a kernel entry since the gate closed) no call is between counting itself in and checking the gate, so a zero sum means no call is inside";
  i.fast_path = "plain increment of this CPU's counter for the object, check the swap-pending word; plain decrement after";
  i.waits_for = "a grace period, then the sum of the per-CPU counts to reach zero";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the swap's end: after its grace period the per-CPU counts summed to zero, and every caller counts itself in before its DREF";
  i.phases = counting_phases();
  i.params = counting_params();
  i.params.push_back({"grace_period", 1, 0, 1, "", "1: before summing, wait until every CPU passed a kernel entry "
                      "(no call between counting itself in and checking the gate); 0: do not (unsafe: for ablations "
                      "and the oracle's mutation test)"});
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<PercpuRefcount>(info, p); }};
}

}  // namespace quiesce::hotswap
