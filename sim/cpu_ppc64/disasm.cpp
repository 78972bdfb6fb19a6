#include "cpu_ppc64/disasm.h"

#include <fmt/format.h>

namespace quiesce::ppc {

namespace {

// Capstone prints small numbers in decimal and larger ones in hex.
std::string num(int64_t v) {
  if (v >= 0) return v > 9 ? fmt::format("0x{:x}", v) : fmt::format("{}", v);
  return v < -9 ? fmt::format("-0x{:x}", -static_cast<uint64_t>(v)) : fmt::format("{}", v);
}
std::string unum(uint64_t v) { return v > 9 ? fmt::format("0x{:x}", v) : fmt::format("{}", v); }
std::string r(unsigned n) { return fmt::format("r{}", n); }
std::string crf(unsigned n) { return fmt::format("cr{}", n); }
// Capstone prints 16-bit immediates unsigned, displacements signed, base 0 as "0".
std::string imm16(int64_t v) { return unum(static_cast<uint64_t>(v) & 0xffff); }
std::string mem(int64_t disp, unsigned base) { return fmt::format("{}({})", num(disp), base ? r(base) : "0"); }


// Extended branch mnemonics: returns the base ("beq", "bdnz", ...) or "" when
// the BO/BI combination has none.
// The static prediction hint ("+" likely, "-" unlikely) comes from the "at" bits.
std::string branch_base(unsigned bo, unsigned bi, bool& uses_cr, std::string& hint) {
  uses_cr = false;
  hint.clear();
  if (bo == 20) return "b";  // branch always
  if ((bo & 0x14) == 0) {  // decrement CTR and test the condition: bd{nz,z}{t,f} crbit
    uses_cr = true;
    return std::string("bd") + ((bo & 2) ? "z" : "nz") + ((bo & 8) ? "t" : "f");
  }
  if ((bo & 0x14) == 0x10) {  // decrement CTR, ignore the condition: 1a0zt
    if (bo & 8) hint = (bo & 1) ? "+" : "-";
    return (bo & 2) ? "bdz" : "bdnz";
  }
  if ((bo & 0x14) == 0x04) {  // test the condition only: 0c1at
    uses_cr = true;
    if (bo & 2) hint = (bo & 1) ? "+" : "-";
    static const char* pos[] = {"lt", "gt", "eq", "so"};
    static const char* neg[] = {"ge", "le", "ne", "ns"};
    return std::string("b") + ((bo & 8) ? pos[bi & 3] : neg[bi & 3]);
  }
  return "";
}

std::string crnum(unsigned b) { return fmt::format("{}", b); }
std::string crbit(unsigned b) {
  static const char* kBit[] = {"lt", "gt", "eq", "un"};
  return b / 4 ? fmt::format("4*cr{}+{}", b / 4, kBit[b & 3]) : std::string(kBit[b & 3]);
}
// Trap conditions with an extended mnemonic in Capstone 4.
const char* trap_cond(unsigned to) {
  switch (to) {
    case 4: return "eq";
    case 8: return "gt";
    case 16: return "lt";
    case 24: return "ne";
    case 31: return "u";
    default: return nullptr;
  }
}

}  // namespace

DisasmText disassemble(const Insn& d, uint32_t word, uint64_t pc) {
  const char* base = kOpMnemonic[static_cast<int>(d.op)];
  std::string m = base;
  const std::string dot = d.rc ? "." : "";
  const std::string o = d.oe ? "o" : "";
  const unsigned rt = d.rt, ra = d.ra, rb = d.rb;
  auto rrr = [&] { return DisasmText{m + o + dot, fmt::format("{}, {}, {}", r(rt), r(ra), r(rb))}; };
  auto rr = [&] { return DisasmText{m + o + dot, fmt::format("{}, {}", r(rt), r(ra))}; };
  auto logic3 = [&] { return DisasmText{m + dot, fmt::format("{}, {}, {}", r(ra), r(rt), r(rb))}; };
  auto logic2 = [&] { return DisasmText{m + dot, fmt::format("{}, {}", r(ra), r(rt))}; };
  auto dload = [&] { return DisasmText{m, fmt::format("{}, {}", r(rt), mem(d.imm, ra))}; };
  auto xform = [&] { return DisasmText{m, fmt::format("{}, {}, {}", r(rt), ra ? r(ra) : "0", r(rb))}; };
  auto cache = [&] { return DisasmText{m, fmt::format("{}, {}", ra ? r(ra) : "0", r(rb))}; };
  switch (d.op) {
    case Op::Undecoded: case Op::Illegal: case Op::Watch: case Op::Count:  // (decode() makes no Watch)
      return {".long", fmt::format("0x{:x}", word)};
    case Op::Addi:
      if (!ra) return {"li", fmt::format("{}, {}", r(rt), imm16(d.imm))};
      return {m, fmt::format("{}, {}, {}", r(rt), r(ra), imm16(d.imm))};
    case Op::Addis:
      if (!ra) return {"lis", fmt::format("{}, {}", r(rt), unum(static_cast<uint64_t>(d.imm >> 16) & 0xffff))};
      return {m, fmt::format("{}, {}, {}", r(rt), r(ra), unum(static_cast<uint64_t>(d.imm >> 16) & 0xffff))};
    case Op::Addic: case Op::AddicRc: case Op::Subfic: case Op::Mulli:
      return {m, fmt::format("{}, {}, {}", r(rt), r(ra), imm16(d.imm))};
    case Op::Ori: case Op::Xori: case Op::AndiRc:
      if (d.op == Op::Ori && !rt && !ra && !d.imm) return {"nop", ""};
      return {m, fmt::format("{}, {}, {}", r(ra), r(rt), unum(static_cast<uint64_t>(d.imm)))};
    case Op::Oris: case Op::Xoris: case Op::AndisRc:
      return {m, fmt::format("{}, {}, {}", r(ra), r(rt), unum(static_cast<uint64_t>(d.imm) >> 16))};
    case Op::Cmpi: case Op::Cmpli: case Op::Cmp: case Op::Cmpl: {
      const bool imm = d.op == Op::Cmpi || d.op == Op::Cmpli;
      const bool logical = d.op == Op::Cmpli || d.op == Op::Cmpl;
      std::string mn = std::string("cmp") + (logical ? "l" : "") + (d.mb ? "d" : "w") + (imm ? "i" : "");
      std::string second = imm ? imm16(d.imm) : r(rb);
      std::string ops = fmt::format("{}, {}", r(ra), second);
      if (rt) ops = crf(rt) + ", " + ops;
      return {mn, ops};
    }
    case Op::Tw: case Op::Td:
      if (d.op == Op::Tw && rt == 31 && !ra && !rb) return {"trap", ""};
      if (const char* c = trap_cond(rt)) return {fmt::format("{}{}", m, c), fmt::format("{}, {}", r(ra), r(rb))};
      return {m, fmt::format("{}, {}, {}", unum(rt), r(ra), r(rb))};
    case Op::Twi: case Op::Tdi:
      if (const char* c = trap_cond(rt)) return {fmt::format("{}{}i", d.op == Op::Twi ? "tw" : "td", c), fmt::format("{}, {}", r(ra), imm16(d.imm))};
      return {m, fmt::format("{}, {}, {}", unum(rt), r(ra), imm16(d.imm))};
    case Op::Add: case Op::Addc: case Op::Adde: case Op::Subf: case Op::Subfc: case Op::Subfe:
    case Op::Mullw: case Op::Mulld: case Op::Mulhw: case Op::Mulhwu: case Op::Mulhd: case Op::Mulhdu:
    case Op::Divw: case Op::Divwu: case Op::Divd: case Op::Divdu:
      return rrr();
    case Op::Addze: case Op::Addme: case Op::Subfze: case Op::Subfme: case Op::Neg:
      return rr();
    case Op::Or:
      if (rt == rb && !d.rc) return {"mr", fmt::format("{}, {}", r(ra), r(rt))};
      return logic3();
    case Op::Nor:
      return logic3();
    case Op::And: case Op::Andc: case Op::Orc: case Op::Xor: case Op::Nand: case Op::Eqv:
    case Op::Slw: case Op::Srw: case Op::Sraw: case Op::Sld: case Op::Srd: case Op::Srad:
      return logic3();
    case Op::Extsb: case Op::Extsh: case Op::Extsw: case Op::Popcntb: case Op::Popcntw: case Op::Popcntd:
      return logic2();
    case Op::Cntlzw: case Op::Cntlzd: return logic2();
    case Op::Isel: return {m, fmt::format("{}, {}, {}, {}", r(rt), ra ? r(ra) : "0", r(rb), unsigned{d.mb})};
    case Op::Srawi: case Op::Sradi: return {m + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(rb))};
    case Op::Rlwinm: {
      const unsigned sh = rb, mb = d.mb, me = d.me;
      if (mb == 0 && me == 31 - sh && sh) return {"slwi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(sh))};
      if (me == 31 && sh == 32 - mb && sh && mb) return {"srwi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(mb))};
      if (mb == 0 && me == 31) return {"rotlwi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(sh))};
      if (sh == 0 && me == 31) return {"clrlwi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(mb))};
      return {m + dot, fmt::format("{}, {}, {}, {}, {}", r(ra), r(rt), unum(sh), unum(mb), unum(me))};
    }
    case Op::Rlwnm:
      if (d.mb == 0 && d.me == 31) return {"rotlw" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), r(rb))};
      return {m + dot, fmt::format("{}, {}, {}, {}, {}", r(ra), r(rt), r(rb), unum(d.mb), unum(d.me))};
    case Op::Rlwimi:
      return {m + dot, fmt::format("{}, {}, {}, {}, {}", r(ra), r(rt), unum(rb), unum(d.mb), unum(d.me))};
    case Op::Rldicl: {
      const unsigned sh = rb, mb = d.mb;
      if (mb == 0) return {"rotldi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(sh))};
      if (sh == 0) return {"clrldi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(mb))};
      return {m + dot, fmt::format("{}, {}, {}, {}", r(ra), r(rt), unum(sh), unum(mb))};
    }
    case Op::Rldicr: {
      const unsigned sh = rb, me = d.mb;
      if (me == 63 - sh) return {"sldi" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), unum(sh))};
      return {m + dot, fmt::format("{}, {}, {}, {}", r(ra), r(rt), unum(sh), unum(me))};
    }
    case Op::Rldic: case Op::Rldimi:
      return {m + dot, fmt::format("{}, {}, {}, {}", r(ra), r(rt), unum(rb), unum(d.mb))};
    case Op::Rldcl:
      if (d.mb == 0) return {"rotld" + dot, fmt::format("{}, {}, {}", r(ra), r(rt), r(rb))};
      return {m + dot, fmt::format("{}, {}, {}, {}", r(ra), r(rt), r(rb), unum(d.mb))};
    case Op::Rldcr: return {m + dot, fmt::format("{}, {}, {}, {}", r(ra), r(rt), r(rb), unum(d.mb))};
    case Op::Lbz: case Op::Lbzu: case Op::Lhz: case Op::Lhzu: case Op::Lha: case Op::Lhau: case Op::Lwz:
    case Op::Lwzu: case Op::Lwa: case Op::Ld: case Op::Ldu: case Op::Stb: case Op::Stbu: case Op::Sth:
    case Op::Sthu: case Op::Stw: case Op::Stwu: case Op::Std: case Op::Stdu:
      return dload();
    case Op::Lbzx: case Op::Lbzux: case Op::Lhzx: case Op::Lhzux: case Op::Lhax: case Op::Lhaux: case Op::Lwzx:
    case Op::Lwzux: case Op::Lwax: case Op::Lwaux: case Op::Ldx: case Op::Ldux: case Op::Lhbrx: case Op::Lwbrx:
    case Op::Ldbrx: case Op::Lwarx: case Op::Ldarx: case Op::Stbx: case Op::Stbux: case Op::Sthx: case Op::Sthux:
    case Op::Stwx: case Op::Stwux: case Op::Stdx: case Op::Stdux: case Op::Sthbrx: case Op::Stwbrx: case Op::Stdbrx:
    case Op::Stwcx: case Op::Stdcx:
      return xform();
    case Op::B: {
      const uint64_t target = d.oe ? static_cast<uint64_t>(d.imm) : pc + static_cast<uint64_t>(d.imm);
      return {std::string("b") + (d.rc ? "l" : "") + (d.oe ? "a" : ""), unum(target)};
    }
    case Op::Bc: case Op::Bclr: case Op::Bcctr: {
      bool uses_cr = false;
      std::string hint;
      // bc with BO=20 is not printed as "b": that would read back as the I-form.
      std::string b = d.op == Op::Bc && rt == 20 ? "" : branch_base(rt, ra, uses_cr, hint);
      const std::string suffix = d.op == Op::Bclr ? "lr" : d.op == Op::Bcctr ? "ctr" : "";
      std::string target;
      if (d.op == Op::Bc) target = unum(d.oe ? static_cast<uint64_t>(d.imm) : pc + static_cast<uint64_t>(d.imm));
      if (b.empty()) {
        std::string ops = fmt::format("{}, {}", rt, ra);
        if (!target.empty()) ops += ", " + target;
        return {m + (d.rc ? "l" : "") + (d.oe ? "a" : ""), ops};
      }
      std::string mn = b + suffix + (d.rc ? "l" : "") + (d.oe ? "a" : "") + hint;
      std::string ops;
      if (b.starts_with("bd") && uses_cr) ops = crbit(ra);
      else if (uses_cr && ra / 4) ops = crf(ra / 4);
      if (!target.empty()) ops += (ops.empty() ? "" : ", ") + target;
      return {mn, ops};
    }
    case Op::Mcrf: return {m, fmt::format("{}, {}", crf(rt), crf(ra))};
    case Op::Crxor:
      if (rt == ra && ra == rb) return {"crclr", crnum(rt)};
      return {m, fmt::format("{}, {}, {}", crnum(rt), crnum(ra), crnum(rb))};
    case Op::Creqv:
      if (rt == ra && ra == rb) return {"crset", crnum(rt)};
      return {m, fmt::format("{}, {}, {}", crnum(rt), crnum(ra), crnum(rb))};
    case Op::Cror:
      if (ra == rb) return {"crmove", fmt::format("{}, {}", crnum(rt), crnum(ra))};
      return {m, fmt::format("{}, {}, {}", crnum(rt), crnum(ra), crnum(rb))};
    case Op::Crnor:
      if (ra == rb) return {"crnot", fmt::format("{}, {}", crnum(rt), crnum(ra))};
      return {m, fmt::format("{}, {}, {}", crnum(rt), crnum(ra), crnum(rb))};
    case Op::Crand: case Op::Crandc: case Op::Crnand: case Op::Crorc:
      return {m, fmt::format("{}, {}, {}", crnum(rt), crnum(ra), crnum(rb))};
    case Op::Mfcr: return {m, r(rt)};
    case Op::Mfocrf: return {m, fmt::format("{}, {}", r(rt), unum(static_cast<uint64_t>(d.imm)))};
    case Op::Mtcrf:
      if (d.imm == 0xff) return {"mtcr", r(rt)};
      return {m, fmt::format("{}, {}", unum(static_cast<uint64_t>(d.imm)), r(rt))};
    case Op::Mtocrf: return {m, fmt::format("{}, {}", unum(static_cast<uint64_t>(d.imm)), r(rt))};
    case Op::Mfspr:
      if (d.imm == 8) return {"mflr", r(rt)};
      if (d.imm == 9) return {"mfctr", r(rt)};
      if (d.imm == 1) return {"mfxer", r(rt)};
      if (d.imm == 268) return {"mftb", r(rt)};
      if (d.imm == 269) return {"mftbu", r(rt)};
      return {m, fmt::format("{}, {}", r(rt), unum(static_cast<uint64_t>(d.imm)))};
    case Op::Mtspr:
      if (d.imm == 8) return {"mtlr", r(rt)};
      if (d.imm == 9) return {"mtctr", r(rt)};
      if (d.imm == 1) return {"mtxer", r(rt)};
      return {m, fmt::format("{}, {}", unum(static_cast<uint64_t>(d.imm)), r(rt))};
    case Op::Mftb: return {d.imm == 269 ? "mftbu" : "mftb", r(rt)};
    case Op::Mfmsr: return {m, r(rt)};
    case Op::Mtmsrd: return {m, d.mb ? fmt::format("{}, 1", r(rt)) : r(rt)};
    case Op::Rfid: return {m, ""};
    case Op::Sc: return {m, ""};
    case Op::Sync: return {m, ""};
    case Op::Lwsync: case Op::Isync: case Op::Eieio: return {m, ""};
    case Op::Dcbt: case Op::Dcbtst: case Op::Dcbst: case Op::Dcbf: case Op::Dcbz: case Op::Icbi:
      return cache();
  }
  return {m, ""};
}

}  // namespace quiesce::ppc
