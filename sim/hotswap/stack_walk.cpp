#include "hotswap/stack_walk.h"

#include <algorithm>

#include "cpu_ppc64/assembler.h"
#include "os_model/rep_layout.h"
#include "os_model/thread_descriptor.h"

namespace quiesce::hotswap {

namespace enc = ppc::enc;
using T = WalkTable;

namespace {
// Registers kept across the walk (non-volatile, saved in the routine's frame).
constexpr unsigned kLinkSave = 14, kInterrupted = 15, kSp = 16, kLr = 17, kPc = 18, kFrames = 19, kThreads = 20,
                   kDesc = 23, kCpusLeft = 24, kCpu = 25, kFlags = 26, kTable = 31;
constexpr unsigned kFirstSaved = 14, kFrameSize = 8 * (32 - kFirstSaved) + 48;

// A lookup over one of the table's lists: r3 in; out r3 = the entry (ranges, sites) or 1 (reps) when
// found, else 0. Leaf: uses r4-r7 and CTR only.
void lookup(enc::Assembler& a, enc::Label entry, unsigned count_at, unsigned ptr_at, unsigned stride, bool range) {
  const enc::Label loop = a.label("lookup loop"), next = a.label("lookup next"), none = a.label("lookup none");
  a.bind(entry);
  a.put(enc::ld(5, count_at, kTable));
  a.put(enc::cmpdi(0, 5, 0));
  a.beq(0, none);
  a.put(enc::ld(4, ptr_at, kTable));
  a.put(enc::mtctr(5));
  a.bind(loop);
  a.put(enc::ld(6, 0, 4));
  if (range) {
    a.put(enc::cmpld(0, 3, 6));
    a.blt(0, next);
    a.put(enc::ld(7, 8, 4));
    a.put(enc::cmpld(0, 3, 7));
    a.bge(0, next);
    a.put(enc::mr(3, 4));
  } else {
    a.put(enc::cmpd(0, 3, 6));
    a.bne(0, next);
    a.put(enc::li(3, 1));
  }
  a.put(enc::blr());
  a.bind(next);
  a.put(enc::addi(4, 4, static_cast<int32_t>(stride)));
  a.bdnz(loop);
  a.bind(none);
  a.put(enc::li(3, 0));
  a.put(enc::blr());
}
}  // namespace

std::vector<uint32_t> stack_walk_code() {
  enc::Assembler a;
  const enc::Label range = a.label("range"), rep = a.label("rep"), site = a.label("site");
  const enc::Label check = a.label("check"), all = a.label("all"), cpu_loop = a.label("cpu loop"),
                   desc_loop = a.label("desc loop"), next_cpu = a.label("next cpu"), none = a.label("none"),
                   done = a.label("done");
  // ---- walk(table)
  a.put(enc::mflr(0));
  a.put(enc::std_(0, 16, 1));
  a.put(enc::stdu(1, -static_cast<int32_t>(kFrameSize), 1));
  for (unsigned r = kFirstSaved; r < 32; ++r) a.put(enc::std_(r, 48 + 8 * (r - kFirstSaved), 1));
  a.put(enc::mr(kTable, 3));
  a.put(enc::ld(kFlags, T::kFlags, kTable));
  a.put(enc::li(kThreads, 0));
  a.put(enc::li(kFrames, 0));
  a.put(enc::ld(kDesc, T::kFirst, kTable));  // the busy thread first
  a.put(enc::cmpdi(0, kDesc, 0));
  a.beq(0, all);
  a.bl(check);
  a.put(enc::cmpdi(0, 3, 0));
  a.bne(0, done);
  a.bind(all);
  a.put(enc::ld(kCpu, T::kCpusPtr, kTable));
  a.put(enc::ld(kCpusLeft, T::kCpus, kTable));
  a.bind(cpu_loop);
  a.put(enc::cmpdi(0, kCpusLeft, 0));
  a.beq(0, none);
  a.put(enc::ld(6, 0, kCpu));
  a.put(enc::ld(kDesc, 0, 6));  // the CPU's first live thread
  a.bind(desc_loop);
  a.put(enc::cmpdi(0, kDesc, 0));
  a.beq(0, next_cpu);
  a.bl(check);
  a.put(enc::cmpdi(0, 3, 0));
  a.bne(0, done);
  a.put(enc::ld(kDesc, os::kDescNext, kDesc));
  a.b(desc_loop);
  a.bind(next_cpu);
  a.put(enc::addi(kCpu, kCpu, 8));
  a.put(enc::addi(kCpusLeft, kCpusLeft, -1));
  a.b(cpu_loop);
  a.bind(none);
  a.put(enc::li(kDesc, 0));
  a.bind(done);
  a.put(enc::std_(kThreads, T::kThreadsWalked, kTable));
  a.put(enc::std_(kFrames, T::kFramesWalked, kTable));
  a.put(enc::mr(3, kDesc));
  for (unsigned r = kFirstSaved; r < 32; ++r) a.put(enc::ld(r, 48 + 8 * (r - kFirstSaved), 1));
  a.put(enc::addi(1, 1, static_cast<int32_t>(kFrameSize)));
  a.put(enc::ld(0, 16, 1));
  a.put(enc::mtlr(0));
  a.put(enc::blr());

  // ---- check(desc in r23): r3 = 1 if the thread is inside the old object
  const enc::Label in = a.label("in"), out = a.label("out"), by_instance = a.label("by instance"),
                   lr_check = a.label("lr check"), this_from_r3 = a.label("this from r3"),
                   test_this = a.label("test this"), mid_code = a.label("mid code"), gprs = a.label("gprs"),
                   frames = a.label("frames"), chain = a.label("chain"), next_frame = a.label("next frame");
  const auto found_if = [&](enc::Label target) {  // after a lookup: inside if it found something
    a.put(enc::cmpdi(0, 3, 0));
    a.bne(0, target);
  };
  // The old code range holding `reg`'s address (r3: its entry), else on to `skip`; a range whose
  // activations keep no `this` in their frame is inside whatever the instance.
  const auto range_keeping_this = [&](unsigned reg, enc::Label skip) {
    a.put(enc::mr(3, reg));
    a.bl(range);
    a.put(enc::cmpdi(0, 3, 0));
    a.beq(0, skip);
    a.put(enc::ld(4, 16, 3));
    a.put(enc::cmpdi(0, 4, 0));
    a.beq(0, in);
  };
  a.bind(check);
  a.put(enc::mflr(kLinkSave));
  a.put(enc::ld(3, os::kDescKind, kDesc));
  a.put(enc::cmpdi(0, 3, static_cast<int32_t>(os::kDescThread)));
  a.bne(0, out);
  a.put(enc::addi(kThreads, kThreads, 1));
  a.put(enc::ld(kPc, os::kDescPc, kDesc));
  a.put(enc::ld(kLr, os::kDescLr, kDesc));
  a.put(enc::ld(kSp, os::kDescGpr + 8, kDesc));
  a.put(enc::ld(kInterrupted, os::kDescInterrupted, kDesc));
  a.put(enc::andi_dot(3, kFlags, T::kByInstance));
  a.bne(0, by_instance);
  a.put(enc::mr(3, kPc));  // by code range: the pc or LR in the old code
  a.bl(range);
  found_if(in);
  a.put(enc::mr(3, kLr));
  a.bl(range);
  found_if(in);
  a.b(mid_code);
  a.bind(by_instance);  // the current activation: `this` in its frame once its prologue ran, else in r3
  range_keeping_this(kPc, lr_check);
  a.put(enc::ld(4, 0, 3));
  a.put(enc::addi(4, 4, os::kPrologueBytes));
  a.put(enc::cmpld(0, kPc, 4));
  a.blt(0, this_from_r3);
  a.put(enc::ld(3, os::kThisSlot, kSp));
  a.b(test_this);
  a.bind(this_from_r3);
  a.put(enc::ld(3, os::kDescGpr + 8 * 3, kDesc));
  a.bind(test_this);
  a.bl(rep);
  found_if(in);
  a.bind(lr_check);  // a return address in LR: the caller's frame is at r1, or one up once the callee pushed its own
  range_keeping_this(kLr, mid_code);
  a.put(enc::ld(3, os::kThisSlot, kSp));
  a.bl(rep);
  found_if(in);
  a.put(enc::ld(12, 0, kSp));
  a.put(enc::cmpdi(0, 12, 0));
  a.beq(0, mid_code);
  a.put(enc::ld(3, os::kThisSlot, 12));
  a.bl(rep);
  found_if(in);
  a.bind(mid_code);  // stopped part-way through its code: a call half made
  a.put(enc::cmpdi(0, kInterrupted, 0));
  a.beq(0, frames);
  a.put(enc::ld(3, os::kDescCtr, kDesc));
  a.bl(range);
  found_if(in);
  a.put(enc::mr(3, kPc));
  a.bl(site);
  found_if(in);
  a.put(enc::addi(12, kDesc, os::kDescGpr));
  a.put(enc::li(11, 32));
  a.bind(gprs);
  a.put(enc::ld(3, 0, 12));
  a.bl(range);
  found_if(in);
  a.put(enc::ld(3, 0, 12));
  a.bl(rep);
  found_if(in);
  a.put(enc::addi(12, 12, 8));
  a.put(enc::addi(11, 11, -1));
  a.put(enc::cmpdi(0, 11, 0));
  a.bne(0, gprs);
  a.bind(frames);
  a.put(enc::andi_dot(3, kFlags, T::kWalkFrames));
  a.beq(0, out);
  a.put(enc::mr(12, kSp));
  a.put(enc::cmpdi(0, kInterrupted, 0));
  a.beq(0, chain);
  a.put(enc::ld(3, 16, 12));  // a callee that popped its frame and has not returned yet: its LR save word
  a.bl(range);
  found_if(in);
  a.bind(chain);
  a.put(enc::li(11, kMaxFrames));
  const enc::Label chain_loop = a.label("chain loop");
  a.bind(chain_loop);
  a.put(enc::cmpdi(0, 11, 0));
  a.beq(0, out);
  a.put(enc::addi(11, 11, -1));
  a.put(enc::addi(kFrames, kFrames, 1));
  a.put(enc::ld(10, 0, 12));  // the back chain
  a.put(enc::cmpdi(0, 10, 0));
  a.beq(0, out);
  a.put(enc::ld(3, 16, 10));  // the return address the callee saved there
  a.bl(range);
  a.put(enc::cmpdi(0, 3, 0));
  a.beq(0, next_frame);
  a.put(enc::andi_dot(4, kFlags, T::kByInstance));
  a.beq(0, in);
  a.put(enc::ld(4, 16, 3));
  a.put(enc::cmpdi(0, 4, 0));
  a.beq(0, in);
  a.put(enc::ld(3, os::kThisSlot, 10));
  a.bl(rep);
  found_if(in);
  a.bind(next_frame);
  a.put(enc::mr(12, 10));
  a.b(chain_loop);
  a.bind(in);
  a.put(enc::li(3, 1));
  a.put(enc::mtlr(kLinkSave));
  a.put(enc::blr());
  a.bind(out);
  a.put(enc::li(3, 0));
  a.put(enc::mtlr(kLinkSave));
  a.put(enc::blr());

  lookup(a, range, T::kRanges, T::kRangesPtr, T::kRangeBytes, true);
  lookup(a, rep, T::kReps, T::kRepsPtr, 8, false);
  lookup(a, site, T::kSites, T::kSitesPtr, T::kSiteBytes, true);
  return a.take();
}

std::optional<Holder> find_holder(const WalkRules& r, unsigned tid) {
  const auto& k = *r.k;
  auto& mem = k.facts.memory();
  const auto peek = [&](uint64_t a) -> uint64_t { return mem.contains(a, 8) ? mem.load<uint64_t>(a) : 0; };
  const auto range = [&](uint64_t a) -> const os::KernelFacts_if::CodeRange* {
    for (const auto& c : *r.ranges)
      if (a >= c.start && a < c.end) return &c;
    return nullptr;
  };
  const auto is_rep = [&](uint64_t v) { return std::find(r.reps->begin(), r.reps->end(), v) != r.reps->end(); };
  // by instance: whether the activation whose `this` is kept at `slot` (a frame's) works on this instance.
  const auto on_instance = [&](const os::KernelFacts_if::CodeRange& owner, uint64_t slot) {
    return !owner.frame || is_rep(peek(slot));  // no frame keeps its `this`: whatever its instance
  };
  const os::Thread& t = k.threads.thread(tid);
  const ppc::ArchState& s = k.threads.registers(tid);
  if (!r.by_instance) {
    if (range(s.pc)) return Holder{"pc", s.pc, 0};
    if (range(s.lr)) return Holder{"lr", s.lr, 0};
  } else {
    // The current activation: `this` in its frame once its prologue ran, else in r3. A return address
    // still in LR belongs to the caller, whose frame is at r1 (or one up, once the callee pushed its own).
    if (const auto* m = range(s.pc)) {
      if (!m->frame) return Holder{"pc", s.pc, 0};
      if (s.pc >= m->start + os::kPrologueBytes ? on_instance(*m, s.gpr[1] + os::kThisSlot) : is_rep(s.gpr[3]))
        return Holder{"pc", s.pc, 0};
    }
    if (const auto* c = range(s.lr)) {
      const uint64_t up = peek(s.gpr[1]);
      if (on_instance(*c, s.gpr[1] + os::kThisSlot) || (up && on_instance(*c, up + os::kThisSlot)))
        return Holder{"lr", s.lr, 0};
    }
  }
  // Stopped mid-code (a preemptive kernel), a thread may be half-way into a call: the old rep loaded, or
  // the old method's address in a register or CTR, the branch still to come.
  // (desc_interrupted: the stop handler found it part-way through its code, e.g. at preempt_enable's entry.)
  const bool mid_code = t.in_interrupt || t.preempted || t.desc_interrupted;
  if (mid_code) {
    if (range(s.ctr)) return Holder{"ctr", s.ctr, 0};
    for (const auto& [from, to] : r.sites)
      if (s.pc >= from && s.pc < to) return Holder{"call site", s.pc, 0};
    for (const uint64_t g : s.gpr)
      if (range(g) || is_rep(g)) return Holder{"register", g, 0};
  }
  if (!r.walk_frames) return std::nullopt;
  uint64_t frame = s.gpr[1];
  // Mid-code, a callee may have popped its frame and not yet returned (its epilogue): its return address
  // is then in the current frame's LR save word. (The word may be stale, which only costs a retry.)
  if (mid_code && range(peek(frame + 16))) return Holder{"lr save word", peek(frame + 16), 0};
  for (unsigned n = 0; n < kMaxFrames && frame; ++n) {
    const uint64_t caller = peek(frame);  // the back chain
    if (!caller) break;
    // The return address the callee saved there, into the function whose frame this is.
    if (const auto* owner = range(peek(caller + 16)))
      if (!r.by_instance || on_instance(*owner, caller + os::kThisSlot)) return Holder{"frame", peek(caller + 16), n + 1};
    frame = caller;
  }
  return std::nullopt;
}

uint64_t install_stack_walk(os::GuestHeap& heap) {
  const std::vector<uint32_t> code = stack_walk_code();
  const uint64_t at = heap.allocate("stack_walk.code", 4 * code.size());
  for (size_t k = 0; k < code.size(); ++k) heap.memory().store<uint32_t>(at + 4 * k, code[k]);
  return at;
}

}  // namespace quiesce::hotswap
