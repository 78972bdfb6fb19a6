// One line per executed instruction:
//   cycle cpu pc symbol+offset  disassembly  ; registers that changed
// The first three fields are fixed (decimal, decimal, 0x + 16 hex digits) so
// tools can parse them.
#pragma once
#include <cstdint>
#include <cstdio>

#include "cpu_ppc64/capstone_disasm.h"
#include "cpu_ppc64/hart.h"

namespace quiesce::ppc {

class SymbolTable;

class Tracer {
 public:
  Tracer(std::FILE* out, const SymbolTable* symbols) : out_(out), symbols_(symbols) {}
  void record(Hart& h, uint64_t pc, uint64_t issue_cycle, const ArchState& before);

 private:
  std::FILE* out_;
  const SymbolTable* symbols_;
  CapstoneDisasm cs_;
};

}  // namespace quiesce::ppc
