// A small PowerPC 64 instruction encoder: the unit tests use it so a test
// reads like assembly, and the simulator uses it to generate guest code
// (call stubs, method bodies). Usage: `addc(3, 4, 5)`, `dot(oe(addc(3, 4, 5)))` is addco., `ld(3, 8, 4)`
// is "ld r3, 8(r4)". Operand order follows the assembler (RT/RA first, as in
// "rlwinm ra, rs, sh, mb, me"); field layouts follow the Power ISA form names.
//
// Cross-checked while developing against GNU as: every helper was emitted next
// to the same instruction assembled by powerpc64-linux-gnu-as and disassembled
// by powerpc64-linux-gnu-objdump -d; those pairs are kept as the literal words
// in tests/unit/test_encoder.cpp, so the check keeps running without the cross
// tools; tests/unit/test_disasm.cpp also round-trips the words through Capstone.
//
// `and`, `or`, `xor` are C++ alternative tokens and `std`/`sync` would clash with the
// standard library: those helpers are spelled and_, or_, xor_, std_, sync_.
#pragma once
#include <cstdint>

namespace quiesce::ppc::enc {

using u32 = uint32_t;

// Bit numbering is the ISA's: bit 0 is the most significant bit of the word.
constexpr u32 fld(u32 v, int first, int last) {  // place v in ISA bits first..last
  const int width = last - first + 1;
  const u32 mask = width >= 32 ? ~0u : ((1u << width) - 1);
  return (v & mask) << (31 - last);
}
constexpr u32 imm16(int64_t v) { return static_cast<u32>(v) & 0xffffu; }

// Modifiers: record form (Rc = bit 31) and overflow-enable (OE = bit 21).
constexpr u32 dot(u32 w) { return w | 1u; }
constexpr u32 oe(u32 w) { return w | fld(1, 21, 21); }

// ---- forms
constexpr u32 D(u32 po, u32 rt, u32 ra, int64_t d) { return fld(po, 0, 5) | fld(rt, 6, 10) | fld(ra, 11, 15) | imm16(d); }
constexpr u32 DS(u32 po, u32 rt, u32 ra, int64_t ds, u32 xo) {
  return fld(po, 0, 5) | fld(rt, 6, 10) | fld(ra, 11, 15) | (imm16(ds) & 0xfffcu) | (xo & 3);
}
constexpr u32 X(u32 rt, u32 ra, u32 rb, u32 xo, u32 po = 31) {
  return fld(po, 0, 5) | fld(rt, 6, 10) | fld(ra, 11, 15) | fld(rb, 16, 20) | fld(xo, 21, 30);
}
constexpr u32 XO(u32 rt, u32 ra, u32 rb, u32 xo) {
  return fld(31, 0, 5) | fld(rt, 6, 10) | fld(ra, 11, 15) | fld(rb, 16, 20) | fld(xo, 22, 30);
}
constexpr u32 M(u32 po, u32 ra, u32 rs, u32 sh_or_rb, u32 mb, u32 me) {
  return fld(po, 0, 5) | fld(rs, 6, 10) | fld(ra, 11, 15) | fld(sh_or_rb, 16, 20) | fld(mb, 21, 25) | fld(me, 26, 30);
}
// MD/MDS: the 6-bit mb/me is stored as mb[0:4] in bits 21..25 and mb[5] in bit 26
// (so the value's low five bits come first); sh[5] of MD is bit 30.
constexpr u32 mb6(u32 m) { return fld(m & 31, 21, 25) | fld(m >> 5, 26, 26); }
constexpr u32 MD(u32 ra, u32 rs, u32 sh, u32 mb, u32 xo) {
  return fld(30, 0, 5) | fld(rs, 6, 10) | fld(ra, 11, 15) | fld(sh & 31, 16, 20) | mb6(mb) | fld(xo, 27, 29) | fld(sh >> 5, 30, 30);
}
constexpr u32 MDS(u32 ra, u32 rs, u32 rb, u32 mb, u32 xo) {
  return fld(30, 0, 5) | fld(rs, 6, 10) | fld(ra, 11, 15) | fld(rb, 16, 20) | mb6(mb) | fld(xo, 27, 30);
}

// ---- D-form arithmetic and logical
constexpr u32 addi(u32 rt, u32 ra, int64_t si) { return D(14, rt, ra, si); }
constexpr u32 li(u32 rt, int64_t si) { return addi(rt, 0, si); }
constexpr u32 addis(u32 rt, u32 ra, int64_t si) { return D(15, rt, ra, si); }
constexpr u32 lis(u32 rt, int64_t si) { return addis(rt, 0, si); }
constexpr u32 addic(u32 rt, u32 ra, int64_t si) { return D(12, rt, ra, si); }
constexpr u32 addic_dot(u32 rt, u32 ra, int64_t si) { return D(13, rt, ra, si); }
constexpr u32 subfic(u32 rt, u32 ra, int64_t si) { return D(8, rt, ra, si); }
constexpr u32 mulli(u32 rt, u32 ra, int64_t si) { return D(7, rt, ra, si); }
constexpr u32 ori(u32 ra, u32 rs, u32 ui) { return D(24, rs, ra, ui); }
constexpr u32 oris(u32 ra, u32 rs, u32 ui) { return D(25, rs, ra, ui); }
constexpr u32 xori(u32 ra, u32 rs, u32 ui) { return D(26, rs, ra, ui); }
constexpr u32 xoris(u32 ra, u32 rs, u32 ui) { return D(27, rs, ra, ui); }
constexpr u32 andi_dot(u32 ra, u32 rs, u32 ui) { return D(28, rs, ra, ui); }
constexpr u32 andis_dot(u32 ra, u32 rs, u32 ui) { return D(29, rs, ra, ui); }
constexpr u32 nop() { return ori(0, 0, 0); }

// ---- compares (bf = CR field, l = 1 for the doubleword forms) and traps
constexpr u32 cmp(u32 bf, u32 l, u32 ra, u32 rb) { return X((bf << 2) | l, ra, rb, 0); }
constexpr u32 cmpl(u32 bf, u32 l, u32 ra, u32 rb) { return X((bf << 2) | l, ra, rb, 32); }
constexpr u32 cmpi(u32 bf, u32 l, u32 ra, int64_t si) { return D(11, (bf << 2) | l, ra, si); }
constexpr u32 cmpli(u32 bf, u32 l, u32 ra, u32 ui) { return D(10, (bf << 2) | l, ra, ui); }
constexpr u32 cmpw(u32 bf, u32 ra, u32 rb) { return cmp(bf, 0, ra, rb); }
constexpr u32 cmpd(u32 bf, u32 ra, u32 rb) { return cmp(bf, 1, ra, rb); }
constexpr u32 cmplw(u32 bf, u32 ra, u32 rb) { return cmpl(bf, 0, ra, rb); }
constexpr u32 cmpld(u32 bf, u32 ra, u32 rb) { return cmpl(bf, 1, ra, rb); }
constexpr u32 cmpwi(u32 bf, u32 ra, int64_t si) { return cmpi(bf, 0, ra, si); }
constexpr u32 cmpdi(u32 bf, u32 ra, int64_t si) { return cmpi(bf, 1, ra, si); }
constexpr u32 cmplwi(u32 bf, u32 ra, u32 ui) { return cmpli(bf, 0, ra, ui); }
constexpr u32 cmpldi(u32 bf, u32 ra, u32 ui) { return cmpli(bf, 1, ra, ui); }
constexpr u32 tw(u32 to, u32 ra, u32 rb) { return X(to, ra, rb, 4); }
constexpr u32 td(u32 to, u32 ra, u32 rb) { return X(to, ra, rb, 68); }
constexpr u32 twi(u32 to, u32 ra, int64_t si) { return D(3, to, ra, si); }
constexpr u32 tdi(u32 to, u32 ra, int64_t si) { return D(2, to, ra, si); }
constexpr u32 trap() { return tw(31, 0, 0); }

// ---- XO-form arithmetic (rt, ra, rb)
constexpr u32 add(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 266); }
constexpr u32 addc(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 10); }
constexpr u32 adde(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 138); }
constexpr u32 addze(u32 rt, u32 ra) { return XO(rt, ra, 0, 202); }
constexpr u32 addme(u32 rt, u32 ra) { return XO(rt, ra, 0, 234); }
constexpr u32 subf(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 40); }
constexpr u32 subfc(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 8); }
constexpr u32 subfe(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 136); }
constexpr u32 subfze(u32 rt, u32 ra) { return XO(rt, ra, 0, 200); }
constexpr u32 subfme(u32 rt, u32 ra) { return XO(rt, ra, 0, 232); }
constexpr u32 neg(u32 rt, u32 ra) { return XO(rt, ra, 0, 104); }
constexpr u32 mullw(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 235); }
constexpr u32 mulld(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 233); }
constexpr u32 mulhw(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 75); }
constexpr u32 mulhwu(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 11); }
constexpr u32 mulhd(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 73); }
constexpr u32 mulhdu(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 9); }
constexpr u32 divw(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 491); }
constexpr u32 divwu(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 459); }
constexpr u32 divd(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 489); }
constexpr u32 divdu(u32 rt, u32 ra, u32 rb) { return XO(rt, ra, rb, 457); }

// ---- X-form logical, extension, count: (ra, rs[, rb]) as the assembler writes them
constexpr u32 and_(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 28); }
constexpr u32 andc(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 60); }
constexpr u32 or_(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 444); }
constexpr u32 mr(u32 ra, u32 rs) { return or_(ra, rs, rs); }
constexpr u32 orc(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 412); }
constexpr u32 xor_(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 316); }
constexpr u32 nand(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 476); }
constexpr u32 nor(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 124); }
constexpr u32 eqv(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 284); }
constexpr u32 extsb(u32 ra, u32 rs) { return X(rs, ra, 0, 954); }
constexpr u32 extsh(u32 ra, u32 rs) { return X(rs, ra, 0, 922); }
constexpr u32 extsw(u32 ra, u32 rs) { return X(rs, ra, 0, 986); }
constexpr u32 cntlzw(u32 ra, u32 rs) { return X(rs, ra, 0, 26); }
constexpr u32 cntlzd(u32 ra, u32 rs) { return X(rs, ra, 0, 58); }
constexpr u32 popcntb(u32 ra, u32 rs) { return X(rs, ra, 0, 122); }
constexpr u32 popcntw(u32 ra, u32 rs) { return X(rs, ra, 0, 378); }
constexpr u32 popcntd(u32 ra, u32 rs) { return X(rs, ra, 0, 506); }
// isel rt, ra, rb, bc: rt = CR[bc] ? (ra|0) : rb
constexpr u32 isel(u32 rt, u32 ra, u32 rb, u32 bc) {
  return fld(31, 0, 5) | fld(rt, 6, 10) | fld(ra, 11, 15) | fld(rb, 16, 20) | fld(bc, 21, 25) | fld(15, 26, 30);
}

// ---- shifts and rotates (ra, rs, ...)
constexpr u32 slw(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 24); }
constexpr u32 srw(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 536); }
constexpr u32 sraw(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 792); }
constexpr u32 srawi(u32 ra, u32 rs, u32 sh) { return X(rs, ra, sh, 824); }
constexpr u32 sld(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 27); }
constexpr u32 srd(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 539); }
constexpr u32 srad(u32 ra, u32 rs, u32 rb) { return X(rs, ra, rb, 794); }
// XS-form: sh[0:4] in bits 16..20, 9-bit XO 413 in 21..29, sh[5] in bit 30.
constexpr u32 sradi(u32 ra, u32 rs, u32 sh) {
  return fld(31, 0, 5) | fld(rs, 6, 10) | fld(ra, 11, 15) | fld(sh & 31, 16, 20) | fld(413, 21, 29) | fld(sh >> 5, 30, 30);
}
constexpr u32 rlwinm(u32 ra, u32 rs, u32 sh, u32 mb, u32 me) { return M(21, ra, rs, sh, mb, me); }
constexpr u32 rlwnm(u32 ra, u32 rs, u32 rb, u32 mb, u32 me) { return M(23, ra, rs, rb, mb, me); }
constexpr u32 rlwimi(u32 ra, u32 rs, u32 sh, u32 mb, u32 me) { return M(20, ra, rs, sh, mb, me); }
constexpr u32 slwi(u32 ra, u32 rs, u32 n) { return rlwinm(ra, rs, n, 0, 31 - n); }
constexpr u32 srwi(u32 ra, u32 rs, u32 n) { return rlwinm(ra, rs, 32 - n, n, 31); }
constexpr u32 clrlwi(u32 ra, u32 rs, u32 n) { return rlwinm(ra, rs, 0, n, 31); }
constexpr u32 rldicl(u32 ra, u32 rs, u32 sh, u32 mb) { return MD(ra, rs, sh, mb, 0); }
constexpr u32 rldicr(u32 ra, u32 rs, u32 sh, u32 me) { return MD(ra, rs, sh, me, 1); }
constexpr u32 rldic(u32 ra, u32 rs, u32 sh, u32 mb) { return MD(ra, rs, sh, mb, 2); }
constexpr u32 rldimi(u32 ra, u32 rs, u32 sh, u32 mb) { return MD(ra, rs, sh, mb, 3); }
constexpr u32 rldcl(u32 ra, u32 rs, u32 rb, u32 mb) { return MDS(ra, rs, rb, mb, 8); }
constexpr u32 rldcr(u32 ra, u32 rs, u32 rb, u32 me) { return MDS(ra, rs, rb, me, 9); }
constexpr u32 clrldi(u32 ra, u32 rs, u32 n) { return rldicl(ra, rs, 0, n); }
constexpr u32 sldi(u32 ra, u32 rs, u32 n) { return rldicr(ra, rs, n, 63 - n); }
constexpr u32 srdi(u32 ra, u32 rs, u32 n) { return rldicl(ra, rs, 64 - n, n); }

// ---- loads and stores: D/DS forms (rt, d, ra) as in "lwz rt, d(ra)"; X forms (rt, ra, rb)
constexpr u32 lbz(u32 rt, int64_t d, u32 ra) { return D(34, rt, ra, d); }
constexpr u32 lbzu(u32 rt, int64_t d, u32 ra) { return D(35, rt, ra, d); }
constexpr u32 lhz(u32 rt, int64_t d, u32 ra) { return D(40, rt, ra, d); }
constexpr u32 lhzu(u32 rt, int64_t d, u32 ra) { return D(41, rt, ra, d); }
constexpr u32 lha(u32 rt, int64_t d, u32 ra) { return D(42, rt, ra, d); }
constexpr u32 lhau(u32 rt, int64_t d, u32 ra) { return D(43, rt, ra, d); }
constexpr u32 lwz(u32 rt, int64_t d, u32 ra) { return D(32, rt, ra, d); }
constexpr u32 lwzu(u32 rt, int64_t d, u32 ra) { return D(33, rt, ra, d); }
constexpr u32 lwa(u32 rt, int64_t ds, u32 ra) { return DS(58, rt, ra, ds, 2); }
constexpr u32 ld(u32 rt, int64_t ds, u32 ra) { return DS(58, rt, ra, ds, 0); }
constexpr u32 ldu(u32 rt, int64_t ds, u32 ra) { return DS(58, rt, ra, ds, 1); }
constexpr u32 stb(u32 rs, int64_t d, u32 ra) { return D(38, rs, ra, d); }
constexpr u32 stbu(u32 rs, int64_t d, u32 ra) { return D(39, rs, ra, d); }
constexpr u32 sth(u32 rs, int64_t d, u32 ra) { return D(44, rs, ra, d); }
constexpr u32 sthu(u32 rs, int64_t d, u32 ra) { return D(45, rs, ra, d); }
constexpr u32 stw(u32 rs, int64_t d, u32 ra) { return D(36, rs, ra, d); }
constexpr u32 stwu(u32 rs, int64_t d, u32 ra) { return D(37, rs, ra, d); }
constexpr u32 std_(u32 rs, int64_t ds, u32 ra) { return DS(62, rs, ra, ds, 0); }
constexpr u32 stdu(u32 rs, int64_t ds, u32 ra) { return DS(62, rs, ra, ds, 1); }
constexpr u32 lbzx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 87); }
constexpr u32 lbzux(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 119); }
constexpr u32 lhzx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 279); }
constexpr u32 lhzux(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 311); }
constexpr u32 lhax(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 343); }
constexpr u32 lhaux(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 375); }
constexpr u32 lwzx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 23); }
constexpr u32 lwzux(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 55); }
constexpr u32 lwax(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 341); }
constexpr u32 lwaux(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 373); }
constexpr u32 ldx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 21); }
constexpr u32 ldux(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 53); }
constexpr u32 lhbrx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 790); }
constexpr u32 lwbrx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 534); }
constexpr u32 ldbrx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 532); }
constexpr u32 stbx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 215); }
constexpr u32 stbux(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 247); }
constexpr u32 sthx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 407); }
constexpr u32 sthux(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 439); }
constexpr u32 stwx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 151); }
constexpr u32 stwux(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 183); }
constexpr u32 stdx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 149); }
constexpr u32 stdux(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 181); }
constexpr u32 sthbrx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 918); }
constexpr u32 stwbrx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 662); }
constexpr u32 stdbrx(u32 rs, u32 ra, u32 rb) { return X(rs, ra, rb, 660); }
constexpr u32 lwarx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 20); }
constexpr u32 ldarx(u32 rt, u32 ra, u32 rb) { return X(rt, ra, rb, 84); }
constexpr u32 stwcx(u32 rs, u32 ra, u32 rb) { return dot(X(rs, ra, rb, 150)); }  // stwcx. (Rc=1 is part of it)
constexpr u32 stdcx(u32 rs, u32 ra, u32 rb) { return dot(X(rs, ra, rb, 214)); }

// ---- branches: displacements are byte offsets from the branch itself
// (generated code should branch to labels instead: cpu_ppc64/assembler.h)
constexpr u32 I(int64_t li, u32 aa, u32 lk) {
  return fld(18, 0, 5) | (static_cast<u32>(li) & 0x03fffffcu) | fld(aa, 30, 30) | fld(lk, 31, 31);
}
constexpr u32 b(int64_t disp) { return I(disp, 0, 0); }
constexpr u32 bl(int64_t disp) { return I(disp, 0, 1); }
constexpr u32 ba(uint64_t target) { return I(static_cast<int64_t>(target), 1, 0); }
constexpr u32 bla(uint64_t target) { return I(static_cast<int64_t>(target), 1, 1); }
constexpr u32 Bform(u32 bo, u32 bi, int64_t bd, u32 aa, u32 lk) {
  return fld(16, 0, 5) | fld(bo, 6, 10) | fld(bi, 11, 15) | (static_cast<u32>(bd) & 0xfffcu) | fld(aa, 30, 30) | fld(lk, 31, 31);
}
constexpr u32 bc(u32 bo, u32 bi, int64_t disp) { return Bform(bo, bi, disp, 0, 0); }
constexpr u32 bcl(u32 bo, u32 bi, int64_t disp) { return Bform(bo, bi, disp, 0, 1); }
constexpr u32 bca(u32 bo, u32 bi, uint64_t target) { return Bform(bo, bi, static_cast<int64_t>(target), 1, 0); }
constexpr u32 bcla(u32 bo, u32 bi, uint64_t target) { return Bform(bo, bi, static_cast<int64_t>(target), 1, 1); }
constexpr u32 XL(u32 bt, u32 ba_, u32 bb, u32 xo, u32 lk = 0) {
  return fld(19, 0, 5) | fld(bt, 6, 10) | fld(ba_, 11, 15) | fld(bb, 16, 20) | fld(xo, 21, 30) | fld(lk, 31, 31);
}
constexpr u32 bclr(u32 bo, u32 bi, u32 bh = 0) { return XL(bo, bi, bh, 16); }
constexpr u32 bclrl(u32 bo, u32 bi, u32 bh = 0) { return XL(bo, bi, bh, 16, 1); }
constexpr u32 bcctr(u32 bo, u32 bi, u32 bh = 0) { return XL(bo, bi, bh, 528); }
constexpr u32 bcctrl(u32 bo, u32 bi, u32 bh = 0) { return XL(bo, bi, bh, 528, 1); }
constexpr u32 blr() { return bclr(20, 0); }
constexpr u32 blrl() { return bclrl(20, 0); }
constexpr u32 bctr() { return bcctr(20, 0); }
constexpr u32 bctrl() { return bcctrl(20, 0); }
constexpr u32 bdnz(int64_t disp) { return bc(16, 0, disp); }
constexpr u32 bdz(int64_t disp) { return bc(18, 0, disp); }
// CR bit numbers within a field, for bc/isel/cr ops: 4*field + one of these.
inline constexpr u32 kLt = 0, kGt = 1, kEq = 2, kSo = 3;
constexpr u32 beq(u32 crf, int64_t disp) { return bc(12, 4 * crf + kEq, disp); }
constexpr u32 bne(u32 crf, int64_t disp) { return bc(4, 4 * crf + kEq, disp); }
constexpr u32 blt(u32 crf, int64_t disp) { return bc(12, 4 * crf + kLt, disp); }
constexpr u32 bgt(u32 crf, int64_t disp) { return bc(12, 4 * crf + kGt, disp); }
constexpr u32 bge(u32 crf, int64_t disp) { return bc(4, 4 * crf + kLt, disp); }  // branch if not less
constexpr u32 ble(u32 crf, int64_t disp) { return bc(4, 4 * crf + kGt, disp); }  // branch if not greater

// ---- condition register
constexpr u32 crand(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 257); }
constexpr u32 crandc(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 129); }
constexpr u32 creqv(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 289); }
constexpr u32 crnand(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 225); }
constexpr u32 crnor(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 33); }
constexpr u32 cror(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 449); }
constexpr u32 crorc(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 417); }
constexpr u32 crxor(u32 bt, u32 ba_, u32 bb) { return XL(bt, ba_, bb, 193); }
constexpr u32 mcrf(u32 bf, u32 bfa) { return XL(bf << 2, bfa << 2, 0, 0); }
constexpr u32 mfcr(u32 rt) { return X(rt, 0, 0, 19); }
constexpr u32 mfocrf(u32 rt, u32 fxm) { return fld(31, 0, 5) | fld(rt, 6, 10) | fld(1, 11, 11) | fld(fxm, 12, 19) | fld(19, 21, 30); }
constexpr u32 mtcrf(u32 fxm, u32 rs) { return fld(31, 0, 5) | fld(rs, 6, 10) | fld(fxm, 12, 19) | fld(144, 21, 30); }
constexpr u32 mtocrf(u32 fxm, u32 rs) { return mtcrf(fxm, rs) | fld(1, 11, 11); }
constexpr u32 mtcr(u32 rs) { return mtcrf(0xff, rs); }

// ---- special purpose registers (XFX: the SPR number's halves are swapped in the word)
constexpr u32 spr_field(u32 spr) { return fld(spr & 31, 11, 15) | fld(spr >> 5, 16, 20); }
constexpr u32 mfspr(u32 rt, u32 spr) { return fld(31, 0, 5) | fld(rt, 6, 10) | spr_field(spr) | fld(339, 21, 30); }
constexpr u32 mtspr(u32 spr, u32 rs) { return fld(31, 0, 5) | fld(rs, 6, 10) | spr_field(spr) | fld(467, 21, 30); }
constexpr u32 mftb(u32 rt, u32 tbr = 268) { return fld(31, 0, 5) | fld(rt, 6, 10) | spr_field(tbr) | fld(371, 21, 30); }
constexpr u32 mfxer(u32 rt) { return mfspr(rt, 1); }
constexpr u32 mflr(u32 rt) { return mfspr(rt, 8); }
constexpr u32 mfctr(u32 rt) { return mfspr(rt, 9); }
constexpr u32 mtxer(u32 rs) { return mtspr(1, rs); }
constexpr u32 mtlr(u32 rs) { return mtspr(8, rs); }
constexpr u32 mtctr(u32 rs) { return mtspr(9, rs); }

// ---- system, barriers, cache operations
constexpr u32 sc() { return 0x44000002u; }
constexpr u32 sync_(u32 l = 0) { return X(l, 0, 0, 598); }
constexpr u32 lwsync() { return sync_(1); }
constexpr u32 isync() { return XL(0, 0, 0, 150); }
constexpr u32 eieio() { return X(0, 0, 0, 854); }
// ---- supervisor state (insn.h: the MSR, SRR0/SRR1, SPRG0-3, DEC)
constexpr u32 mfmsr(u32 rt) { return X(rt, 0, 0, 83); }
constexpr u32 mtmsrd(u32 rs, u32 l = 0) { return X(rs, 0, 0, 178) | fld(l, 15, 15); }
constexpr u32 rfid() { return XL(0, 0, 0, 18); }
constexpr u32 mfsrr0(u32 rt) { return mfspr(rt, 26); }
constexpr u32 mfsrr1(u32 rt) { return mfspr(rt, 27); }
constexpr u32 mtsrr0(u32 rs) { return mtspr(26, rs); }
constexpr u32 mtsrr1(u32 rs) { return mtspr(27, rs); }
constexpr u32 mfsprg(u32 rt, u32 n) { return mfspr(rt, 272 + n); }
constexpr u32 mtsprg(u32 n, u32 rs) { return mtspr(272 + n, rs); }
constexpr u32 mfdec(u32 rt) { return mfspr(rt, 22); }
constexpr u32 mtdec(u32 rs) { return mtspr(22, rs); }
constexpr u32 dcbt(u32 ra, u32 rb) { return X(0, ra, rb, 278); }
constexpr u32 dcbst(u32 ra, u32 rb) { return X(0, ra, rb, 54); }
constexpr u32 dcbf(u32 ra, u32 rb) { return X(0, ra, rb, 86); }
constexpr u32 dcbz(u32 ra, u32 rb) { return X(0, ra, rb, 1014); }
constexpr u32 icbi(u32 ra, u32 rb) { return X(0, ra, rb, 982); }

}  // namespace quiesce::ppc::enc
