// The core's own disassembly of a decoded instruction, in Capstone 4's syntax
// (its extended mnemonics and number formatting), so the decoder can be checked
// word by word against Capstone.
#pragma once
#include <cstdint>
#include <string>

#include "cpu_ppc64/insn.h"

namespace quiesce::ppc {

struct DisasmText {
  std::string mnemonic, operands;
};

DisasmText disassemble(const Insn& d, uint32_t word, uint64_t pc);

}  // namespace quiesce::ppc
