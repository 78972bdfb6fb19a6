// Fuzz target: the ELF loader. Any bytes are loaded into 16 MiB of guest
// memory; bad files must end in a LoadError naming the file. A file that loads
// must describe itself consistently: segments inside memory and disjoint, the
// entry inside an executable segment, symbols sorted.
#include <cstdint>
#include <vector>

#include "cpu_ppc64/elf_loader.h"
#include "fuzz_check.h"

namespace ppc = quiesce::ppc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> image(data, data + size);
  quiesce::mem::GuestMemory memory(uint64_t{16} << 20);
  try {
    const ppc::LoadedProgram p = ppc::load_elf_image(image, "fuzz.elf", memory);
    bool entry_ok = false;
    for (size_t i = 0; i < p.segments.size(); ++i) {
      const auto& s = p.segments[i];
      if (!memory.contains(s.addr, s.size)) qfuzz::fail("segment outside memory", "");
      for (size_t j = 0; j < i; ++j)
        if (s.addr < p.segments[j].addr + p.segments[j].size && p.segments[j].addr < s.addr + s.size)
          qfuzz::fail("overlapping segments accepted", "");
      entry_ok |= s.exec && p.entry >= s.addr && p.entry + 4 <= s.addr + s.size;
    }
    if (!entry_ok) qfuzz::fail("entry outside every executable segment accepted", "");
    const auto& syms = p.symbols.all();
    for (size_t i = 1; i < syms.size(); ++i)
      if (syms[i].addr < syms[i - 1].addr) qfuzz::fail("symbols not sorted", "");
    for (const auto& s : syms) (void)p.symbols.describe(s.addr + s.size / 2);
  } catch (const ppc::LoadError& e) {
    qfuzz::check_message(e.what(), "fuzz.elf: ");
  }
  return 0;
}
