#!/usr/bin/python3
"""Derives the bad ELF files of this directory from good-elfv1.elf and
good-elfv2.elf (tiny.c built with tools/guest-cc; see README.md) by patching
bytes: every case is one good file with one thing broken. Offsets are read
from the good files' own headers, so a rebuilt base still gives sensible cases.

    make.py [--out DIR]      (default DIR: this directory)

The output is deterministic: tests/cli/test_malformed_elf.py regenerates the
files into a temporary directory and compares them byte for byte."""
import argparse
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ELF64 constants (big-endian files: every field is packed with ">").
PT_LOAD, PT_NOTE, PF_X, SHT_SYMTAB = 1, 4, 1, 2
EHDR_FIELDS = {  # name: (offset, struct format)
    "e_type": (16, ">H"), "e_machine": (18, ">H"), "e_entry": (24, ">Q"), "e_phoff": (32, ">Q"),
    "e_shoff": (40, ">Q"), "e_flags": (48, ">I"), "e_phentsize": (54, ">H"), "e_phnum": (56, ">H"),
    "e_shentsize": (58, ">H"), "e_shnum": (60, ">H"), "e_shstrndx": (62, ">H"),
}
PHDR_FIELDS = {"p_type": (0, ">I"), "p_flags": (4, ">I"), "p_offset": (8, ">Q"), "p_vaddr": (16, ">Q"),
               "p_paddr": (24, ">Q"), "p_filesz": (32, ">Q"), "p_memsz": (40, ">Q"), "p_align": (48, ">Q")}
SHDR_FIELDS = {"sh_name": (0, ">I"), "sh_type": (4, ">I"), "sh_addr": (16, ">Q"), "sh_offset": (24, ">Q"),
               "sh_size": (32, ">Q"), "sh_link": (40, ">I"), "sh_entsize": (56, ">Q")}


class Elf:
    """A mutable ELF64 big-endian image with field access by name."""

    def __init__(self, data):
        self.b = bytearray(data)

    def _get(self, base, field):
        off, fmt = field
        return struct.unpack_from(fmt, self.b, base + off)[0]

    def _set(self, base, field, value):
        off, fmt = field
        struct.pack_into(fmt, self.b, base + off, value)

    def eh(self, name, value=None):
        if value is None:
            return self._get(0, EHDR_FIELDS[name])
        self._set(0, EHDR_FIELDS[name], value)

    def ph_base(self, i):
        return self.eh("e_phoff") + i * self.eh("e_phentsize")

    def ph(self, i, name, value=None):
        if value is None:
            return self._get(self.ph_base(i), PHDR_FIELDS[name])
        self._set(self.ph_base(i), PHDR_FIELDS[name], value)

    def sh_base(self, i):
        return self.eh("e_shoff") + i * self.eh("e_shentsize")

    def sh(self, i, name, value=None):
        if value is None:
            return self._get(self.sh_base(i), SHDR_FIELDS[name])
        self._set(self.sh_base(i), SHDR_FIELDS[name], value)

    def load_index(self):  # the (first) PT_LOAD program header
        return next(i for i in range(self.eh("e_phnum")) if self.ph(i, "p_type") == PT_LOAD)

    def other_index(self):  # the program header that is not the PT_LOAD (GNU_STACK)
        return next(i for i in range(self.eh("e_phnum")) if self.ph(i, "p_type") != PT_LOAD)

    def section(self, wanted):  # index of the section called `wanted`
        strtab = self.sh(self.eh("e_shstrndx"), "sh_offset")
        for i in range(self.eh("e_shnum")):
            start = strtab + self.sh(i, "sh_name")
            if bytes(self.b[start:self.b.index(0, start)]) == wanted.encode():
                return i
        raise KeyError(wanted)

    def symtab(self):
        return next(i for i in range(self.eh("e_shnum")) if self.sh(i, "sh_type") == SHT_SYMTAB)

    def load_to_file_offset(self, addr):  # file offset of a loaded address
        i = self.load_index()
        return self.ph(i, "p_offset") + addr - self.ph(i, "p_vaddr")


def cases(v1, v2):
    """Yields (file name, bytes). The comment on each case's first line says what it breaks."""
    yield "empty.elf", b""  # zero bytes
    yield "text.elf", b"This is a text file, not an ELF program.\n"  # no ELF magic
    yield "truncated-header.elf", v1[:40]  # cut inside the 64-byte ELF header (before e_shoff)
    e = Elf(v1)  # cut 256 bytes into the PT_LOAD segment's data
    yield "truncated-segment.elf", bytes(e.b[:e.ph(e.load_index(), "p_offset") + 256])
    e = Elf(v1); e.b[4] = 1  # EI_CLASS = ELFCLASS32
    yield "class32.elf", e.b
    e = Elf(v1); e.b[5] = 1  # EI_DATA = ELFDATA2LSB (little-endian)
    yield "little-endian.elf", e.b
    e = Elf(v1); e.eh("e_machine", 20)  # EM_PPC (32-bit PowerPC)
    yield "machine-ppc32.elf", e.b
    e = Elf(v1); e.eh("e_machine", 62)  # EM_X86_64
    yield "machine-x86-64.elf", e.b
    e = Elf(v1); e.eh("e_type", 3)  # ET_DYN (a shared object / PIE), not ET_EXEC
    yield "type-dyn.elf", e.b
    e = Elf(v1); e.eh("e_phnum", 0)  # no program headers at all
    yield "no-program-headers.elf", e.b
    e = Elf(v1); e.eh("e_phentsize", 32)  # program header entries smaller than Elf64_Phdr (56)
    yield "bad-phentsize.elf", e.b
    e = Elf(v1); e.eh("e_phoff", len(e.b))  # program header table starts at the end of the file
    yield "phdrs-beyond-file.elf", e.b
    e = Elf(v1); e.eh("e_phoff", 2**64 - 0x40)  # program header offset near 2^64 (offset + size wraps)
    yield "phdrs-offset-wraps.elf", e.b
    e = Elf(v1); i = e.load_index(); e.ph(i, "p_filesz", e.ph(i, "p_memsz") + 16)  # filesz > memsz
    yield "filesz-over-memsz.elf", e.b
    e = Elf(v1); e.ph(e.load_index(), "p_vaddr", 0x4000_0000_0000_0000)  # segment far above guest memory
    yield "segment-huge-vaddr.elf", e.b
    e = Elf(v1); e.ph(e.load_index(), "p_memsz", 2**64 - 0x1000)  # vaddr + memsz wraps around 2^64
    yield "segment-wraps.elf", e.b
    e = Elf(v1); j = e.other_index()  # GNU_STACK -> a 4 KiB PT_LOAD in the CPU stacks (top 1 MiB of 256 MiB)
    e.ph(j, "p_type", PT_LOAD); e.ph(j, "p_vaddr", 0x0FF0_0000); e.ph(j, "p_memsz", 0x1000)
    yield "segment-in-stacks.elf", e.b
    e = Elf(v1); e.ph(e.load_index(), "p_memsz", 0x0FF0_0000)  # bss up to the end of guest memory (255 MiB zeroed)
    yield "segment-fills-memory.elf", e.b
    e = Elf(v1); i, j = e.load_index(), e.other_index()  # GNU_STACK -> PT_LOAD overlapping the first PT_LOAD
    for f in ("p_offset", "p_vaddr", "p_paddr"):
        e.ph(j, f, e.ph(i, f) + 0x100)
    e.ph(j, "p_type", PT_LOAD); e.ph(j, "p_flags", 4); e.ph(j, "p_filesz", 0x100); e.ph(j, "p_memsz", 0x100)
    yield "overlapping-segments.elf", e.b
    e = Elf(v1); e.ph(e.load_index(), "p_type", PT_NOTE)  # the only PT_LOAD becomes PT_NOTE
    yield "no-loadable-segment.elf", e.b
    e = Elf(v2); e.eh("e_entry", 0x0200_0000)  # ELFv2 entry point outside every segment
    yield "entry-outside.elf", e.b
    e = Elf(v2); i = e.load_index(); e.ph(i, "p_flags", e.ph(i, "p_flags") & ~PF_X)  # segment not executable
    yield "entry-not-executable.elf", e.b
    e = Elf(v1); off = e.load_to_file_offset(e.eh("e_entry"))  # ELFv1: _start's descriptor -> 0x2000000
    struct.pack_into(">Q", e.b, off, 0x0200_0000)
    yield "elfv1-descriptor-outside.elf", e.b
    e = Elf(v1); o = e.section(".opd")  # ELFv1: .opd grown past the segment, entry descriptor beyond its end
    e.sh(o, "sh_size", 0x10000); e.eh("e_entry", e.sh(o, "sh_addr") + 0x8000)
    yield "elfv1-descriptor-past-segment.elf", e.b
    e = Elf(v1); e.eh("e_shoff", 0); e.eh("e_shnum", 0)  # ELFv1 without section headers: .opd unknown
    yield "elfv1-no-section-headers.elf", e.b
    e = Elf(v1); e.eh("e_shstrndx", 0xFFFF)  # ELFv1, section name table index out of range: .opd unknown
    yield "elfv1-bad-shstrndx.elf", e.b
    e = Elf(v1); e.eh("e_shoff", len(e.b))  # section header table starts at the end of the file
    yield "shdrs-beyond-file.elf", e.b
    e = Elf(v1); e.eh("e_shentsize", 40)  # section header entries smaller than Elf64_Shdr (64)
    yield "bad-shentsize.elf", e.b
    e = Elf(v1); s = e.symtab()  # every symbol's st_name far past the end of .strtab
    for off in range(e.sh(s, "sh_offset"), e.sh(s, "sh_offset") + e.sh(s, "sh_size"), 24):
        struct.pack_into(">I", e.b, off, 0xFFFF_FFF0)
    yield "symtab-bad-st-name.elf", e.b
    e = Elf(v1); e.sh(e.symtab(), "sh_link", 0xFFFF)  # .symtab's string table index out of range
    yield "symtab-bad-link.elf", e.b
    e = Elf(v1); e.sh(e.symtab(), "sh_entsize", 2**64 - 8)  # .symtab entry size near 2^64 (offset + entsize wraps)
    yield "symtab-huge-entsize.elf", e.b
    e = Elf(v1); e.sh(e.symtab(), "sh_entsize", 8)  # .symtab entry size smaller than Elf64_Sym (24)
    yield "symtab-small-entsize.elf", e.b
    e = Elf(v1); e.sh(e.symtab(), "sh_offset", 2**40)  # .symtab data outside the file
    yield "symtab-beyond-file.elf", e.b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE, help="where to write the bad files (default: this directory)")
    args = ap.parse_args()
    with open(os.path.join(HERE, "good-elfv1.elf"), "rb") as f:
        v1 = f.read()
    with open(os.path.join(HERE, "good-elfv2.elf"), "rb") as f:
        v2 = f.read()
    os.makedirs(args.out, exist_ok=True)
    for name, data in cases(v1, v2):
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()
