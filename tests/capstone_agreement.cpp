// Capstone agreement: runs each guest ELF on one CPU (no SystemC needed), then
// checks every instruction word the core decoded: the core's own disassembly
// must equal Capstone's, allowing for Capstone 4's known naming differences and
// gaps. Prints a summary; exit 1 on any disagreement.
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "cpu_ppc64/capstone_disasm.h"
#include "cpu_ppc64/disasm.h"
#include "cpu_ppc64/elf_loader.h"
#include "cpu_ppc64/hart.h"
#include "memory_coherence/fixed_latency_memory.h"
#include "platform/guest_io.h"

using namespace quiesce;

namespace {

// Capstone 4's spellings mapped to the architected ones the core prints.
std::string normalise_capstone(std::string text) {
  static const std::pair<std::regex, std::string> kRules[] = {
      {std::regex(R"(^cntlz(\.?) )"), "cntlzw$1 "},
      {std::regex(R"(^sync 0$)"), "sync"},
      {std::regex(R"(^mfspr (r\d+), 0x10c$)"), "mftb $1"},
      {std::regex(R"(^mfspr (r\d+), 0x10d$)"), "mftbu $1"},
      {std::regex(R"(^mftb (r\d+), 0x10c$)"), "mftb $1"},
      {std::regex(R"(^mftb (r\d+), 0x10d$)"), "mftbu $1"},
      {std::regex(R"(^mtcrf 0xff, (r\d+)$)"), "mtcr $1"},
  };
  for (const auto& [re, repl] : kRules) text = std::regex_replace(text, re, repl);
  return text;
}

bool capstone_gap(const ppc::Insn& d) {  // forms Capstone 4 does not decode
  return d.oe || d.op == ppc::Op::Popcntb;
}

std::string join(const std::string& m, const std::string& o) { return o.empty() ? m : m + " " + o; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: capstone_agreement PROG.elf...\n");
    return 2;
  }
  const ppc::CapstoneDisasm cs;
  std::set<uint32_t> seen;
  std::map<std::string, unsigned> per_op;
  unsigned checked = 0, gaps = 0, bad = 0;
  for (int i = 1; i < argc; ++i) {
    mem::GuestMemory memory(uint64_t{1} << 30);
    ppc::LoadedProgram p;
    try {
      p = ppc::load_elf(argv[i], memory);
    } catch (const ppc::LoadError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    }
    mem::FixedLatencyMemory port(1, {});
    platform::GuestIo io(1);
    ppc::DecodeCache icache;
    ppc::Hart hart(0, memory, port, io, icache, ppc::CoreTiming{});
    hart.state().pc = p.entry;
    hart.state().gpr[1] = memory.size() - 4096;
    hart.state().gpr[2] = p.toc;
    hart.state().gpr[4] = 1;
    hart.state().gpr[12] = p.entry;
    hart.set_instruction_limit(uint64_t{1} << 32);
    // The guest console is not wanted here.
    if (!std::freopen("/dev/null", "w", stdout)) return 2;
    hart.run(~uint64_t{0});
    if (hart.stop_reason() == ppc::StopReason::Trapped) {
      std::fprintf(stderr, "%s: guest fault: %s at 0x%llx\n", argv[i], hart.trap().what.c_str(),
                   static_cast<unsigned long long>(hart.trap().pc));
      return 2;
    }
    icache.for_each_decoded([&](uint64_t a, const ppc::Insn& d) {
      const uint32_t w = memory.load<uint32_t>(a);
      if (!seen.insert(w).second) return;
      const ppc::DisasmText ours = ppc::disassemble(d, w, a);
      std::string m, o;
      if (!cs.disasm(w, a, m, o)) {
        if (capstone_gap(d)) { ++gaps; return; }
        std::fprintf(stderr, "MISMATCH %08x @%llx: core '%s', Capstone cannot decode\n", w,
                     static_cast<unsigned long long>(a), join(ours.mnemonic, ours.operands).c_str());
        ++bad;
        return;
      }
      const std::string theirs = normalise_capstone(join(m, o));
      if (theirs != join(ours.mnemonic, ours.operands)) {
        std::fprintf(stderr, "MISMATCH %08x @%llx: core '%s', Capstone '%s'\n", w, static_cast<unsigned long long>(a),
                     join(ours.mnemonic, ours.operands).c_str(), join(m, o).c_str());
        ++bad;
      }
      ++checked;
      ++per_op[ppc::kOpMnemonic[static_cast<int>(d.op)]];
    });
  }
  std::fprintf(stderr, "capstone agreement: %u distinct words checked, %zu distinct operations, %u Capstone gaps, %u mismatches\n",
              checked, per_op.size(), gaps, bad);
  return bad ? 1 : 0;
}
