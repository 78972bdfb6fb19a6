#include "cpu_ppc64/capstone_disasm.h"

#include <capstone/capstone.h>

#include <stdexcept>

namespace quiesce::ppc {

CapstoneDisasm::CapstoneDisasm() {
  csh h = 0;
  if (cs_open(CS_ARCH_PPC, static_cast<cs_mode>(CS_MODE_64 | CS_MODE_BIG_ENDIAN), &h) != CS_ERR_OK)
    throw std::runtime_error("cannot open Capstone for PowerPC 64");
  handle_ = h;
}

CapstoneDisasm::~CapstoneDisasm() {
  csh h = handle_;
  cs_close(&h);
}

bool CapstoneDisasm::disasm(uint32_t word, uint64_t pc, std::string& mnemonic, std::string& operands) const {
  const uint8_t bytes[4] = {static_cast<uint8_t>(word >> 24), static_cast<uint8_t>(word >> 16),
                            static_cast<uint8_t>(word >> 8), static_cast<uint8_t>(word)};
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(handle_, bytes, 4, pc, 1, &insn);
  if (n == 0) return false;
  mnemonic = insn->mnemonic;
  operands = insn->op_str;
  cs_free(insn, n);
  return true;
}

std::string CapstoneDisasm::disasm(uint32_t word, uint64_t pc) const {
  std::string m, o;
  if (!disasm(word, pc, m, o)) return "(not decodable by Capstone)";
  return o.empty() ? m : m + " " + o;
}

}  // namespace quiesce::ppc
