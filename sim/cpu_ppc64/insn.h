// Decoded PowerPC instruction: what the executor and the disassembler share.
// One Op per architected instruction (record/OE forms are flags, not ops).
#pragma once
#include <cstdint>

namespace quiesce::ppc {

// X(op, mnemonic, timing class)
#define QUIESCE_PPC_OPS(X)                                                              \
  X(Undecoded, "?", Alu) X(Illegal, "illegal", Alu)                                     \
  /* D-form arithmetic and logical */                                                   \
  X(Addi, "addi", Alu) X(Addis, "addis", Alu) X(Addic, "addic", Alu)                    \
  X(AddicRc, "addic.", Alu) X(Subfic, "subfic", Alu) X(Mulli, "mulli", Mul32)           \
  X(Ori, "ori", Alu) X(Oris, "oris", Alu) X(Xori, "xori", Alu) X(Xoris, "xoris", Alu)   \
  X(AndiRc, "andi.", Alu) X(AndisRc, "andis.", Alu)                                     \
  X(Cmpi, "cmpi", Alu) X(Cmpli, "cmpli", Alu) X(Cmp, "cmp", Alu) X(Cmpl, "cmpl", Alu)   \
  X(Twi, "twi", Alu) X(Tdi, "tdi", Alu) X(Tw, "tw", Alu) X(Td, "td", Alu)               \
  /* XO-form arithmetic */                                                              \
  X(Add, "add", Alu) X(Addc, "addc", Alu) X(Adde, "adde", Alu) X(Addze, "addze", Alu)   \
  X(Addme, "addme", Alu) X(Subf, "subf", Alu) X(Subfc, "subfc", Alu)                    \
  X(Subfe, "subfe", Alu) X(Subfze, "subfze", Alu) X(Subfme, "subfme", Alu)              \
  X(Neg, "neg", Alu) X(Mullw, "mullw", Mul32) X(Mulld, "mulld", Mul64)                  \
  X(Mulhw, "mulhw", Mul32) X(Mulhwu, "mulhwu", Mul32) X(Mulhd, "mulhd", Mul64)          \
  X(Mulhdu, "mulhdu", Mul64) X(Divw, "divw", Div32) X(Divwu, "divwu", Div32)            \
  X(Divd, "divd", Div64) X(Divdu, "divdu", Div64)                                       \
  /* X-form logical, extension, count */                                                \
  X(And, "and", Alu) X(Andc, "andc", Alu) X(Or, "or", Alu) X(Orc, "orc", Alu)           \
  X(Xor, "xor", Alu) X(Nand, "nand", Alu) X(Nor, "nor", Alu) X(Eqv, "eqv", Alu)         \
  X(Extsb, "extsb", Alu) X(Extsh, "extsh", Alu) X(Extsw, "extsw", Alu)                  \
  X(Cntlzw, "cntlzw", Alu) X(Cntlzd, "cntlzd", Alu) X(Popcntb, "popcntb", Alu)          \
  X(Popcntw, "popcntw", Alu) X(Popcntd, "popcntd", Alu) X(Isel, "isel", Alu)            \
  /* shifts and rotates */                                                              \
  X(Slw, "slw", Alu) X(Srw, "srw", Alu) X(Sraw, "sraw", Alu) X(Srawi, "srawi", Alu)     \
  X(Sld, "sld", Alu) X(Srd, "srd", Alu) X(Srad, "srad", Alu) X(Sradi, "sradi", Alu)     \
  X(Rlwinm, "rlwinm", Alu) X(Rlwnm, "rlwnm", Alu) X(Rlwimi, "rlwimi", Alu)              \
  X(Rldicl, "rldicl", Alu) X(Rldicr, "rldicr", Alu) X(Rldic, "rldic", Alu)              \
  X(Rldimi, "rldimi", Alu) X(Rldcl, "rldcl", Alu) X(Rldcr, "rldcr", Alu)                \
  /* loads: D/DS form then X form */                                                    \
  X(Lbz, "lbz", Load) X(Lbzu, "lbzu", Load) X(Lhz, "lhz", Load) X(Lhzu, "lhzu", Load)   \
  X(Lha, "lha", Load) X(Lhau, "lhau", Load) X(Lwz, "lwz", Load) X(Lwzu, "lwzu", Load)   \
  X(Lwa, "lwa", Load) X(Ld, "ld", Load) X(Ldu, "ldu", Load)                             \
  X(Lbzx, "lbzx", Load) X(Lbzux, "lbzux", Load) X(Lhzx, "lhzx", Load)                   \
  X(Lhzux, "lhzux", Load) X(Lhax, "lhax", Load) X(Lhaux, "lhaux", Load)                 \
  X(Lwzx, "lwzx", Load) X(Lwzux, "lwzux", Load) X(Lwax, "lwax", Load)                   \
  X(Lwaux, "lwaux", Load) X(Ldx, "ldx", Load) X(Ldux, "ldux", Load)                     \
  X(Lhbrx, "lhbrx", Load) X(Lwbrx, "lwbrx", Load) X(Ldbrx, "ldbrx", Load)               \
  X(Lwarx, "lwarx", Larx) X(Ldarx, "ldarx", Larx)                                       \
  /* stores */                                                                          \
  X(Stb, "stb", Store) X(Stbu, "stbu", Store) X(Sth, "sth", Store)                      \
  X(Sthu, "sthu", Store) X(Stw, "stw", Store) X(Stwu, "stwu", Store)                    \
  X(Std, "std", Store) X(Stdu, "stdu", Store) X(Stbx, "stbx", Store)                    \
  X(Stbux, "stbux", Store) X(Sthx, "sthx", Store) X(Sthux, "sthux", Store)              \
  X(Stwx, "stwx", Store) X(Stwux, "stwux", Store) X(Stdx, "stdx", Store)                \
  X(Stdux, "stdux", Store) X(Sthbrx, "sthbrx", Store) X(Stwbrx, "stwbrx", Store)        \
  X(Stdbrx, "stdbrx", Store) X(Stwcx, "stwcx.", Stcx) X(Stdcx, "stdcx.", Stcx)          \
  /* branches and condition register */                                                 \
  X(B, "b", Branch) X(Bc, "bc", Branch) X(Bclr, "bclr", Branch)                         \
  X(Bcctr, "bcctr", Branch) X(Mcrf, "mcrf", Cr) X(Crand, "crand", Cr)                   \
  X(Crandc, "crandc", Cr) X(Creqv, "creqv", Cr) X(Crnand, "crnand", Cr)                 \
  X(Crnor, "crnor", Cr) X(Cror, "cror", Cr) X(Crorc, "crorc", Cr) X(Crxor, "crxor", Cr) \
  X(Mfcr, "mfcr", Spr) X(Mfocrf, "mfocrf", Spr) X(Mtcrf, "mtcrf", Spr)                  \
  X(Mtocrf, "mtocrf", Spr) X(Mfspr, "mfspr", Spr) X(Mtspr, "mtspr", Spr)                \
  X(Mftb, "mftb", Spr)                                                                  \
  /* supervisor state: the MSR, return from interrupt */                                \
  X(Mfmsr, "mfmsr", Spr) X(Mtmsrd, "mtmsrd", Spr) X(Rfid, "rfid", Branch)               \
  /* system, barriers and cache operations */                                           \
  X(Sc, "sc", Sync) X(Sync, "sync", Sync) X(Lwsync, "lwsync", LwSync)                   \
  X(Isync, "isync", ISync) X(Eieio, "eieio", LwSync) X(Dcbt, "dcbt", CacheOp)           \
  X(Dcbtst, "dcbtst", CacheOp) X(Dcbst, "dcbst", CacheOp) X(Dcbf, "dcbf", CacheOp)      \
  X(Dcbz, "dcbz", CacheOp) X(Icbi, "icbi", CacheOp)                                     \
  /* not an instruction: a slot of watched code (DecodeCache::watch) */                 \
  X(Watch, "watch", Alu)

enum class Op : uint16_t {
#define X(op, m, c) op,
  QUIESCE_PPC_OPS(X)
#undef X
  Count
};

enum class TimingClass : uint8_t {
  Alu, Mul32, Mul64, Div32, Div64, Load, Larx, Store, Stcx, Branch, Cr, Spr, Sync, LwSync,
  ISync, CacheOp, Count
};

extern const char* const kOpMnemonic[];
extern const TimingClass kOpClass[];

// Scoreboard slots: 0..31 GPRs, then the special registers, then "none" (a
// source always ready), then "discard" (where results nobody reads go, so that
// "none" never needs resetting).
inline constexpr uint8_t kSbCr = 32, kSbLr = 33, kSbCtr = 34, kSbXer = 35, kSbNone = 36, kSbDiscard = 37,
                         kSbSlots = 38;

// 32 bytes (20 used): a slot's address is then a mask and a shift of the pc.
struct alignas(32) Insn {
  Op op = Op::Undecoded;
  uint8_t rt = 0, ra = 0, rb = 0;  // RT/RS/BF/BO/TO, RA/BI/BFA, RB/SH/NB
  uint8_t mb = 0, me = 0;          // MB/ME or 6-bit mb/sh for rld*, BH, L, etc.
  uint8_t rc = 0;                  // record bit (set CR0) or LK for branches
  uint8_t oe = 0;                  // OE bit, AA for branches
  uint8_t src[3] = {kSbNone, kSbNone, kSbNone};  // scoreboard reads
  uint8_t dst = kSbDiscard;                       // scoreboard write
  int64_t imm = 0;  // SI/UI/D/DS, branch displacement, SPR number, FXM, mask
};

Insn decode(uint32_t word);

// Supervisor state the core implements (Book III-S, what an OS kernel's interrupt path needs): the MSR
// (only EE, external and decrementer interrupts enabled, is interpreted; SF is always set: no 32-bit
// mode, no problem state, no MMU), SRR0/SRR1, SPRG0-3 and the decrementer.
inline constexpr uint32_t kSprDec = 22, kSprSrr0 = 26, kSprSrr1 = 27, kSprSprg0 = 272;
constexpr bool is_supervisor_spr(uint32_t spr) {
  return spr == kSprDec || spr == kSprSrr0 || spr == kSprSrr1 || (spr >= kSprSprg0 && spr < kSprSprg0 + 4);
}
inline constexpr uint64_t kMsrEE = uint64_t{1} << 15, kMsrSF = uint64_t{1} << 63;
// Interrupt vectors (offsets from the hart's vector base; real hardware: 0 or 0xfff00000 by MSR[IP]).
inline constexpr uint64_t kVectorExternal = 0x500, kVectorDecrementer = 0x900;

}  // namespace quiesce::ppc
