// ELF64 big-endian PowerPC loader (ELFv1 with function descriptors, and ELFv2).
// Copies PT_LOAD segments into guest memory and keeps the symbol table so traces
// and trap reports can name code as symbol+offset.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "memory_coherence/guest_memory.h"

namespace quiesce::ppc {

// Bad input (a malformed ELF file): the message names the file and what is wrong.
struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Symbol {
  uint64_t addr;
  uint64_t size;
  std::string name;
  bool data = false;  // a data object (STT_OBJECT): a statistics region
};

class SymbolTable {
 public:
  void add(Symbol s) { syms_.push_back(std::move(s)); }
  void finish();  // sort; give unsized code symbols the distance to the next one
  // "name+0x1c" for an address inside a known symbol, else "".
  std::string describe(uint64_t addr) const;
  const Symbol* find(uint64_t addr) const;
  const Symbol* lookup(const std::string& name) const;
  const std::vector<Symbol>& all() const { return syms_; }

 private:
  std::vector<Symbol> syms_;
};

struct LoadedProgram {
  uint64_t entry = 0;   // code address of the entry point
  uint64_t toc = 0;     // r2 for ELFv1 (from the entry descriptor); 0 for ELFv2
  int abi = 1;          // 1 = ELFv1, 2 = ELFv2
  uint64_t lowest = 0, highest = 0;  // span of the loaded segments
  struct Segment { uint64_t addr, size; bool exec; };
  std::vector<Segment> segments;
  SymbolTable symbols;
};

// Loads the file into memory. Throws LoadError on any malformed or unfitting input.
LoadedProgram load_elf(const std::string& path, mem::GuestMemory& memory);
// Same, from bytes already in memory (for tests and fuzzing).
LoadedProgram load_elf_image(const std::vector<uint8_t>& image, const std::string& name, mem::GuestMemory& memory);

}  // namespace quiesce::ppc
