// Instruction decoder: 32-bit word -> Insn. Field names follow the Power ISA
// (big-endian bit numbering: bit 0 is the MSB of the word).
#include "cpu_ppc64/insn.h"

namespace quiesce::ppc {

const char* const kOpMnemonic[] = {
#define X(op, m, c) m,
    QUIESCE_PPC_OPS(X)
#undef X
};
const TimingClass kOpClass[] = {
#define X(op, m, c) TimingClass::c,
    QUIESCE_PPC_OPS(X)
#undef X
};

namespace {

constexpr uint32_t bits(uint32_t w, int first, int last) {  // ISA numbering, inclusive
  return (w >> (31 - last)) & ((1u << (last - first + 1)) - 1);
}

struct Builder {
  Insn i;
  explicit Builder(uint32_t w) {
    i.rt = static_cast<uint8_t>(bits(w, 6, 10));
    i.ra = static_cast<uint8_t>(bits(w, 11, 15));
    i.rb = static_cast<uint8_t>(bits(w, 16, 20));
    i.rc = static_cast<uint8_t>(w & 1);
  }
  Builder& op(Op o) { i.op = o; return *this; }
  Builder& reads(uint8_t a, uint8_t b = kSbNone, uint8_t c = kSbNone) {
    i.src[0] = a, i.src[1] = b, i.src[2] = c; return *this;
  }
  Builder& writes(uint8_t d) { i.dst = d == kSbNone ? kSbDiscard : d; return *this; }
  // ra|0 addressing: register 0 reads as the literal zero.
  uint8_t base() const { return i.ra ? i.ra : kSbNone; }
};

Insn illegal() { Insn i; i.op = Op::Illegal; return i; }

// XO-form arithmetic on opcode 31, keyed by the 9-bit XO; OE is bit 21.
bool decode_xo(uint32_t w, Builder& b) {
  const uint32_t xo = bits(w, 22, 30);
  Op o;
  bool unary = false, uses_ca = false, no_oe = false;
  switch (xo) {
    case 266: o = Op::Add; break;
    case 10: o = Op::Addc; break;
    case 138: o = Op::Adde; uses_ca = true; break;
    case 202: o = Op::Addze; unary = uses_ca = true; break;
    case 234: o = Op::Addme; unary = uses_ca = true; break;
    case 40: o = Op::Subf; break;
    case 8: o = Op::Subfc; break;
    case 136: o = Op::Subfe; uses_ca = true; break;
    case 200: o = Op::Subfze; unary = uses_ca = true; break;
    case 232: o = Op::Subfme; unary = uses_ca = true; break;
    case 104: o = Op::Neg; unary = true; break;
    case 235: o = Op::Mullw; break;
    case 233: o = Op::Mulld; break;
    case 75: o = Op::Mulhw; no_oe = true; break;
    case 11: o = Op::Mulhwu; no_oe = true; break;
    case 73: o = Op::Mulhd; no_oe = true; break;
    case 9: o = Op::Mulhdu; no_oe = true; break;
    case 491: o = Op::Divw; break;
    case 459: o = Op::Divwu; break;
    case 489: o = Op::Divd; break;
    case 457: o = Op::Divdu; break;
    default: return false;
  }
  b.i.oe = static_cast<uint8_t>(bits(w, 21, 21));
  if ((no_oe && b.i.oe) || (unary && b.i.rb)) { b.i = illegal(); return true; }
  b.op(o).writes(b.i.rt);
  if (unary) b.reads(b.i.ra, uses_ca ? kSbXer : kSbNone);
  else b.reads(b.i.ra, b.i.rb, uses_ca ? kSbXer : kSbNone);
  return true;
}

Insn decode_31(uint32_t w) {
  Builder b(w);
  if (decode_xo(w, b)) return b.i;
  const uint8_t rt = b.i.rt, ra = b.i.ra, rb = b.i.rb;
  auto load_x = [&](Op o, bool update) {
    b.op(o).reads(update ? ra : b.base(), rb).writes(rt);
    return b.i;
  };
  auto store_x = [&](Op o, bool update) {
    b.op(o).reads(update ? ra : b.base(), rb, rt);
    if (update) b.writes(ra);
    return b.i;
  };
  auto logical = [&](Op o, bool binary = true) {  // rs -> ra forms
    b.op(o).reads(rt, binary ? rb : kSbNone).writes(ra);
    return b.i;
  };
  auto cache_op = [&](Op o) {
    if (rt != 0 && o != Op::Dcbt && o != Op::Dcbtst && o != Op::Dcbf) return illegal();
    b.op(o).reads(b.base(), rb);
    return b.i;
  };
  if (bits(w, 26, 30) == 15) {  // isel: RT = CR[BC] ? (RA|0) : RB
    b.i.mb = static_cast<uint8_t>(bits(w, 21, 25));
    b.op(Op::Isel).reads(b.base(), rb, kSbCr).writes(rt);
    return b.i;
  }
  switch (bits(w, 21, 30)) {
    case 0: case 32:
      if (bits(w, 9, 9) || b.i.rc) return illegal();
      b.i.mb = static_cast<uint8_t>(bits(w, 10, 10));  // L: 64-bit compare
      b.i.rt = static_cast<uint8_t>(bits(w, 6, 8));
      b.op(bits(w, 21, 30) ? Op::Cmpl : Op::Cmp).reads(ra, rb).writes(kSbCr);
      return b.i;
    case 4: b.op(Op::Tw).reads(ra, rb); return b.i;
    case 68: b.op(Op::Td).reads(ra, rb); return b.i;
    case 83:
      if (ra || rb || b.i.rc) return illegal();
      b.op(Op::Mfmsr).writes(rt);
      return b.i;
    case 178:  // mtmsrd RS, L
      if (rb || b.i.rc || bits(w, 11, 14)) return illegal();
      b.i.mb = static_cast<uint8_t>(bits(w, 15, 15));
      b.op(Op::Mtmsrd).reads(rt);
      return b.i;
    case 19:
      if (bits(w, 11, 11)) {  // mfocrf: exactly one field
        b.i.imm = bits(w, 12, 19);
        if (__builtin_popcount(static_cast<unsigned>(b.i.imm)) != 1) return illegal();
        b.op(Op::Mfocrf);
      } else {
        b.op(Op::Mfcr);
      }
      b.reads(kSbCr).writes(rt);
      return b.i;
    case 144:
      b.i.imm = bits(w, 12, 19);
      b.op(bits(w, 11, 11) ? Op::Mtocrf : Op::Mtcrf).reads(rt).writes(kSbCr);
      return b.i;
    case 339: case 467: case 371: {
      const uint32_t spr = bits(w, 16, 20) << 5 | bits(w, 11, 15);
      b.i.imm = spr;
      const uint32_t xo = bits(w, 21, 30);
      if (xo == 371 || (xo == 339 && (spr == 268 || spr == 269))) {
        if (spr != 268 && spr != 269) return illegal();
        b.op(xo == 371 ? Op::Mftb : Op::Mfspr).writes(rt);
        return b.i;
      }
      const uint8_t slot = spr == 1 ? kSbXer : spr == 8 ? kSbLr : spr == 9 ? kSbCtr : kSbNone;
      if (slot == kSbNone && !is_supervisor_spr(spr)) return illegal();  // unimplemented SPR
      if (xo == 339) b.op(Op::Mfspr).reads(slot).writes(rt);
      else b.op(Op::Mtspr).reads(rt).writes(slot);
      return b.i;
    }
    case 20: b.op(Op::Lwarx).reads(b.base(), rb).writes(rt); return b.i;
    case 84: b.op(Op::Ldarx).reads(b.base(), rb).writes(rt); return b.i;
    case 150: case 214:
      if (!b.i.rc) return illegal();
      b.i.rc = 0;
      b.op(bits(w, 21, 30) == 150 ? Op::Stwcx : Op::Stdcx).reads(b.base(), rb, rt).writes(kSbCr);
      return b.i;
    case 87: return load_x(Op::Lbzx, false);
    case 119: return load_x(Op::Lbzux, true);
    case 279: return load_x(Op::Lhzx, false);
    case 311: return load_x(Op::Lhzux, true);
    case 343: return load_x(Op::Lhax, false);
    case 375: return load_x(Op::Lhaux, true);
    case 23: return load_x(Op::Lwzx, false);
    case 55: return load_x(Op::Lwzux, true);
    case 341: return load_x(Op::Lwax, false);
    case 373: return load_x(Op::Lwaux, true);
    case 21: return load_x(Op::Ldx, false);
    case 53: return load_x(Op::Ldux, true);
    case 790: return load_x(Op::Lhbrx, false);
    case 534: return load_x(Op::Lwbrx, false);
    case 532: return load_x(Op::Ldbrx, false);
    case 215: return store_x(Op::Stbx, false);
    case 247: return store_x(Op::Stbux, true);
    case 407: return store_x(Op::Sthx, false);
    case 439: return store_x(Op::Sthux, true);
    case 151: return store_x(Op::Stwx, false);
    case 183: return store_x(Op::Stwux, true);
    case 149: return store_x(Op::Stdx, false);
    case 181: return store_x(Op::Stdux, true);
    case 918: return store_x(Op::Sthbrx, false);
    case 662: return store_x(Op::Stwbrx, false);
    case 660: return store_x(Op::Stdbrx, false);
    case 28: return logical(Op::And);
    case 60: return logical(Op::Andc);
    case 444: return logical(Op::Or);
    case 412: return logical(Op::Orc);
    case 316: return logical(Op::Xor);
    case 476: return logical(Op::Nand);
    case 124: return logical(Op::Nor);
    case 284: return logical(Op::Eqv);
    case 954: return logical(Op::Extsb, false);
    case 922: return logical(Op::Extsh, false);
    case 986: return logical(Op::Extsw, false);
    case 26: return logical(Op::Cntlzw, false);
    case 58: return logical(Op::Cntlzd, false);
    case 122: return logical(Op::Popcntb, false);
    case 378: return logical(Op::Popcntw, false);
    case 506: return logical(Op::Popcntd, false);
    case 24: return logical(Op::Slw);
    case 536: return logical(Op::Srw);
    case 27: return logical(Op::Sld);
    case 539: return logical(Op::Srd);
    case 792: b.op(Op::Sraw).reads(rt, rb).writes(ra); return b.i;
    case 794: b.op(Op::Srad).reads(rt, rb).writes(ra); return b.i;
    case 824: b.op(Op::Srawi).reads(rt).writes(ra); return b.i;
    case 826: case 827:
      b.i.rb = static_cast<uint8_t>(rb | bits(w, 30, 30) << 5);
      b.op(Op::Sradi).reads(rt).writes(ra);
      return b.i;
    case 598: {
      const uint32_t l = bits(w, 9, 10);
      if (l > 1 || rt & 0x1c || ra || rb || b.i.rc) return illegal();
      b.i.mb = static_cast<uint8_t>(l);
      b.op(l ? Op::Lwsync : Op::Sync);
      return b.i;
    }
    case 854: if (rt || ra || rb) return illegal(); b.op(Op::Eieio); return b.i;
    case 278: return cache_op(Op::Dcbt);
    case 246: return cache_op(Op::Dcbtst);
    case 54: return cache_op(Op::Dcbst);
    case 86: return cache_op(Op::Dcbf);
    case 1014: return cache_op(Op::Dcbz);
    case 982: return cache_op(Op::Icbi);
    default: return illegal();
  }
}

Insn decode_19(uint32_t w) {
  Builder b(w);
  auto crlog = [&](Op o) { b.op(o).reads(kSbCr).writes(kSbCr); return b.i; };
  switch (bits(w, 21, 30)) {
    case 0:
      if (bits(w, 9, 10) || bits(w, 14, 31)) return illegal();
      b.i.rt = static_cast<uint8_t>(bits(w, 6, 8));
      b.i.ra = static_cast<uint8_t>(bits(w, 11, 13));
      b.op(Op::Mcrf).reads(kSbCr).writes(kSbCr);
      return b.i;
    case 16:  // bclr: BO, BI, BH
      b.i.mb = static_cast<uint8_t>(bits(w, 19, 20));
      b.op(Op::Bclr).reads(kSbLr, kSbCr, kSbCtr);
      if (!(b.i.rt & 4)) b.writes(kSbCtr);
      return b.i;
    case 528:
      if (!(b.i.rt & 4)) return illegal();  // bcctr may not decrement CTR
      b.i.mb = static_cast<uint8_t>(bits(w, 19, 20));
      b.op(Op::Bcctr).reads(kSbCtr, kSbCr);
      return b.i;
    case 150: b.op(Op::Isync); return b.i;
    case 18:
      if (w != 0x4c000024u) return illegal();
      b.op(Op::Rfid);
      return b.i;
    case 257: return crlog(Op::Crand);
    case 129: return crlog(Op::Crandc);
    case 289: return crlog(Op::Creqv);
    case 225: return crlog(Op::Crnand);
    case 33: return crlog(Op::Crnor);
    case 449: return crlog(Op::Cror);
    case 417: return crlog(Op::Crorc);
    case 193: return crlog(Op::Crxor);
    default: return illegal();
  }
}

// 64-bit mask of ISA bits mb..me (wrapping when mb > me).
constexpr uint64_t mask64(unsigned mb, unsigned me) {
  const uint64_t a = ~uint64_t{0} >> mb, z = ~uint64_t{0} << (63 - me);
  return mb <= me ? (a & z) : (a | z);
}

}  // namespace

Insn decode(uint32_t w) {
  Builder b(w);
  const uint8_t rt = b.i.rt, ra = b.i.ra;
  const int64_t simm = static_cast<int16_t>(w & 0xffff);
  const int64_t uimm = w & 0xffff;
  auto dform = [&](Op o, int64_t imm, bool base_zero) {
    b.i.imm = imm;
    b.op(o).reads(base_zero ? b.base() : ra).writes(rt);
    return b.i;
  };
  auto logical_imm = [&](Op o, int64_t imm) {
    b.i.imm = imm;
    b.i.rc = 0;
    b.op(o).reads(rt).writes(ra);
    return b.i;
  };
  auto load = [&](Op o, bool update, int64_t disp) {
    b.i.imm = disp;
    b.i.rc = 0;
    b.op(o).reads(update ? ra : b.base()).writes(rt);
    return b.i;
  };
  auto store = [&](Op o, bool update, int64_t disp) {
    b.i.imm = disp;
    b.i.rc = 0;
    b.op(o).reads(update ? ra : b.base(), rt);
    if (update) b.writes(ra);
    return b.i;
  };
  switch (w >> 26) {
    case 2: b.i.imm = simm; b.i.rc = 0; b.op(Op::Tdi).reads(ra); return b.i;
    case 3: b.i.imm = simm; b.i.rc = 0; b.op(Op::Twi).reads(ra); return b.i;
    case 7: b.i.rc = 0; return dform(Op::Mulli, simm, false);
    case 8: b.i.rc = 0; dform(Op::Subfic, simm, false); b.i.src[1] = kSbNone; return b.i;
    case 10: case 11:
      if (bits(w, 9, 9)) return illegal();
      b.i.mb = static_cast<uint8_t>(bits(w, 10, 10));
      b.i.rt = static_cast<uint8_t>(bits(w, 6, 8));
      b.i.imm = (w >> 26) == 11 ? simm : uimm;
      b.i.rc = 0;
      b.op((w >> 26) == 11 ? Op::Cmpi : Op::Cmpli).reads(ra).writes(kSbCr);
      return b.i;
    case 12: b.i.rc = 0; return dform(Op::Addic, simm, false);
    case 13: b.i.rc = 0; return dform(Op::AddicRc, simm, false);
    case 14: b.i.rc = 0; return dform(Op::Addi, simm, true);
    case 15: b.i.rc = 0; return dform(Op::Addis, static_cast<int64_t>(static_cast<uint64_t>(simm) << 16), true);
    case 16:  // bc: BO, BI, BD, AA, LK
      b.i.imm = static_cast<int16_t>(w & 0xfffc);
      b.i.oe = static_cast<uint8_t>(bits(w, 30, 30));
      b.op(Op::Bc).reads(kSbCr, kSbCtr);
      if (!(rt & 4)) b.writes(kSbCtr);
      return b.i;
    case 17:
      if ((w & 3) != 2) return illegal();
      b.i.rc = 0;
      b.op(Op::Sc);
      return b.i;
    case 18:  // b: LI, AA, LK
      b.i.imm = static_cast<int32_t>((w & 0x03fffffc) << 6) >> 6;
      b.i.oe = static_cast<uint8_t>(bits(w, 30, 30));
      b.op(Op::B);
      return b.i;
    case 19: return decode_19(w);
    case 20: case 21: case 23: {
      b.i.mb = static_cast<uint8_t>(bits(w, 21, 25));
      b.i.me = static_cast<uint8_t>(bits(w, 26, 30));
      b.i.imm = static_cast<int64_t>(mask64(b.i.mb + 32u, b.i.me + 32u));
      const unsigned po = w >> 26;
      if (po == 20) b.op(Op::Rlwimi).reads(rt, ra).writes(ra);
      else if (po == 21) b.op(Op::Rlwinm).reads(rt).writes(ra);
      else b.op(Op::Rlwnm).reads(rt, b.i.rb).writes(ra);
      return b.i;
    }
    case 24: return logical_imm(Op::Ori, uimm);
    case 25: return logical_imm(Op::Oris, uimm << 16);
    case 26: return logical_imm(Op::Xori, uimm);
    case 27: return logical_imm(Op::Xoris, uimm << 16);
    case 28: logical_imm(Op::AndiRc, uimm); b.i.rc = 1; return b.i;
    case 29: logical_imm(Op::AndisRc, uimm << 16); b.i.rc = 1; return b.i;
    case 30: {
      const uint8_t m6 = static_cast<uint8_t>(bits(w, 21, 25) | bits(w, 26, 26) << 5);
      const uint8_t sh6 = static_cast<uint8_t>(bits(w, 16, 20) | bits(w, 30, 30) << 5);
      b.i.mb = m6;
      b.i.rb = sh6;
      switch (bits(w, 27, 29)) {
        case 0: b.i.imm = static_cast<int64_t>(mask64(m6, 63)); b.op(Op::Rldicl).reads(rt).writes(ra); return b.i;
        case 1: b.i.imm = static_cast<int64_t>(mask64(0, m6)); b.op(Op::Rldicr).reads(rt).writes(ra); return b.i;
        case 2: b.i.imm = static_cast<int64_t>(mask64(m6, 63u - sh6)); b.op(Op::Rldic).reads(rt).writes(ra); return b.i;
        case 3: b.i.imm = static_cast<int64_t>(mask64(m6, 63u - sh6)); b.op(Op::Rldimi).reads(rt, ra).writes(ra); return b.i;
        case 4:
          b.i.rb = static_cast<uint8_t>(bits(w, 16, 20));
          if (bits(w, 27, 30) == 8) { b.i.imm = static_cast<int64_t>(mask64(m6, 63)); b.op(Op::Rldcl); }
          else if (bits(w, 27, 30) == 9) { b.i.imm = static_cast<int64_t>(mask64(0, m6)); b.op(Op::Rldcr); }
          else return illegal();
          b.reads(rt, b.i.rb).writes(ra);
          return b.i;
        default: return illegal();
      }
    }
    case 31: return decode_31(w);
    case 32: return load(Op::Lwz, false, simm);
    case 33: return load(Op::Lwzu, true, simm);
    case 34: return load(Op::Lbz, false, simm);
    case 35: return load(Op::Lbzu, true, simm);
    case 40: return load(Op::Lhz, false, simm);
    case 41: return load(Op::Lhzu, true, simm);
    case 42: return load(Op::Lha, false, simm);
    case 43: return load(Op::Lhau, true, simm);
    case 36: return store(Op::Stw, false, simm);
    case 37: return store(Op::Stwu, true, simm);
    case 38: return store(Op::Stb, false, simm);
    case 39: return store(Op::Stbu, true, simm);
    case 44: return store(Op::Sth, false, simm);
    case 45: return store(Op::Sthu, true, simm);
    case 58: {
      const int64_t ds = static_cast<int16_t>(w & 0xfffc);
      switch (w & 3) {
        case 0: return load(Op::Ld, false, ds);
        case 1: return load(Op::Ldu, true, ds);
        case 2: return load(Op::Lwa, false, ds);
        default: return illegal();
      }
    }
    case 62: {
      const int64_t ds = static_cast<int16_t>(w & 0xfffc);
      switch (w & 3) {
        case 0: return store(Op::Std, false, ds);
        case 1: return store(Op::Stdu, true, ds);
        default: return illegal();
      }
    }
    default: return illegal();
  }
}

}  // namespace quiesce::ppc
