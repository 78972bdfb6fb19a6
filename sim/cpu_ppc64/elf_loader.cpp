#include "cpu_ppc64/elf_loader.h"

#include <elf.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <fmt/format.h>

namespace quiesce::ppc {

namespace {

constexpr uint64_t kMaxImage = uint64_t{1} << 30;

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, const std::string& name) : b_(b), name_(name) {}
  template <typename T> T get(uint64_t off) const {
    if (off > b_.size() || sizeof(T) > b_.size() - off)
      throw LoadError(fmt::format("{}: truncated ELF file (need {} bytes at offset {}, file has {})", name_,
                                  sizeof(T), off, b_.size()));
    T v;
    std::memcpy(&v, b_.data() + off, sizeof v);
    return mem::GuestMemory::from_be(v);
  }
  void check_range(uint64_t off, uint64_t len, const char* what) const {
    if (off > b_.size() || len > b_.size() - off)
      throw LoadError(fmt::format("{}: {} lies outside the file (offset {}, size {})", name_, what, off, len));
  }
  std::string cstr(uint64_t off, uint64_t limit) const {
    std::string s;
    while (off < limit && off < b_.size() && b_[off]) s.push_back(static_cast<char>(b_[off++]));
    return s;
  }
  const uint8_t* data() const { return b_.data(); }

 private:
  const std::vector<uint8_t>& b_;
  const std::string& name_;
};

struct Shdr { uint32_t name, type; uint64_t flags, addr, offset, size; uint32_t link; uint64_t entsize; };

}  // namespace

void SymbolTable::finish() {
  // At one address keep the most informative symbol: a sized data object
  // over a linker label such as __bss_start.
  std::sort(syms_.begin(), syms_.end(), [](const Symbol& a, const Symbol& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    if (a.data != b.data) return a.data;
    if (a.size != b.size) return a.size > b.size;
    return a.name < b.name;
  });
  syms_.erase(std::unique(syms_.begin(), syms_.end(),
                          [](const Symbol& a, const Symbol& b) { return a.addr == b.addr; }),
              syms_.end());
  for (size_t i = 0; i < syms_.size(); ++i)
    if (syms_[i].size == 0 && i + 1 < syms_.size()) syms_[i].size = syms_[i + 1].addr - syms_[i].addr;
}

const Symbol* SymbolTable::find(uint64_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr, [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == syms_.begin()) return nullptr;
  --it;
  if (addr - it->addr < std::max<uint64_t>(it->size, 1)) return &*it;
  return nullptr;
}

const Symbol* SymbolTable::lookup(const std::string& name) const {
  for (const auto& s : syms_)
    if (s.name == name) return &s;
  return nullptr;
}

std::string SymbolTable::describe(uint64_t addr) const {
  const Symbol* s = find(addr);
  if (!s) return {};
  return addr == s->addr ? s->name : fmt::format("{}+0x{:x}", s->name, addr - s->addr);
}

LoadedProgram load_elf(const std::string& path, mem::GuestMemory& memory) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw LoadError(fmt::format("{}: cannot open file", path));
  f.seekg(0, std::ios::end);
  const auto len = static_cast<uint64_t>(std::max<std::streamoff>(f.tellg(), 0));
  if (len > kMaxImage) throw LoadError(fmt::format("{}: file larger than 1 GiB", path));
  f.seekg(0);
  std::vector<uint8_t> image(len);
  f.read(reinterpret_cast<char*>(image.data()), static_cast<std::streamsize>(len));
  return load_elf_image(image, path, memory);
}

LoadedProgram load_elf_image(const std::vector<uint8_t>& image, const std::string& name, mem::GuestMemory& memory) {
  Reader r(image, name);
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0)
    throw LoadError(fmt::format("{}: not an ELF file", name));
  if (image[EI_CLASS] != ELFCLASS64) throw LoadError(fmt::format("{}: not a 64-bit ELF file", name));
  if (image[EI_DATA] != ELFDATA2MSB) throw LoadError(fmt::format("{}: not big-endian (quiesce models big-endian PowerPC)", name));
  const auto type = r.get<uint16_t>(16), machine = r.get<uint16_t>(18);
  if (machine != EM_PPC64) throw LoadError(fmt::format("{}: machine {} is not PowerPC 64 (21)", name, machine));
  if (type != ET_EXEC) throw LoadError(fmt::format("{}: not a static executable (ELF type {})", name, type));
  const auto e_entry = r.get<uint64_t>(24), phoff = r.get<uint64_t>(32), shoff = r.get<uint64_t>(40);
  const auto flags = r.get<uint32_t>(48);
  const auto phentsize = r.get<uint16_t>(54), phnum = r.get<uint16_t>(56);
  const auto shentsize = r.get<uint16_t>(58), shnum = r.get<uint16_t>(60), shstrndx = r.get<uint16_t>(62);

  LoadedProgram p;
  p.abi = (flags & 3) == 2 ? 2 : 1;
  if (phnum == 0) throw LoadError(fmt::format("{}: no program headers", name));
  if (phentsize < 56) throw LoadError(fmt::format("{}: bad program header size {}", name, phentsize));
  r.check_range(phoff, uint64_t{phnum} * phentsize, "program header table");
  p.lowest = ~uint64_t{0};
  for (unsigned i = 0; i < phnum; ++i) {
    const uint64_t h = phoff + uint64_t{i} * phentsize;
    if (r.get<uint32_t>(h) != PT_LOAD) continue;
    const auto pflags = r.get<uint32_t>(h + 4);
    const auto off = r.get<uint64_t>(h + 8), vaddr = r.get<uint64_t>(h + 16);
    const auto filesz = r.get<uint64_t>(h + 32), memsz = r.get<uint64_t>(h + 40);
    if (memsz == 0) continue;
    if (filesz > memsz) throw LoadError(fmt::format("{}: segment {} has file size larger than memory size", name, i));
    r.check_range(off, filesz, fmt::format("segment {}", i).c_str());
    if (!memory.contains(vaddr, memsz))
      throw LoadError(fmt::format("{}: segment {} (0x{:x} bytes at 0x{:x}) lies outside guest memory [0, 0x{:x})", name,
                                  i, memsz, vaddr, memory.size()));
    for (const auto& s : p.segments)
      if (vaddr < s.addr + s.size && s.addr < vaddr + memsz)
        throw LoadError(fmt::format("{}: segment {} at 0x{:x} overlaps another segment", name, i, vaddr));
    memory.write(vaddr, image.data() + off, filesz);
    memory.fill(vaddr + filesz, 0, memsz - filesz);
    p.segments.push_back({vaddr, memsz, (pflags & PF_X) != 0});
    p.lowest = std::min(p.lowest, vaddr);
    p.highest = std::max(p.highest, vaddr + memsz);
  }
  if (p.segments.empty()) throw LoadError(fmt::format("{}: no loadable segments", name));
  auto in_segment = [&](uint64_t a, uint64_t len, bool exec) {
    return std::any_of(p.segments.begin(), p.segments.end(), [&](const auto& s) {
      return a >= s.addr && len <= s.size && a - s.addr <= s.size - len && (!exec || s.exec);
    });
  };

  // Sections: find .opd (ELFv1 descriptors) and the symbol table.
  uint64_t opd_lo = 0, opd_hi = 0;
  std::vector<Shdr> sh;
  if (shoff && shnum) {
    if (shentsize < 64) throw LoadError(fmt::format("{}: bad section header size {}", name, shentsize));
    r.check_range(shoff, uint64_t{shnum} * shentsize, "section header table");
    for (unsigned i = 0; i < shnum; ++i) {
      const uint64_t h = shoff + uint64_t{i} * shentsize;
      sh.push_back({r.get<uint32_t>(h), r.get<uint32_t>(h + 4), r.get<uint64_t>(h + 8), r.get<uint64_t>(h + 16),
                    r.get<uint64_t>(h + 24), r.get<uint64_t>(h + 32), r.get<uint32_t>(h + 40), r.get<uint64_t>(h + 56)});
    }
    if (shstrndx < sh.size() && sh[shstrndx].type == SHT_STRTAB) {
      const auto& ss = sh[shstrndx];
      r.check_range(ss.offset, ss.size, "section name table");
      for (const auto& s : sh)
        if (r.cstr(ss.offset + s.name, ss.offset + ss.size) == ".opd") opd_lo = s.addr, opd_hi = s.addr + s.size;
    }
  }
  if ((flags & 3) == 0 && opd_hi == 0) p.abi = 2;  // no descriptors: entry is code
  const bool in_opd = [&] { return e_entry >= opd_lo && e_entry < opd_hi; }();
  // e_flags 1 declares ELFv1, whose entry is always a descriptor, even when no
  // section headers say where .opd is; with e_flags 0, .opd decides.
  const bool descriptor = p.abi == 1 && ((flags & 3) == 1 || in_opd);
  if (descriptor) {
    if (!in_segment(e_entry, 16, false)) throw LoadError(fmt::format("{}: entry descriptor 0x{:x} outside any segment", name, e_entry));
    p.entry = memory.load<uint64_t>(e_entry);
    p.toc = memory.load<uint64_t>(e_entry + 8);
  } else {
    p.abi = 2;
    p.entry = e_entry;
  }
  if (!in_segment(p.entry, 4, true))
    throw LoadError(fmt::format("{}: entry point 0x{:x}{} is not inside an executable segment", name, p.entry,
                                descriptor ? fmt::format(" (from the entry descriptor at 0x{:x})", e_entry) : ""));

  for (const auto& s : sh) {
    if (s.type != SHT_SYMTAB || s.entsize < 24 || s.link >= sh.size()) continue;
    const auto& str = sh[s.link];
    r.check_range(s.offset, s.size, "symbol table");
    r.check_range(str.offset, str.size, "string table");
    for (uint64_t k = 0, n = s.size / s.entsize; k < n; ++k) {  // by index: off + entsize could wrap
      const uint64_t off = s.offset + k * s.entsize;
      const auto info = r.get<uint8_t>(off + 4);
      const auto st_name = r.get<uint32_t>(off);
      const auto shndx = r.get<uint16_t>(off + 6);
      uint64_t value = r.get<uint64_t>(off + 8), size = r.get<uint64_t>(off + 16);
      const int stype = ELF64_ST_TYPE(info);
      if (shndx == SHN_UNDEF || (stype != STT_FUNC && stype != STT_NOTYPE && stype != STT_OBJECT)) continue;
      std::string nm = r.cstr(str.offset + st_name, str.offset + str.size);
      if (nm.empty() || nm[0] == '$' || nm.starts_with(".L")) continue;
      if (stype == STT_FUNC && value >= opd_lo && value < opd_hi) {  // descriptor -> code
        if (!in_segment(value, 8, false)) continue;
        value = memory.load<uint64_t>(value);
        size = 0;  // descriptor size, not code size
      }
      if (stype != STT_OBJECT && !in_segment(value, 1, true)) continue;  // only code labels and data objects
      p.symbols.add({value, size, std::move(nm), stype == STT_OBJECT});
    }
  }
  p.symbols.finish();
  return p;
}

}  // namespace quiesce::ppc
