// Capstone's PowerPC 64 big-endian disassembly, for traces and trap reports.
#pragma once
#include <cstdint>
#include <string>

namespace quiesce::ppc {

class CapstoneDisasm {
 public:
  CapstoneDisasm();
  ~CapstoneDisasm();
  CapstoneDisasm(const CapstoneDisasm&) = delete;
  CapstoneDisasm& operator=(const CapstoneDisasm&) = delete;
  // "mnemonic operands", or "(not decodable by Capstone)".
  std::string disasm(uint32_t word, uint64_t pc) const;
  // Split form; returns false when Capstone cannot decode the word.
  bool disasm(uint32_t word, uint64_t pc, std::string& mnemonic, std::string& operands) const;

 private:
  size_t handle_ = 0;
};

}  // namespace quiesce::ppc
