// What global_refcount, percpu_refcount and rwlock share: each call passes a
// gate that counts it in (and out) in guest memory; a swap closes the gate
// (new calls take the gate's slow path: they give their count back and wait),
// waits until the count drains to zero (re-reading it through the caches
// every poll_us), transfers the state, swings the root, reopens the gate and
// lets the held calls retry. The strategies differ in where the count lives
// and what the gate's code does with it.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "cpu_ppc64/assembler.h"
#include "hotswap/quiescence_strategy.h"

namespace quiesce::hotswap {

class CountingSwap;

// Guest code: rd = table + COID * line bytes (r9 = COID * 8; line bytes = 8 << shift), via tmp.
std::vector<uint32_t> object_line_code(uint64_t table, unsigned shift, unsigned rd, unsigned tmp);
// A table of one line per object for a strategy's guest code (below 2 GiB, for lis/ori).
uint64_t allocate_object_lines(const os::SwapInterface& k, const char* strategy);

// What every counting strategy declares: its phases and parameters.
std::vector<std::string> counting_phases();
std::vector<StrategyParam> counting_params();

class CountingStrategy : public QuiescenceStrategy {
 public:
  CountingStrategy(const StrategyInfo& info, const StrategyParams& p)
      : QuiescenceStrategy(info),
        call_cycles_(p.u32("call_cycles")),
        step_cycles_(p.u32("worker_step_cycles")),
        poll_us_(p.real("poll_us")),
        drain_(p.u32("drain") != 0) {}
  os::CallGate gate(const os::SwapInterface& k, unsigned group) override;
  std::unique_ptr<Swap> make_swap(unsigned id, unsigned coid, unsigned to, std::string label) override;

  // The strategy's own part.
  // The gate's code. enter_code binds `slow_call` where it calls its slow path (put_slow_call).
  virtual void enter_code(ppc::enc::Assembler& a, ppc::enc::Label slow_call, const os::SwapInterface& k) const = 0;
  virtual void leave_code(ppc::enc::Assembler& a, const os::SwapInterface& k) const = 0;
  virtual void undo_entry(ppc::Hart& h, unsigned coid) = 0;  // a held call gives back what its gate took
  virtual void close(ppc::Hart& h, unsigned coid) = 0;
  virtual void reopen(ppc::Hart& h, unsigned coid) = 0;
  virtual int64_t count(ppc::Hart& h, unsigned coid) = 0;  // calls inside now, read with timed loads
  virtual bool needs_grace() const { return false; }       // wait for every CPU to pass a kernel entry after close

  uint32_t step_cycles() const { return step_cycles_; }
  double poll_us() const { return poll_us_; }
  bool drain() const { return drain_; }
  void set_closed(unsigned coid, CountingSwap* s) {
    if (s) closed_[coid] = s;
    else closed_.erase(coid);
  }

 protected:
  // Guest code: rd = the object's line in this strategy's table (from r9 = COID * 8), via tmp.
  void object_line(ppc::enc::Assembler& a, unsigned rd, unsigned tmp) const {
    a.append(object_line_code(table_, line_shift_, rd, tmp));
  }
  // Guest code: the doubleword at r11 += delta, atomically (a larx/stcx. loop through r12).
  static void atomic_add(ppc::enc::Assembler& a, int delta) {
    const ppc::enc::Label retry = a.label("retry");
    a.bind(retry);
    a.put(ppc::enc::ldarx(12, 0, 11));
    a.put(ppc::enc::addi(12, 12, delta));
    a.put(ppc::enc::stdcx(12, 0, 11));
    a.bne(0, retry);
  }
  // The slow path's call into the host, at `slow_call`: a held call retries from the gate's first word.
  void put_slow_call(ppc::enc::Assembler& a, ppc::enc::Label slow_call) const {
    a.bind(slow_call);
    a.put(ppc::enc::bla(slow_entry_));
  }
  uint64_t line(unsigned coid) const { return table_ + uint64_t{coid} * line_bytes_; }

  const uint32_t call_cycles_, step_cycles_;
  const double poll_us_;
  const bool drain_;
  uint64_t table_ = 0, slow_entry_ = 0;
  size_t slow_call_index_ = 0;  // word of the enter code that calls the slow path
  uint32_t line_bytes_ = 128;
  unsigned line_shift_ = 4;  // COID * 8 << line_shift_ = COID * line_bytes_

 private:
  ppc::HartAction slow_path(ppc::Hart& h);
  std::map<unsigned, CountingSwap*> closed_;  // COID -> the swap holding its gate closed
};

class CountingSwap final : public Swap {
 public:
  CountingSwap(CountingStrategy& s, SwapContext& ctx, unsigned id, unsigned coid, unsigned to, std::string label);
  void start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) override;
  void poll(ppc::Hart& h) override;
  std::string describe() const override;
  // A call that found the gate closed waits here; it restarts its gate at `retry`.
  ppc::HartAction hold(ppc::Hart& h, uint64_t retry);

 private:
  enum : uint8_t { kBlock, kTransfer, kComplete };  // counting_phases()
  enum class At : uint8_t { Close, Grace, Drain, Joint, Swing };
  os::SystemStep step(ppc::Hart& h, const os::Thread& t);
  void resume_joint(ppc::Hart& h) override;
  os::SystemStep go_back(ppc::Hart& h);     // its patch gave up: the gate reopens on the old object
  void release_held(ppc::Hart& h);          // the held calls pass the gate again
  struct Held {
    unsigned tid, cpu;
    uint64_t since;
  };
  CountingStrategy& s_;
  At at_ = At::Close;
  int tid_ = -1;  // its system thread, once it ran
  uint64_t closed_at_ = 0;
  int64_t last_count_ = 0;
  std::vector<bool> passed_;  // per CPU: entered the kernel since the gate closed
  std::vector<Held> held_;
};

}  // namespace quiesce::hotswap
