// The kernel's mechanisms that are guest code, run on a bare core: the context switch
// (os_model/context_switch.h), a thread's exit (os_model/thread_life.h), the stack walk
// (hotswap/stack_walk.h) and the Mediator's per-call routine (hotswap/mediation_code.h). Each is given memory laid out
// as the kernel lays it out (thread_descriptor.h) and checked for what it stores, loads and answers.
#include "cpu_fixture.h"
#include "hotswap/mediation_code.h"
#include "hotswap/stack_walk.h"
#include "os_model/context_switch.h"
#include "os_model/method_codegen.h"
#include "os_model/rep_layout.h"
#include "os_model/thread_life.h"
#include "os_model/thread_descriptor.h"

using namespace qtest;
using namespace qtest::enc;
namespace os = quiesce::os;
namespace hs = quiesce::hotswap;

namespace {

constexpr uint64_t kSwitch = 0x40000, kWalk = 0x60000, kOut = kData, kIn = kData + 0x1000;
constexpr uint64_t kSentinel = 0x70000;  // an sc: where the incoming context or the walk's caller resumes
constexpr uint64_t kReturn = 0x78000;    // the kernel's entry at the switch's end, here a plain rfid

uint64_t gpr_at(uint64_t desc, unsigned r) { return desc + os::kDescGpr + 8 * r; }

}  // namespace

TEST_CASE("context switch: stores every register of the outgoing thread and returns into the incoming one",
          "[mechanisms]") {
  Cpu c;
  const os::ContextSwitchCode code = os::context_switch_code(kReturn);
  c.place(kReturn, {rfid()});
  c.place(kSwitch, code.words);
  c.place(kSentinel, {stdcx(7, 0, 8), mfcr(9), sc()});  // the incoming thread: its stdcx. must fail
  // The incoming descriptor, as an earlier switch left it.
  for (unsigned r = 0; r < 32; ++r) c.poke<uint64_t>(gpr_at(kIn, r), 0x1000 + r);
  c.poke<uint64_t>(gpr_at(kIn, 8), kData + 0x3000);  // its stdcx.'s address
  c.poke<uint64_t>(kIn + os::kDescPc, kSentinel);
  c.poke<uint64_t>(kIn + os::kDescMsr, ppc::kMsrSF);
  c.poke<uint64_t>(kIn + os::kDescLr, 0x4444);
  c.poke<uint64_t>(kIn + os::kDescCtr, 0x5555);
  c.poke<uint64_t>(kIn + os::kDescCr, 0x12345678);
  c.poke<uint64_t>(kIn + os::kDescXer, kXerCa);
  // The outgoing thread: distinct registers, a reservation on the incoming thread's word (it must not
  // survive the switch), and where it resumes in SRR0/SRR1.
  auto& s = c.s();
  for (unsigned r = 0; r < 32; ++r) s.gpr[r] = 0xa000 + r;
  s.lr = 0xb000, s.ctr = 0xc000, s.cr = 0x87654321, s.set_xer(kXerSo | kXerOv);
  s.sprg[2] = kOut, s.sprg[3] = kIn, s.srr0 = 0x1234, s.srr1 = ppc::kMsrSF | (1u << 15);
  c.place(kSwitch - 8, {ldarx(0, 0, 31), b(4)});  // r31: an address the reservation is taken on
  s.gpr[31] = kData + 0x3000;
  s.gpr[0] = 0xa000;  // ldarx overwrites r0: the value it loads is 0
  REQUIRE(c.run_from(kSwitch - 8) == ppc::StopReason::Exited);
  // The outgoing descriptor holds what the thread had (r0 as the ldarx left it).
  CHECK(c.peek<uint64_t>(gpr_at(kOut, 0)) == 0);
  for (unsigned r = 1; r < 32; ++r) CHECK(c.peek<uint64_t>(gpr_at(kOut, r)) == (r == 31 ? kData + 0x3000 : 0xa000 + r));
  CHECK(c.peek<uint64_t>(kOut + os::kDescPc) == 0x1234);
  CHECK(c.peek<uint64_t>(kOut + os::kDescMsr) == (ppc::kMsrSF | (1u << 15)));
  CHECK(c.peek<uint64_t>(kOut + os::kDescLr) == 0xb000);
  CHECK(c.peek<uint64_t>(kOut + os::kDescCtr) == 0xc000);
  CHECK(c.peek<uint64_t>(kOut + os::kDescCr) == 0x87654321);
  CHECK(c.peek<uint64_t>(kOut + os::kDescXer) == (kXerSo | kXerOv));
  // The incoming context runs with its own registers; its stdcx. finds no reservation.
  for (unsigned r = 0; r < 32; ++r)
    if (r != 9) CHECK(s.gpr[r] == (r == 8 ? kData + 0x3000 : 0x1000 + r));
  CHECK((s.gpr[9] >> 28 & EQ) == 0);
  CHECK(c.peek<uint64_t>(kData + 0x3000) == 0);
  CHECK(s.lr == 0x4444);
  CHECK(s.ctr == 0x5555);
  CHECK(s.xer() == kXerCa);
  CHECK(s.msr == ppc::kMsrSF);
  CHECK(c.hart().cycle() > 80);  // about eighty stores and loads, each at least a cycle
}

TEST_CASE("context switch: entered at its second half, it saves nothing", "[mechanisms]") {
  Cpu c;
  const os::ContextSwitchCode code = os::context_switch_code(kReturn);
  c.place(kReturn, {rfid()});
  c.place(kSwitch, code.words);
  c.place(kSentinel, {sc()});
  c.poke<uint64_t>(kIn + os::kDescPc, kSentinel);
  c.poke<uint64_t>(kIn + os::kDescMsr, ppc::kMsrSF);
  c.poke<uint64_t>(gpr_at(kIn, 1), 0x7777);
  c.s().sprg[2] = kOut, c.s().sprg[3] = kIn, c.s().gpr[1] = 0x9999;
  REQUIRE(c.run_from(kSwitch + code.load_offset) == ppc::StopReason::Exited);
  CHECK(c.s().gpr[1] == 0x7777);
  CHECK(c.peek<uint64_t>(gpr_at(kOut, 1)) == 0);
}

TEST_CASE("thread start: ends the back chain, sets the kind, links the thread at the head of its CPU's task "
          "list, then enters its loop with its MSR", "[mechanisms]") {
  constexpr uint64_t kStart = 0x48000, kLoop = 0x4c000, kHeadWord = kData + 0x800, kStackTop = kData + 0x7000;
  const uint64_t d[3] = {kData + 0x1000, kData + 0x1400, kData + 0x1800};
  for (const bool empty : {true, false}) {
    Cpu c;
    c.place(kStart, os::thread_start_code());
    c.place(kLoop, {sc()});
    c.poke<uint64_t>(kHeadWord, empty ? 0 : d[1]);
    c.poke<uint64_t>(d[1] + os::kDescKind, os::kDescThread);
    c.poke<uint64_t>(d[1] + os::kDescNext, d[2]);
    c.poke<uint64_t>(d[2] + os::kDescKind, os::kDescThread);
    c.poke<uint64_t>(d[2] + os::kDescPrev, d[1]);
    c.poke<uint64_t>(d[0] + os::kDescInterrupted, 1);  // what the slot's last thread left
    c.poke<uint64_t>(kStackTop, 0xdead);
    c.s().msr = ppc::kMsrSF;
    c.s().gpr[1] = kStackTop, c.s().gpr[3] = d[0], c.s().gpr[4] = kHeadWord, c.s().gpr[5] = os::kDescSystem;
    c.s().gpr[6] = kLoop, c.s().gpr[7] = ppc::kMsrSF | ppc::kMsrEE;
    REQUIRE(c.run_from(kStart) == ppc::StopReason::Exited);
    CHECK(c.s().pc == kLoop);
    CHECK((c.s().msr & ppc::kMsrEE) != 0);
    CHECK((c.s().gpr[3] | c.s().gpr[4] | c.s().gpr[5] | c.s().gpr[6] | c.s().gpr[7] | c.s().gpr[8]) == 0);
    CHECK(c.peek<uint64_t>(kStackTop) == 0);
    CHECK(c.peek<uint64_t>(d[0] + os::kDescKind) == os::kDescSystem);
    CHECK(c.peek<uint64_t>(d[0] + os::kDescInterrupted) == 0);
    CHECK(c.peek<uint64_t>(kHeadWord) == d[0]);
    CHECK(c.peek<uint64_t>(d[0] + os::kDescPrev) == 0);
    CHECK(c.peek<uint64_t>(d[0] + os::kDescNext) == (empty ? 0 : d[1]));
    if (!empty) CHECK(c.peek<uint64_t>(d[1] + os::kDescPrev) == d[0]);
  }
}

TEST_CASE("thread exit: marks the descriptor free and unlinks it from its CPU's task list", "[mechanisms]") {
  constexpr uint64_t kExit = 0x48000, kHeadWord = kData + 0x800;
  const uint64_t d[3] = {kData + 0x1000, kData + 0x1400, kData + 0x1800};
  // Exit the middle, then the head, then the last: each time the list must hold exactly the others.
  for (const unsigned gone : {1u, 0u, 2u}) {
    Cpu c;
    c.place(kExit, os::thread_exit_code(kReturn));
    c.place(kReturn, {sc()});
    c.poke<uint64_t>(kHeadWord, d[0]);
    for (unsigned i = 0; i < 3; ++i) {
      c.poke<uint64_t>(d[i] + os::kDescKind, os::kDescThread);
      c.poke<uint64_t>(d[i] + os::kDescNext, i < 2 ? d[i + 1] : 0);
      c.poke<uint64_t>(d[i] + os::kDescPrev, i > 0 ? d[i - 1] : 0);
    }
    c.s().gpr[3] = d[gone], c.s().gpr[4] = kHeadWord;
    REQUIRE(c.run_from(kExit) == ppc::StopReason::Exited);
    CHECK(c.peek<uint64_t>(d[gone] + os::kDescKind) == os::kDescFree);
    std::vector<uint64_t> forward, backward;
    for (uint64_t t = c.peek<uint64_t>(kHeadWord); t && forward.size() < 4; t = c.peek<uint64_t>(t + os::kDescNext))
      forward.push_back(t);
    for (uint64_t t = forward.empty() ? 0 : forward.back(); t && backward.size() < 4; t = c.peek<uint64_t>(t + os::kDescPrev))
      backward.insert(backward.begin(), t);
    std::vector<uint64_t> want;
    for (unsigned i = 0; i < 3; ++i)
      if (i != gone) want.push_back(d[i]);
    CHECK(forward == want);
    CHECK(backward == want);
    CHECK(c.hart().cycle() > 8);  // its loads and stores, executed
  }
}

TEST_CASE("mediation routine: a forwarded call is counted, hashed, marked and sent to the old rep; its return "
          "undoes it", "[mechanisms]") {
  constexpr uint64_t kCodeAt = 0x48000, kEntries = 0x7a000, kRetEntry = 0x7b000, kMethodAt = 0x7c000;
  constexpr uint64_t kMrep = kData + 0x1000, kOldRep = kData + 0x2000, kOldVt = kData + 0x2100, kDesc = kData + 0x3000;
  constexpr unsigned kSlots = 8, kMethod = 3;
  const hs::MediationCode code = hs::mediation_code(kEntries, 4, kRetEntry, kSlots);
  Cpu c;
  c.place(kCodeAt, code.words);
  c.place(kEntries + 4 * kMethod, {sc()});  // host call 3: here, the end of the stub's run
  c.place(kMethodAt, {sc()});               // the old object's method 3
  c.poke<uint64_t>(kMrep + 8 * hs::kMediatorOldRepWord, kOldRep);
  c.poke<uint64_t>(kOldRep, kOldVt);
  c.poke<uint64_t>(kOldVt + 8 * kMethod, kMethodAt);
  c.poke<uint64_t>(kDesc + 8, 2);  // already in two forwarded calls
  // The stub: the phase word loaded, then the host's entry for its method.
  c.s().gpr[3] = kMrep;
  REQUIRE(c.run_from(kCodeAt + 4 * code.stubs[kMethod]) == ppc::StopReason::Exited);
  CHECK(c.s().pc == kEntries + 4 * kMethod);
  // The forward half, as the host enters it.
  for (unsigned r = 4; r <= 10; ++r) c.s().gpr[r] = 0x100 + r;  // the call's arguments
  c.s().gpr[3] = kMrep, c.s().gpr[11] = kDesc, c.s().gpr[12] = 8 * kMethod, c.s().lr = 0x5550;
  REQUIRE(c.run_from(kCodeAt + 4 * code.forward) == ppc::StopReason::Exited);
  CHECK(c.s().pc == kMethodAt);
  CHECK(c.s().gpr[3] == kOldRep);
  CHECK(c.s().lr == kRetEntry);
  for (unsigned r = 4; r <= 10; ++r) CHECK(c.s().gpr[r] == 0x100 + r);
  CHECK(c.peek<uint64_t>(kMrep + 8 * hs::kMediatorInFlightWord) == 1);
  CHECK(c.peek<uint64_t>(kDesc + 8) == 3);
  const uint64_t slot = kMrep + 8 * hs::kMediatorHashWord + 16 * ((kDesc >> 7) & (kSlots - 1));
  CHECK(c.peek<uint64_t>(slot) == kDesc);
  CHECK(c.peek<uint64_t>(slot + 8) == 0x5550);
  // The return half: the results pass, the counts go back.
  c.place(0x5550, {sc()});
  c.s().gpr[3] = 0x77, c.s().gpr[4] = 0x88, c.s().gpr[11] = kDesc, c.s().gpr[12] = kMrep, c.s().lr = 0x5550;
  REQUIRE(c.run_from(kCodeAt + 4 * code.ret) == ppc::StopReason::Exited);
  CHECK(c.s().pc == 0x5550);
  CHECK((c.s().gpr[3] == 0x77 && c.s().gpr[4] == 0x88));
  CHECK(c.peek<uint64_t>(kMrep + 8 * hs::kMediatorInFlightWord) == 0);
  CHECK(c.peek<uint64_t>(kDesc + 8) == 2);
}

namespace {

// Memory for a walk: old code [kOld, kOld + 0x100) whose methods keep `this` in their frames; one CPU
// whose task list links three threads.
constexpr uint64_t kOld = 0x50000, kOtherCode = 0x58000, kOldRep = 0x280000, kOtherRep = 0x281000;
constexpr uint64_t kHead = kData + 0x8000, kTable = kData + 0x9000, kRanges = kData + 0x9200,
                   kReps = kData + 0x9300, kCpus = kData + 0x9400, kWalkerStack = kData + 0xf000;
constexpr uint64_t kT1 = kData + 0x2000, kT2 = kData + 0x2400, kT3 = kData + 0x2800;

struct WalkWorld {
  Cpu c;
  using T = hs::WalkTable;
  WalkWorld() {
    c.place(kWalk, hs::stack_walk_code());
    c.place(kSentinel, {sc()});
    c.poke<uint64_t>(kRanges, kOld);
    c.poke<uint64_t>(kRanges + 8, kOld + 0x100);
    c.poke<uint64_t>(kRanges + 16, 1);
    c.poke<uint64_t>(kReps, kOldRep);
    c.poke<uint64_t>(kCpus, kHead);
    const std::pair<unsigned, uint64_t> words[] = {{T::kRanges, 1}, {T::kRangesPtr, kRanges}, {T::kReps, 1},
                                                  {T::kRepsPtr, kReps},  {T::kCpus, 1},       {T::kCpusPtr, kCpus},
                                                  {T::kFlags, T::kWalkFrames}};
    for (const auto& [at, v] : words) c.poke<uint64_t>(kTable + at, v);
    // T1: asleep outside the old code, but a frame up its chain returns into it, working on kOldRep.
    // T2: a kernel thread in the old code (not walked). T3: nowhere near it.
    thread(kT1, kOtherCode, kOtherCode, {kOtherCode + 8, kOld + 0x40, kOtherCode + 16}, kOldRep);
    thread(kT2, kOld + 0x10, kOld + 0x10, {}, kOldRep, os::kDescSystem);
    thread(kT3, kOtherCode, kOtherCode, {kOtherCode + 8}, kOtherRep);
    link({kT1, kT2, kT3});
  }
  // A thread whose stack holds frames returning to `returns` in turn (innermost first), each frame's
  // `this` slot holding `self`.
  void thread(uint64_t desc, uint64_t pc, uint64_t lr, std::vector<uint64_t> returns, uint64_t self,
              uint64_t kind = os::kDescThread) {
    const uint64_t stack = desc + 0x40000;
    c.poke<uint64_t>(desc + os::kDescKind, kind);
    c.poke<uint64_t>(desc + os::kDescPc, pc);
    c.poke<uint64_t>(desc + os::kDescLr, lr);
    c.poke<uint64_t>(desc + os::kDescGpr + 8, stack);
    uint64_t frame = stack;
    for (size_t i = 0; i <= returns.size(); ++i) {
      const uint64_t caller = i < returns.size() ? frame + os::kFrameBytes : 0;
      c.poke<uint64_t>(frame, caller);  // the back chain
      c.poke<uint64_t>(frame + os::kThisSlot, self);
      if (caller) c.poke<uint64_t>(caller + 16, returns[i]);  // the callee saved its return address there
      frame = caller;
    }
  }
  void link(std::vector<uint64_t> descs) {
    c.poke<uint64_t>(kHead, descs.empty() ? 0 : descs.front());
    for (size_t i = 0; i < descs.size(); ++i)
      c.poke<uint64_t>(descs[i] + os::kDescNext, i + 1 < descs.size() ? descs[i + 1] : 0);
  }
  uint64_t walk() {
    c.s().gpr[3] = kTable, c.s().gpr[1] = kWalkerStack, c.s().lr = kSentinel;
    c.s().gpr[14] = 0xfeed, c.s().gpr[31] = 0xbeef;
    REQUIRE(c.run_from(kWalk) == ppc::StopReason::Exited);
    CHECK(c.s().gpr[14] == 0xfeed);  // the non-volatile registers it used are restored
    CHECK(c.s().gpr[31] == 0xbeef);
    CHECK(c.s().gpr[1] == kWalkerStack);
    return c.s().gpr[3];
  }
  uint64_t walked(unsigned at) { return c.peek<uint64_t>(kTable + at); }
};

}  // namespace

TEST_CASE("stack walk: finds a return address into the old code up a sleeping thread's back chain", "[mechanisms]") {
  WalkWorld w;
  CHECK(w.walk() == kT1);
  CHECK(w.walked(hs::WalkTable::kThreadsWalked) == 1);
  CHECK(w.walked(hs::WalkTable::kFramesWalked) == 2);  // the second frame's return address is inside
}

TEST_CASE("stack walk: no thread inside, every live thread walked, kernel threads skipped", "[mechanisms]") {
  WalkWorld w;
  w.link({kT2, kT3});
  CHECK(w.walk() == 0);
  CHECK(w.walked(hs::WalkTable::kThreadsWalked) == 1);
  CHECK(w.walked(hs::WalkTable::kFramesWalked) == 2);  // T3: one frame and the chain's end
  w.link({});
  CHECK(w.walk() == 0);
  CHECK(w.walked(hs::WalkTable::kThreadsWalked) == 0);
}

TEST_CASE("stack walk: the pc or the link register in the old code is inside", "[mechanisms]") {
  WalkWorld w;
  w.thread(kT3, kOld + 0x80, kOtherCode, {}, kOtherRep);
  w.link({kT3});
  CHECK(w.walk() == kT3);
  w.thread(kT3, kOtherCode, kOld + 0x80, {}, kOtherRep);
  CHECK(w.walk() == kT3);
}

TEST_CASE("stack walk: the busy thread is checked first", "[mechanisms]") {
  WalkWorld w;
  w.thread(kT3, kOld + 0x80, kOtherCode, {}, kOtherRep);
  w.c.poke<uint64_t>(kTable + hs::WalkTable::kFirst, kT3);
  CHECK(w.walk() == kT3);
  CHECK(w.walked(hs::WalkTable::kThreadsWalked) == 1);
}

TEST_CASE("stack walk: without frames (the unsafe twin) it misses the sleeping thread", "[mechanisms]") {
  WalkWorld w;
  w.c.poke<uint64_t>(kTable + hs::WalkTable::kFlags, 0);
  CHECK(w.walk() == 0);
  CHECK(w.walked(hs::WalkTable::kFramesWalked) == 0);
}

TEST_CASE("stack walk: by instance, only activations working on an old rep count", "[mechanisms]") {
  WalkWorld w;
  w.c.poke<uint64_t>(kTable + hs::WalkTable::kFlags, hs::WalkTable::kWalkFrames | hs::WalkTable::kByInstance);
  CHECK(w.walk() == kT1);  // its old-code frame's `this` is kOldRep
  w.thread(kT1, kOtherCode, kOtherCode, {kOtherCode + 8, kOld + 0x40, kOtherCode + 16}, kOtherRep);
  CHECK(w.walk() == 0);  // the same code, another instance
  // Before its prologue, `this` is still in r3.
  w.thread(kT3, kOld + 4, kOtherCode, {}, kOtherRep);
  w.c.poke<uint64_t>(gpr_at(kT3, 3), kOldRep);
  CHECK(w.walk() == kT3);
}

TEST_CASE("stack walk: a thread stopped mid-code with an old rep or code address in a register is inside",
          "[mechanisms]") {
  WalkWorld w;
  w.link({kT3});
  w.c.poke<uint64_t>(gpr_at(kT3, 9), kOldRep);
  CHECK(w.walk() == 0);  // stopped at a kernel entry: registers are not a call half made
  w.c.poke<uint64_t>(kT3 + os::kDescInterrupted, 1);
  CHECK(w.walk() == kT3);
  w.c.poke<uint64_t>(gpr_at(kT3, 9), 0);
  w.c.poke<uint64_t>(kT3 + os::kDescCtr, kOld + 0x20);  // the old method's address, the bctrl to come
  CHECK(w.walk() == kT3);
}

namespace {
// A generated body that disables preemption or interrupts, run on a bare core: `this` at kData, the
// running thread's descriptor (SPRG3) at kData + 0x1000.
struct RegionBody {
  static constexpr uint64_t kBody = 0x48000, kPreemptEntry = 0x4c000, kDone = 0x4d000, kDesc = kData + 0x1000;
  Cpu c;
  explicit RegionBody(os::MethodSpec::Disables d, uint64_t resched) {
    os::MethodSpec m;
    m.instructions = 5;
    m.disables = d;
    os::BodyPlan plan{&m, os::RepLayout::make(0, 0, 128), 128, {}, -1, 0, kPreemptEntry};
    c.place(kBody, os::generate_method(plan));
    c.place(kPreemptEntry, {sc()});
    c.place(kDone, {sc()});
    c.poke<uint64_t>(kDesc + os::kDescResched, resched);
    c.s().sprg[3] = kDesc;
    c.s().gpr[3] = kData;
    c.s().gpr[1] = kData + 0x8000;
    c.s().lr = kDone;
    c.s().msr = ppc::kMsrSF | ppc::kMsrEE;
  }
};
}  // namespace

TEST_CASE("a body that disables preemption counts itself in the thread's descriptor and enters the kernel at "
          "its end only when a preemption is owed", "[mechanisms]") {
  RegionBody quiet(os::MethodSpec::Disables::Preemption, 0);
  REQUIRE(quiet.c.run_from(RegionBody::kBody) == ppc::StopReason::Exited);
  CHECK(quiet.c.s().pc == RegionBody::kDone);
  CHECK(quiet.c.peek<uint64_t>(RegionBody::kDesc + os::kDescPreempt) == 0);
  RegionBody owed(os::MethodSpec::Disables::Preemption, 1);
  REQUIRE(owed.c.run_from(RegionBody::kBody) == ppc::StopReason::Exited);
  CHECK(owed.c.s().pc == RegionBody::kPreemptEntry);  // count back to 0, the kernel entered
  CHECK(owed.c.peek<uint64_t>(RegionBody::kDesc + os::kDescPreempt) == 0);
  CHECK(owed.c.s().gpr[11] == RegionBody::kDone);  // the body's LR, kept across the kernel entry
}

TEST_CASE("a body that disables interrupts runs with MSR[EE] off and restores it", "[mechanisms]") {
  RegionBody b(os::MethodSpec::Disables::Interrupts, 0);
  REQUIRE(b.c.run_from(RegionBody::kBody) == ppc::StopReason::Exited);
  CHECK(b.c.s().pc == RegionBody::kDone);
  CHECK((b.c.s().msr & ppc::kMsrEE) != 0);
}
