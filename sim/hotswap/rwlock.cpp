// rwlock: replugging's reader-writer lock around every call. A call takes the
// object's lock for reading (larx/stcx. on the lock word, refused while the
// writer bit — the sign bit — is set; isync after, lwsync before letting go);
// the swap takes it for writing (sets the writer bit, then waits for the
// readers to leave) and releases it when the new object is in place.
#include "cpu_ppc64/encoder.h"
#include "hotswap/counting_strategy.h"

namespace quiesce::hotswap {

namespace {
namespace enc = ppc::enc;
constexpr int64_t kWriter = INT64_MIN;

class RwLock final : public CountingStrategy {
 public:
  using CountingStrategy::CountingStrategy;
  void enter_code(enc::Assembler& a, enc::Label slow_call, const os::SwapInterface&) const override {
    object_line(a, 11, 12);
    const enc::Label retry = a.label("retry"), done = a.label("done");
    a.bind(retry);
    a.put(enc::ldarx(12, 0, 11));
    a.put(enc::cmpdi(0, 12, 0));
    a.blt(0, slow_call);  // a writer holds it
    a.put(enc::addi(12, 12, 1));
    a.put(enc::stdcx(12, 0, 11));
    a.bne(0, retry);  // lost the reservation
    a.put(enc::isync());
    a.b(done);
    put_slow_call(a, slow_call);
    a.bind(done);
  }
  void leave_code(enc::Assembler& a, const os::SwapInterface&) const override {
    object_line(a, 11, 12);
    a.put(enc::lwsync());
    atomic_add(a, -1);
  }
  void undo_entry(ppc::Hart&, unsigned) override {}  // a refused reader took nothing
  void close(ppc::Hart& h, unsigned coid) override { os::host_atomic_add(h, line(coid), kWriter); }
  void reopen(ppc::Hart& h, unsigned coid) override { os::host_atomic_add(h, line(coid), kWriter); }
  int64_t count(ppc::Hart& h, unsigned coid) override {
    return static_cast<int64_t>(os::host_load(h, line(coid)) & ~static_cast<uint64_t>(kWriter));
  }
};
}  // namespace

StrategyEntry rwlock_strategy() {
  StrategyInfo i;
  i.name = "rwlock";
  i.summary =
      "a reader-writer lock around every call (replugging); the swap takes it for writing and waits for the readers to leave";
  i.safe = true;
  i.joins_patches = true;
  i.in_patch = "the swap holds the write lock until the joint point; going back releases it on the old object";
  i.safety = "the swap holds the write lock: no reader is inside and none can enter until the new object is in place";
  i.fast_path = "take the object's reader-writer lock for reading (larx/stcx., isync); release it (lwsync, larx/stcx.)";
  i.waits_for = "the readers of the object's lock to leave (write lock)";
  i.reclaim = Reclaim::AtEnd;
  i.reclaim_rule =
      "at the swap's end: the write lock was granted once every reader had left, and readers take the lock before their DREF";
  i.phases = counting_phases();
  i.params = counting_params();
  return {std::move(i), [](const StrategyInfo& info, const StrategyParams& p) { return std::make_unique<RwLock>(info, p); }};
}

}  // namespace quiesce::hotswap
