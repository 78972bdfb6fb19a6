#include "hotswap/counting_strategy.h"

#include <bit>

#include <fmt/format.h>

#include "cpu_ppc64/encoder.h"

namespace quiesce::hotswap {

namespace enc = ppc::enc;
using Step = os::SystemStep;

std::vector<std::string> counting_phases() { return {"block", "transfer", "complete"}; }

std::vector<StrategyParam> counting_params() {
  return {
      {"call_cycles", 40, 0, 1e6, "cycles", "the gate's slow path, per call it holds (giving its count back)"},
      {"worker_step_cycles", 60, 0, 1e6, "cycles", "the swap thread's bookkeeping each time it runs a step"},
      {"poll_us", 1, 0.001, 1e6, "us", "how often the waiting swap re-reads the count", false},
      {"drain", 1, 0, 1, "", "1: the swap waits for the count to reach zero; 0: it does not (unsafe: for ablations "
       "and the oracle's mutation test)"},
  };
}

os::CallGate CountingStrategy::gate(const os::SwapInterface& k, unsigned) {
  if (!slow_entry_) {  // the first group: this strategy's table, one line per object, and its slow path
    line_bytes_ = k.facts.line_bytes();
    line_shift_ = static_cast<unsigned>(std::countr_zero(line_bytes_ / 8));
    table_ = allocate_object_lines(k, name());
    slow_entry_ = k.hooks.add_host_calls(1, [this](ppc::Hart& h, unsigned) { return slow_path(h); });
  }
  enc::Assembler enter, leave;
  const enc::Label slow = enter.label("slow call");
  enter_code(enter, slow, k);
  slow_call_index_ = enter.offset(slow);
  leave_code(leave, k);
  return {enter.take(), leave.take(), 0};
}

std::vector<uint32_t> object_line_code(uint64_t table, unsigned shift, unsigned rd, unsigned tmp) {
  return {enc::lis(tmp, static_cast<int64_t>(table >> 16)), enc::ori(tmp, tmp, table & 0xffff),
          enc::sldi(rd, os::kGateKeyRegister, shift), enc::add(rd, rd, tmp)};
}

uint64_t allocate_object_lines(const os::SwapInterface& k, const char* strategy) {
  const uint64_t bytes = uint64_t{k.objects.capacity()} * k.facts.line_bytes();
  const uint64_t table = k.objects.heap().allocate(fmt::format("{}.counts", strategy), bytes);
  if (table + bytes >= (uint64_t{1} << 31))
    throw os::BuildError(fmt::format("{}: its table lies above 2 GiB (guest code addresses it with lis/ori)", strategy));
  return table;
}

std::unique_ptr<Swap> CountingStrategy::make_swap(unsigned id, unsigned coid, unsigned to, std::string label) {
  return std::make_unique<CountingSwap>(*this, *ctx_, id, coid, to, std::move(label));
}

// The gate's slow path, on the calling thread: the gate was closed.
ppc::HartAction CountingStrategy::slow_path(ppc::Hart& h) {
  auto& s = h.state();
  const auto coid = static_cast<unsigned>(s.gpr[os::kGateKeyRegister] / 8);
  const uint64_t retry = s.lr - 4 - 4 * uint64_t{slow_call_index_};
  h.charge(call_cycles_);
  undo_entry(h, coid);
  s.pc = retry;
  const auto it = closed_.find(coid);
  if (it == closed_.end()) return ppc::HartAction::Continue;  // reopened meanwhile: pass the gate again
  return it->second->hold(h, retry);
}

CountingSwap::CountingSwap(CountingStrategy& s, SwapContext& ctx, unsigned id, unsigned coid, unsigned to,
                           std::string label)
    : Swap(ctx, s.info(), id, coid, to, std::move(label)), s_(s), passed_(cpus_, false) {}

void CountingSwap::start(ppc::Hart& h, std::function<void(ppc::Hart&)> done) {
  launch(h, std::move(done), [this](ppc::Hart& hh, const os::Thread& t) { return step(hh, t); });
}

Step CountingSwap::step(ppc::Hart& h, const os::Thread& t) {
  auto& k = ctx_.k;
  const unsigned cpu = h.id();
  tid_ = static_cast<int>(t.id);
  h.charge(s_.step_cycles());
  if (joint_ == Joint::Aborted) return go_back(h);
  switch (at_) {
    case At::Close:
      record_phase(h.cycle(), cpu, kBlock);
      s_.set_closed(coid_, this);  // before the store: a call seeing the closed gate finds this swap
      s_.close(h, coid_);
      closed_at_ = h.cycle();
      passed_[cpu] = true;
      at_ = s_.needs_grace() ? At::Grace : At::Drain;
      return Step::Again;
    case At::Grace:
      for (unsigned c = 0; c < cpus_; ++c)
        if (!passed_[c]) return sleep(h, t.id, us_to_cycles(s_.poll_us()), Activity::Quiescence);
      at_ = At::Drain;
      return Step::Again;
    case At::Drain:
      ++detail("polls");
      last_count_ = s_.count(h, coid_);
      if (last_count_ != 0 && s_.drain()) return sleep(h, t.id, us_to_cycles(s_.poll_us()), Activity::Quiescence);
      at_ = At::Joint;
      // In a patch the gate stays closed, drained, until the others are at their safe points too.
      if (!arrive_joint(h)) return block(h, Activity::Quiescence);
      at_ = At::Swing;
      return Step::Again;
    case At::Joint:  // woken by its patch's commit
      if (joint_ != Joint::Committed) return block(h, Activity::Quiescence);
      at_ = At::Swing;
      return Step::Again;
    case At::Swing: {
      if (!lock_root(h)) return Step::Again;  // a miss in progress on another CPU
      record_phase(h.cycle(), cpu, kTransfer);
      transfer_all(h);
      swing(h);
      k.objects.unlock_root(h, coid_);
      record_phase(h.cycle(), cpu, kComplete);
      s_.reopen(h, coid_);
      s_.set_closed(coid_, nullptr);
      release_held(h);  // they pass the gate again, now to the new object
      record_phase(h.cycle(), cpu, kPhaseDone);
      finish(h);
      return Step::Exit;
    }
  }
  return Step::Exit;
}

void CountingSwap::release_held(ppc::Hart& h) {
  for (const Held& b : held_) {
    const uint64_t waited = h.cycle() - b.since;
    rec_[b.cpu].blocked_cycles_total += waited;
    rec_[b.cpu].blocked_cycles_max = std::max(rec_[b.cpu].blocked_cycles_max, waited);
    ++rec_[b.cpu].released;
    held_log_.push_back({b.tid, b.cpu, b.since, h.cycle(), h.id()});
    ctx_.k.threads.note_held(b.tid, coid_, waited);
    ctx_.k.threads.wake(b.tid, h.cycle());
  }
  held_.clear();
}

// Only a thread holding at the joint point waits without a timer; one sleeping between polls looks at its next.
void CountingSwap::resume_joint(ppc::Hart& h) {
  if (at_ == At::Joint && tid_ >= 0) ctx_.k.threads.wake(static_cast<unsigned>(tid_), h.cycle());
}

Step CountingSwap::go_back(ppc::Hart& h) {
  if (at_ != At::Close) {  // the gate was closed: it reopens on the old object, the held calls pass it there
    s_.reopen(h, coid_);
    s_.set_closed(coid_, nullptr);
    release_held(h);
  }
  record_phase(h.cycle(), h.id(), kPhaseDone);
  give_up(h);
  return Step::Exit;
}

void CountingSwap::poll(ppc::Hart& h) {
  if (at_ == At::Grace && h.cycle() >= closed_at_) passed_[h.id()] = true;
}

ppc::HartAction CountingSwap::hold(ppc::Hart& h, uint64_t retry) {
  auto& k = ctx_.k;
  const os::Thread* t = k.threads.current(h.id());
  if (!t) {
    h.raise_trap("a call gate's slow path ran outside any thread");
    return ppc::HartAction::Fault;
  }
  held_.push_back({t->id, h.id(), h.cycle()});
  ++rec_[h.id()].blocked;
  // A call held at top level is in no object while it waits (it holds no generation).
  return k.threads.park_current(h, k.facts.in_request_loop(retry));
}

std::string CountingSwap::describe() const {
  static const char* const kAt[] = {"closing the gate", "waiting for every CPU to pass a kernel entry",
                                    "waiting for the count to drain", "holding at its safe point for its patch",
                                    "swinging the root"};
  return fmt::format("swap {} of {} ({}): {}; {} inside at the last read, {} calls held", id_, label_, strategy(),
                     kAt[static_cast<unsigned>(at_)], last_count_, held_.size());
}

}  // namespace quiesce::hotswap
