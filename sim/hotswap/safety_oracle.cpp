#include "hotswap/safety_oracle.h"

#include <algorithm>

#include <fmt/format.h>


namespace quiesce::hotswap {

namespace {
// The method of `impl` whose code holds `pc`, or null.
const os::KernelFacts_if::CodeRange* method_at(const os::SwapInterface& k, unsigned impl, uint64_t pc) {
  for (const auto& r : k.facts.code_ranges(impl))
    if (pc >= r.start && pc < r.end) return &r;
  return nullptr;
}
// The generated prologue (mflr, std r0, stdu, std r3) has run once pc is past it.
constexpr uint64_t kPrologueBytes = 16;
constexpr unsigned kMaxFrames = 4096;
}  // namespace

unsigned SafetyOracle::check_not_inside(const os::SwapInterface& k, unsigned impl, const std::vector<uint64_t>& reps,
                                        uint64_t cycle, unsigned cpu, const std::string& object,
                                        const std::string& when, int swap) {
  auto& mem = k.facts.memory();
  auto is_old = [&](uint64_t rep) { return std::find(reps.begin(), reps.end(), rep) != reps.end(); };
  auto load = [&](uint64_t a) { return mem.contains(a, 8) ? mem.load<uint64_t>(a) : 0; };
  unsigned found = 0;
  for (size_t id = 0; id < k.threads.count(); ++id) {
    const os::Thread& t = k.threads.thread(static_cast<unsigned>(id));
    if (t.state == os::ThreadState::Free || t.system) continue;
    const bool running = t.state == os::ThreadState::Running;
    const ppc::ArchState& s = running ? k.threads.hart(t.cpu).state() : t.regs;
    bool inside = false;
    // The current activation: `this` in its frame once the prologue ran, else
    // in r3 — and then r1 is still its caller's frame and LR its caller's
    // return address, so the caller is checked here too.
    const auto* m = method_at(k, impl, s.pc);
    const bool own_frame = m && m->frame && s.pc >= m->start + kPrologueBytes;
    if (own_frame) {
      inside = is_old(load(s.gpr[1] + os::kThisSlot));
    } else {
      if (m) inside = is_old(s.gpr[3]);
      const auto* caller = method_at(k, impl, s.lr);
      if (caller && caller->frame) inside = inside || is_old(load(s.gpr[1] + os::kThisSlot));
    }
    // Older activations: the return address saved in a frame lies in its owner's code.
    uint64_t frame = load(s.gpr[1]);
    for (unsigned n = 0; !inside && frame && n < kMaxFrames; ++n, frame = load(frame)) {
      const auto* owner = method_at(k, impl, load(frame + 16));
      if (owner && owner->frame) inside = is_old(load(frame + os::kThisSlot));
    }
    if (inside) {
      ++found;
      report({cycle, cpu, static_cast<int>(id), object,
              fmt::format("{}: thread {} (cpu {}) is still executing in the old object", when, id, t.cpu), swap});
    }
  }
  return found;
}

unsigned SafetyOracle::count_for(unsigned id) const {
  return static_cast<unsigned>(
      std::count_if(violations_.begin(), violations_.end(), [&](const Violation& v) { return v.swap == static_cast<int>(id); }));
}

}  // namespace quiesce::hotswap
