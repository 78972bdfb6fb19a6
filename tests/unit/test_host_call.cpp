// Host calls: a branch into the environment's host-call window runs host code
// instead of guest instructions; the handler charges cycles, makes timed
// memory accesses through the CPU's port and returns to LR.
#include <catch2/catch.hpp>

#include "cpu_ppc64/hart.h"
#include "memory_coherence/fixed_latency_memory.h"
#include "ppc_asm.h"

using namespace qtest::enc;
namespace ppc = quiesce::ppc;
namespace mem = quiesce::mem;

namespace {

constexpr uint64_t kWindow = 0xffff'ffff'fffe'0000;

struct HostEnv final : ppc::Environment_if {
  bool is_mmio(uint64_t) const override { return false; }
  ppc::HartAction mmio_load(ppc::Hart&, uint64_t, unsigned, uint64_t&) override { return ppc::HartAction::Fault; }
  ppc::HartAction mmio_store(ppc::Hart&, uint64_t, unsigned, uint64_t) override { return ppc::HartAction::Fault; }
  ppc::HartAction system_call(ppc::Hart&) override { return ppc::HartAction::Exit; }
  HostCallWindow host_call_window() const override { return {kWindow, 0x1000}; }
  ppc::HartAction host_call(ppc::Hart& h, uint64_t pc) override {
    ++calls;
    last_pc = pc;
    if (pc == kWindow + 0x10) return ppc::HartAction::Continue;  // forgets to return: a bug
    if (pc == kWindow + 0x20) return ppc::HartAction::Fault;
    auto& s = h.state();
    s.gpr[3] = s.gpr[3] * 2;  // the "OS service": doubles r3
    h.charge(100);
    h.timed_access(mem::AccessKind::Load, 0x8000, 8);
    s.pc = s.lr;
    return ppc::HartAction::Continue;
  }
  unsigned calls = 0;
  uint64_t last_pc = 0;
};

struct Rig {
  mem::GuestMemory memory{1 << 20};
  mem::FixedLatencyMemory port{1, {}};
  ppc::DecodeCache icache;
  HostEnv env;
  ppc::Hart hart{0, memory, port, env, icache, ppc::CoreTiming{}};

  ppc::StopReason run(const std::vector<uint32_t>& words) {
    for (size_t i = 0; i < words.size(); ++i) memory.store<uint32_t>(0x1000 + 4 * i, words[i]);
    hart.state().pc = 0x1000;
    return hart.run(1'000'000);
  }
};

// li r9, window-address; mtctr r9; bctrl — a call into the window.
std::vector<uint32_t> call_window(uint64_t offset) {
  const uint64_t target = kWindow + offset;  // 0xffff_ffff_fffe_00xx: li sign-extends 0xfffe..., shifted
  return {addis(9, 0, static_cast<int16_t>((target >> 16) & 0xffff)), ori(9, 9, target & 0xffff), mtctr(9), bctrl()};
}

}  // namespace

TEST_CASE("a branch into the host-call window runs the host handler and returns", "[hostcall]") {
  Rig rig;
  auto code = call_window(0);
  code.insert(code.begin(), addi(3, 0, 21));
  code.push_back(addi(3, 3, 1));
  code.push_back(sc());
  REQUIRE(rig.run(code) == ppc::StopReason::Exited);
  CHECK(rig.env.calls == 1);
  CHECK(rig.env.last_pc == kWindow);
  CHECK(rig.hart.state().gpr[3] == 43);
  CHECK(rig.hart.cycle() >= 100 + 3);  // the charged cycles and the timed load
  CHECK(rig.hart.instructions() == code.size());  // the host call itself retires no instruction
}

TEST_CASE("a host call that does not return, or fails, stops the hart with a trap", "[hostcall]") {
  for (uint64_t off : {0x10, 0x20}) {
    Rig rig;
    auto code = call_window(off);
    code.push_back(sc());
    REQUIRE(rig.run(code) == ppc::StopReason::Trapped);
    CHECK(rig.hart.trap().what.find("host call") != std::string::npos);
  }
}
