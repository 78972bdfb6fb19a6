#include "cpu_ppc64/tracer.h"

#include <fmt/format.h>

#include "cpu_ppc64/elf_loader.h"

namespace quiesce::ppc {

void Tracer::record(Hart& h, uint64_t pc, uint64_t issue_cycle, const ArchState& before) {
  const ArchState& s = h.state();
  const uint32_t word = h.memory().contains(pc, 4) ? h.memory().load<uint32_t>(pc) : 0;
  std::string line = fmt::format("{} {} 0x{:016x} {:<24} {:<32}", issue_cycle, h.id(), pc,
                                 symbols_ ? symbols_->describe(pc) : std::string(), cs_.disasm(word, pc));
  std::string regs;
  for (unsigned i = 0; i < 32; ++i)
    if (s.gpr[i] != before.gpr[i]) regs += fmt::format(" r{}=0x{:x}", i, s.gpr[i]);
  if (s.cr != before.cr) regs += fmt::format(" cr=0x{:08x}", s.cr);
  if (s.lr != before.lr) regs += fmt::format(" lr=0x{:x}", s.lr);
  if (s.ctr != before.ctr) regs += fmt::format(" ctr=0x{:x}", s.ctr);
  if (s.xer() != before.xer()) regs += fmt::format(" xer=0x{:x}", s.xer());
  if (!regs.empty()) line += " ;" + regs;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
}

}  // namespace quiesce::ppc
