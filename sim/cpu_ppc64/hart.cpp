#include "cpu_ppc64/hart.h"

#include <bit>
#include <stdexcept>
#include <fmt/format.h>

#include "cpu_ppc64/tracer.h"

namespace quiesce::ppc {

using mem::AccessKind;

namespace {

constexpr uint64_t rotl64(uint64_t x, unsigned n) { return std::rotl(x, static_cast<int>(n & 63)); }
constexpr uint64_t dup32(uint64_t x) { return (x & 0xffffffffu) << 32 | (x & 0xffffffffu); }
constexpr uint64_t sext32(uint64_t x) { return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(x))); }
constexpr uint32_t crfield_mask(unsigned field) { return 0xf0000000u >> (4 * field); }
constexpr uint32_t fxm_mask(uint64_t fxm) {
  uint32_t m = 0;
  for (unsigned f = 0; f < 8; ++f)
    if (fxm & (0x80u >> f)) m |= crfield_mask(f);
  return m;
}
template <typename T> constexpr uint32_t cmp_bits(T a, T b) { return a < b ? 8 : a > b ? 4 : 2; }

bool trap_cond(unsigned to, int64_t a, int64_t b) {
  const auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  return ((to & 0x10) && a < b) || ((to & 0x08) && a > b) || ((to & 0x04) && a == b) ||
         ((to & 0x02) && ua < ub) || ((to & 0x01) && ua > ub);
}

}  // namespace

Hart::Hart(unsigned id, mem::GuestMemory& memory, mem::MemPort_if& port, Environment_if& env,
           DecodeCache& icache, const CoreTiming& timing, uint32_t line_bytes)
    : id_(id),
      mem_(memory),
      port_(port),
      hits_(port.hit_path(id)),
      env_(env),
      host_window_(env.host_call_window()),
      icache_(icache),
      t_(timing),
      line_bytes_(line_bytes),
      line_shift_(static_cast<unsigned>(std::countr_zero(line_bytes))) {
  // The loop takes "same line as the last fetch" to mean "same page".
  if (line_bytes == 0 || line_bytes > (1u << DecodeCache::kPageBits) || (line_bytes & (line_bytes - 1)))
    throw std::invalid_argument(fmt::format("cache line of {} bytes: must be a power of two up to a page", line_bytes));
}

void Hart::fault(std::string what, bool with_word) {
  trap_.what = std::move(what);
  trap_.pc = s_.pc;
  trap_.have_word = false;
  if (with_word && mem_.contains(s_.pc, 4)) {
    trap_.word = mem_.load<uint32_t>(s_.pc);
    trap_.have_word = true;
  }
  stop_ = StopReason::Trapped;
}

void Hart::raise_trap(std::string what) { fault(std::move(what)); }

// DEC counts down one per cycle (the timebase runs at the core clock); it is 0 at dec_zero_. The
// decrementer interrupt becomes pending when DEC's sign bit turns on: the cycle after it reads 0, or at
// once for a negative value written.
void Hart::write_dec(uint64_t now, uint32_t value) {
  dec_zero_ = now + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(value)));
  dec_armed_ = true;
  update_irq();
}

void Hart::post_external() {
  ext_pending_ = true;
  update_irq();
}

void Hart::update_irq() {
  if ((ext_pending_ || dec_pending_) && (s_.msr & kMsrEE)) irq_at_ = 0;
  else irq_at_ = std::min(dec_armed_ && !dec_pending_ ? dec_zero_ + 1 : ~uint64_t{0}, ext_pending_ ? ~uint64_t{0} : ext_at_);
}

void Hart::take_interrupt() {
  if (dec_armed_ && cycle_ > dec_zero_) dec_pending_ = true, dec_armed_ = false;
  if (cycle_ >= ext_at_) ext_pending_ = true, ext_at_ = ~uint64_t{0};
  if ((s_.msr & kMsrEE) && (ext_pending_ || dec_pending_)) {
    uint64_t vector;
    if (ext_pending_) ext_pending_ = false, vector = kVectorExternal;  // external before decrementer
    else dec_pending_ = false, vector = kVectorDecrementer;
    s_.srr0 = s_.pc;
    s_.srr1 = s_.msr;
    s_.msr &= ~kMsrEE;
    s_.pc = vector_base_ + vector;
    cycle_ += t_.interrupt;
    ++interrupts_;
  }
  update_irq();
}

uint32_t Hart::port_access(AccessKind kind, uint64_t ea, unsigned size, bool* ok) {
  const mem::MemResponse r = port_.access({kind, id_, ea, size, cycle_});
  if (ok) *ok = r.ok;
  return r.latency;
}

bool Hart::mmio_or_fault(uint64_t ea, unsigned size, bool is_store, uint64_t& value) {
  if (env_.is_mmio(ea)) {
    const HartAction a = is_store ? env_.mmio_store(*this, ea, size, value) : env_.mmio_load(*this, ea, size, value);
    switch (a) {
      case HartAction::Continue: return true;
      case HartAction::Halt: stop_ = StopReason::Halted; return false;
      case HartAction::Exit: stop_ = StopReason::Exited; return false;
      case HartAction::Fault: if (stop_ != StopReason::Trapped) fault("bad MMIO access"); return false;
    }
  }
  fault(fmt::format("{} of {} bytes outside guest memory at 0x{:x}", is_store ? "store" : "load", size, ea));
  return false;
}

template <typename T>
inline uint32_t Hart::load(uint64_t ea, T& out) {
  constexpr uint64_t kOff = mem::GuestMemory::kPageSize - 1;
  if (mem_.contains(ea, sizeof(T))) [[likely]] {
    // The port first: a miss may synchronise with other CPUs, whose stores must be seen.
    uint32_t lat;
    if (!hits_ || !hits_->load(ea, lat)) lat = port_access(AccessKind::Load, ea, sizeof(T));
    if ((ea & kOff) <= kOff + 1 - sizeof(T)) [[likely]] {
      T v;
      std::memcpy(&v, mem_.host_ptr(ea), sizeof v);
      out = mem::GuestMemory::from_be(v);
    } else {
      out = mem_.load<T>(ea);
    }
    return lat;
  }
  uint64_t v = 0;
  if (!mmio_or_fault(ea, sizeof(T), false, v)) return kStopped;
  out = static_cast<T>(v);
  return 1;
}

template <typename T>
inline uint32_t Hart::store(uint64_t ea, T value) {
  constexpr uint64_t kOff = mem::GuestMemory::kPageSize - 1;
  if (mem_.contains(ea, sizeof(T))) [[likely]] {
    uint32_t lat;
    if (!hits_ || !hits_->store(ea, cycle_, lat)) lat = port_access(AccessKind::Store, ea, sizeof(T));
    if ((ea & kOff) <= kOff + 1 - sizeof(T)) [[likely]] {
      const T v = mem::GuestMemory::from_be(value);
      std::memcpy(mem_.host_ptr(ea), &v, sizeof v);
    } else {
      mem_.store<T>(ea, value);
    }
    return lat;
  }
  uint64_t v = static_cast<uint64_t>(value);
  return mmio_or_fault(ea, sizeof(T), true, v) ? 1 : kStopped;
}

// Runs the environment's handler for a branch into the host-call window.
// Returns false if the hart stopped.
bool Hart::host_call(uint64_t pc) {
  const uint64_t before = cycle_;
  switch (env_.host_call(*this, pc)) {
    case HartAction::Continue:
      // Staying at the same host call is allowed only while time passes (an
      // idle loop); otherwise the hart would spin forever at one cycle.
      if (s_.pc != pc || cycle_ != before) return true;
      fault(fmt::format("host call at 0x{:x} neither moved on nor spent time", pc), false);
      return false;
    case HartAction::Halt: stop_ = StopReason::Halted; return false;
    case HartAction::Exit: stop_ = StopReason::Exited; return false;
    case HartAction::Fault:
      if (stop_ != StopReason::Trapped) fault(fmt::format("bad host call at 0x{:x}", pc), false);
      return false;
  }
  return false;
}

bool Hart::fetch_page(uint64_t pc) {
  if (!mem_.contains(pc & ~uint64_t{(1u << DecodeCache::kPageBits) - 1}, 1u << DecodeCache::kPageBits)) {
    fault(fmt::format("instruction fetch outside guest memory at 0x{:x}", pc), false);
    return false;
  }
  page_ = &icache_.page(pc >> DecodeCache::kPageBits);
  page_epoch_ = icache_.epoch();
  page_base_ = pc & ~uint64_t{(1u << DecodeCache::kPageBits) - 1};
  return true;
}

StopReason Hart::run(uint64_t until) {
  if (stop_ != StopReason::Running && stop_ != StopReason::Budget) return stop_;
  stop_ = StopReason::Running;
  until_ = until;
  return tracer_ ? loop<true>(until) : loop<false>(until);
}

template <bool kTrace>
StopReason Hart::loop(uint64_t until) {
  // The hot state lives in locals: stores to the register file could alias
  // members and would force reloads every instruction. Anything out of line
  // may look at the hart (the port waits for other CPUs, whose host calls read
  // it; the environment; faults), so spill() comes first: the members then
  // show the instruction being executed, at its pre-issue cycle, as before.
  // Few locals (the register file and scoreboard are reached through `this`),
  // so that they stay in registers.
  auto& r = s_.gpr;
  uint64_t cycle = cycle_, pc = s_.pc, instret = instret_, fetch_line = fetch_line_;
  Insn* slots = page_ ? page_->slot : nullptr;
  const unsigned line_shift = line_shift_;
  // Macros, not lambdas: a lambda not inlined would take the locals' addresses
  // and keep them in memory.
#define spill() (cycle_ = cycle, s_.pc = pc, instret_ = instret)
#define finish() (fetch_line_ = fetch_line, stop_)  // the members are current
  // Every instruction takes at least a cycle, so the instruction limit needs
  // checking only when it is nearer than `until`: the inner loop runs to a
  // horizon no further than the limit allows, the outer one checks there.
  for (uint64_t horizon; cycle < until;) {
    if (cycle >= irq_at_) [[unlikely]] {  // an interrupt may be due: taken (or deferred) between instructions
      spill();
      take_interrupt();
      cycle = cycle_, pc = s_.pc;
      if (cycle >= until) break;
    }
    if (instret >= instr_limit_) [[unlikely]] {
      spill();
      fault(fmt::format("instruction limit of {} reached", instr_limit_));
      return finish();
    }
    horizon = instr_limit_ - instret < until - cycle ? cycle + (instr_limit_ - instret) : until;
    horizon = std::min(horizon, irq_at_);
    while (cycle < horizon) {
      // Still in the line fetched last means still in its page (a line is at
      // most a page): no host call, no new page, no fetch.
      if ((pc >> line_shift) != fetch_line) [[unlikely]] {
        // A new page, or the decode cache replaced pages (watched code): look the page up again.
        if (pc - page_base_ >= (1u << DecodeCache::kPageBits) || page_epoch_ != icache_.epoch()) {
          spill();
          if (pc - host_window_.base < host_window_.bytes) {
            if (!host_call(pc)) return finish();
            cycle = cycle_, pc = s_.pc;
            horizon = std::min(horizon, irq_at_);  // the host may have set a timer or enabled interrupts
            // Host code may have watched code (new pages): a return into the line fetched last looks again.
            if (page_epoch_ != icache_.epoch() && pc - page_base_ < (1u << DecodeCache::kPageBits)) {
              if (!fetch_page(pc)) return finish();
              slots = page_->slot;
            }
            continue;
          }
          if (!fetch_page(pc)) return finish();
          slots = page_->slot;
        }
        fetch_line = pc >> line_shift;
        const uint64_t line_addr = pc & ~uint64_t{line_bytes_ - 1};
        uint32_t lat;
        if (!hits_ || !hits_->fetch(line_addr, lat)) {
          spill();
          lat = port_access(AccessKind::IFetch, line_addr, line_bytes_);
          cycle = cycle_;
        }
        cycle += lat;
      }
      Insn* dp = &slots[(pc >> 2) & ((1u << (DecodeCache::kPageBits - 2)) - 1)];
    decoded:
      Insn& d = *dp;

      ArchState before;
      if constexpr (kTrace) spill(), before = s_;

      // Issue when the sources are ready; single issue, in order.
      uint64_t t = std::max(cycle, ready_[d.src[0]]);
      t = std::max(t, ready_[d.src[1]]);
      t = std::max(t, ready_[d.src[2]]);
      uint32_t lat = t_.alu;
      uint64_t next = pc + 4;
      uint64_t stall = 0;  // cycles the pipeline is held after issue (stores, barriers)
#define trap(what) (spill(), fault(what))
#define port(...) (spill(), port_access(__VA_ARGS__))
      const uint8_t rt = d.rt, ra = d.ra, rb = d.rb;
#define ra0 (ra ? r[ra] : 0)  // (ra|0) addressing; computed only where used

      auto cr0 = [&](uint64_t v) {
        const auto sv = static_cast<int64_t>(v);
        s_.cr = (s_.cr & 0x0fffffffu) | (cmp_bits<int64_t>(sv, 0) | s_.so) << 28;
      };
      auto set_ov = [&](bool ov) { s_.ov = ov; s_.so |= ov; };
      auto add3 = [&](uint64_t x, uint64_t y, uint64_t c, bool carry) {
        const unsigned __int128 sum = static_cast<unsigned __int128>(x) + y + c;
        const auto res = static_cast<uint64_t>(sum);
        if (carry) s_.ca = static_cast<uint8_t>(sum >> 64);
        if (d.oe) set_ov(((x ^ res) & (y ^ res)) >> 63);
        r[rt] = res;
        if (d.rc) cr0(res);
      };
      auto logic = [&](uint64_t v) { r[ra] = v; if (d.rc) cr0(v); };
      auto crbit = [&](unsigned b) { return (s_.cr >> (31 - b)) & 1; };
      auto set_crbit = [&](unsigned b, unsigned v) {
        s_.cr = (s_.cr & ~(1u << (31 - b))) | (v & 1) << (31 - b);
      };
      auto set_crfield = [&](unsigned f, uint32_t bits4) {
        s_.cr = (s_.cr & ~crfield_mask(f)) | bits4 << (28 - 4 * f);
      };
      auto branch_cond = [&](unsigned bo, unsigned bi) {
        if (!(bo & 4)) --s_.ctr;
        const bool ctr_ok = (bo & 4) || ((s_.ctr != 0) != static_cast<bool>(bo & 2));
        const bool cond_ok = (bo & 0x10) || crbit(bi) == ((bo >> 3) & 1);
        return ctr_ok && cond_ok;
      };
      auto taken = [&](uint64_t target) {
        next = target;
        stall += t_.taken_branch_penalty;
      };
      // Load/store helpers: the memory latency is the result latency of a load.
#define LOAD(T, ea, dest, conv)                  \
    do {                                           \
      T v_;                                        \
      spill();                                     \
      lat = load<T>((ea), v_);                     \
      if (lat == kStopped) goto stopped;           \
      dest = conv(v_);                             \
    } while (0)
#define STORE(T, ea, val)                                          \
    do {                                                             \
      spill();                                                       \
      const uint32_t sl_ = store<T>((ea), static_cast<T>(val));      \
      if (sl_ == kStopped) goto stopped;                             \
      stall += sl_ > 1 ? sl_ - 1 : 0;                                \
    } while (0)
      auto zx = [](auto v) { return static_cast<uint64_t>(v); };
      auto sx16 = [](uint16_t v) { return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(v))); };
      auto sx32 = [](uint32_t v) { return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v))); };
      auto bs16 = [](uint16_t v) { return static_cast<uint64_t>(__builtin_bswap16(v)); };
      auto bs32 = [](uint32_t v) { return static_cast<uint64_t>(__builtin_bswap32(v)); };
      auto bs64 = [](uint64_t v) { return __builtin_bswap64(v); };

      switch (d.op) {
        default: __builtin_unreachable();  // decode() makes only the ops below: no range check
        case Op::Undecoded:  // first execution here (or since an icbi): not a new cycle
          d = decode(mem_.load<uint32_t>(pc));
          goto decoded;
        case Op::Watch:  // watched code: the environment looks first; the instruction runs as if unwatched
          spill();
          env_.watched(*this, pc);
          watch_insn_ = decode(mem_.load<uint32_t>(pc));
          dp = &watch_insn_;
          goto decoded;
        case Op::Illegal:
        case Op::Count:
          trap("illegal or unimplemented instruction");
          goto stopped;
        // ---- D-form arithmetic/logical
        case Op::Addi: case Op::Addis: r[rt] = ra0 + static_cast<uint64_t>(d.imm); break;
        case Op::Addic: case Op::AddicRc: add3(r[ra], static_cast<uint64_t>(d.imm), 0, true); if (d.op == Op::AddicRc) cr0(r[rt]); break;
        case Op::Subfic: add3(~r[ra], static_cast<uint64_t>(d.imm), 1, true); break;
        case Op::Mulli: lat = t_.mul32; r[rt] = r[ra] * static_cast<uint64_t>(d.imm); break;
        case Op::Ori: case Op::Oris: r[ra] = r[rt] | static_cast<uint64_t>(d.imm); break;
        case Op::Xori: case Op::Xoris: r[ra] = r[rt] ^ static_cast<uint64_t>(d.imm); break;
        case Op::AndiRc: case Op::AndisRc: r[ra] = r[rt] & static_cast<uint64_t>(d.imm); cr0(r[ra]); break;
        // ---- compares and traps (rt holds BF / TO; mb holds L)
        case Op::Cmpi: {
          const uint32_t c = d.mb ? cmp_bits<int64_t>(static_cast<int64_t>(r[ra]), d.imm)
                                  : cmp_bits<int64_t>(static_cast<int32_t>(r[ra]), static_cast<int32_t>(d.imm));
          set_crfield(rt, c | s_.so);
          break;
        }
        case Op::Cmpli: {
          const uint32_t c = d.mb ? cmp_bits<uint64_t>(r[ra], static_cast<uint64_t>(d.imm))
                                  : cmp_bits<uint32_t>(static_cast<uint32_t>(r[ra]), static_cast<uint32_t>(d.imm));
          set_crfield(rt, c | s_.so);
          break;
        }
        case Op::Cmp: {
          const uint32_t c = d.mb ? cmp_bits<int64_t>(static_cast<int64_t>(r[ra]), static_cast<int64_t>(r[rb]))
                                  : cmp_bits<int32_t>(static_cast<int32_t>(r[ra]), static_cast<int32_t>(r[rb]));
          set_crfield(rt, c | s_.so);
          break;
        }
        case Op::Cmpl: {
          const uint32_t c = d.mb ? cmp_bits<uint64_t>(r[ra], r[rb])
                                  : cmp_bits<uint32_t>(static_cast<uint32_t>(r[ra]), static_cast<uint32_t>(r[rb]));
          set_crfield(rt, c | s_.so);
          break;
        }
        case Op::Tw: case Op::Twi: case Op::Td: case Op::Tdi: {
          const bool word = d.op == Op::Tw || d.op == Op::Twi;
          const bool imm = d.op == Op::Twi || d.op == Op::Tdi;
          int64_t a = static_cast<int64_t>(r[ra]), b = imm ? d.imm : static_cast<int64_t>(r[rb]);
          if (word) a = static_cast<int32_t>(a), b = static_cast<int32_t>(b);
          if (trap_cond(rt, a, b)) { trap("trap instruction"); goto stopped; }
          break;
        }
        // ---- XO-form arithmetic
        case Op::Add: add3(r[ra], r[rb], 0, false); break;
        case Op::Addc: add3(r[ra], r[rb], 0, true); break;
        case Op::Adde: add3(r[ra], r[rb], s_.ca, true); break;
        case Op::Addze: add3(r[ra], 0, s_.ca, true); break;
        case Op::Addme: add3(r[ra], ~uint64_t{0}, s_.ca, true); break;
        case Op::Subf: add3(~r[ra], r[rb], 1, false); break;
        case Op::Subfc: add3(~r[ra], r[rb], 1, true); break;
        case Op::Subfe: add3(~r[ra], r[rb], s_.ca, true); break;
        case Op::Subfze: add3(~r[ra], 0, s_.ca, true); break;
        case Op::Subfme: add3(~r[ra], ~uint64_t{0}, s_.ca, true); break;
        case Op::Neg: add3(~r[ra], 0, 1, false); break;
        case Op::Mullw: {
          lat = t_.mul32;
          const int64_t p = int64_t{static_cast<int32_t>(r[ra])} * static_cast<int32_t>(r[rb]);
          if (d.oe) set_ov(p != static_cast<int32_t>(p));
          r[rt] = static_cast<uint64_t>(p);
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Mulld: {
          lat = t_.mul64;
          const __int128 p = static_cast<__int128>(static_cast<int64_t>(r[ra])) * static_cast<int64_t>(r[rb]);
          if (d.oe) set_ov(p != static_cast<int64_t>(p));
          r[rt] = static_cast<uint64_t>(p);
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Mulhw: {
          lat = t_.mul32;
          const int64_t p = int64_t{static_cast<int32_t>(r[ra])} * static_cast<int32_t>(r[rb]);
          r[rt] = static_cast<uint64_t>(p) >> 32 & 0xffffffffu;
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Mulhwu: {
          lat = t_.mul32;
          const uint64_t p = (r[ra] & 0xffffffffu) * (r[rb] & 0xffffffffu);
          r[rt] = p >> 32;
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Mulhd: {
          lat = t_.mul64;
          const __int128 p = static_cast<__int128>(static_cast<int64_t>(r[ra])) * static_cast<int64_t>(r[rb]);
          r[rt] = static_cast<uint64_t>(p >> 64);
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Mulhdu: {
          lat = t_.mul64;
          const unsigned __int128 p = static_cast<unsigned __int128>(r[ra]) * r[rb];
          r[rt] = static_cast<uint64_t>(p >> 64);
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Divw: {
          lat = t_.div32;
          stall += lat - 1;  // the divider is not pipelined
          const auto a = static_cast<int32_t>(r[ra]), b = static_cast<int32_t>(r[rb]);
          const bool bad = b == 0 || (a == INT32_MIN && b == -1);
          if (d.oe) set_ov(bad);
          // The high word is undefined in the ISA; zero it as qemu does so lockstep agrees.
          r[rt] = bad ? 0 : static_cast<uint32_t>(a / b);
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Divwu: {
          lat = t_.div32;
          stall += lat - 1;  // the divider is not pipelined
          const auto a = static_cast<uint32_t>(r[ra]), b = static_cast<uint32_t>(r[rb]);
          if (d.oe) set_ov(b == 0);
          r[rt] = b ? a / b : 0;
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Divd: {
          lat = t_.div64;
          stall += lat - 1;  // the divider is not pipelined
          const auto a = static_cast<int64_t>(r[ra]), b = static_cast<int64_t>(r[rb]);
          const bool bad = b == 0 || (a == INT64_MIN && b == -1);
          if (d.oe) set_ov(bad);
          r[rt] = bad ? 0 : static_cast<uint64_t>(a / b);
          if (d.rc) cr0(r[rt]);
          break;
        }
        case Op::Divdu: {
          lat = t_.div64;
          stall += lat - 1;  // the divider is not pipelined
          if (d.oe) set_ov(r[rb] == 0);
          r[rt] = r[rb] ? r[ra] / r[rb] : 0;
          if (d.rc) cr0(r[rt]);
          break;
        }
        // ---- logical, extension, count (rt is RS, ra the destination)
        case Op::And: logic(r[rt] & r[rb]); break;
        case Op::Andc: logic(r[rt] & ~r[rb]); break;
        case Op::Or: logic(r[rt] | r[rb]); break;
        case Op::Orc: logic(r[rt] | ~r[rb]); break;
        case Op::Xor: logic(r[rt] ^ r[rb]); break;
        case Op::Nand: logic(~(r[rt] & r[rb])); break;
        case Op::Nor: logic(~(r[rt] | r[rb])); break;
        case Op::Eqv: logic(~(r[rt] ^ r[rb])); break;
        case Op::Extsb: logic(static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(r[rt])))); break;
        case Op::Extsh: logic(static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(r[rt])))); break;
        case Op::Extsw: logic(sext32(r[rt])); break;
        case Op::Cntlzw: logic(static_cast<uint64_t>(std::countl_zero(static_cast<uint32_t>(r[rt])))); break;
        case Op::Cntlzd: logic(static_cast<uint64_t>(std::countl_zero(r[rt]))); break;
        case Op::Popcntb: case Op::Popcntw: {
          const uint64_t x = r[rt];
          uint64_t v = 0;
          const unsigned width = d.op == Op::Popcntb ? 8 : 32;
          for (unsigned sh = 0; sh < 64; sh += width) {
            const uint64_t part = (x >> sh) & ((uint64_t{1} << width) - 1);
            v |= static_cast<uint64_t>(std::popcount(part)) << sh;
          }
          r[ra] = v;
          break;
        }
        case Op::Popcntd: r[ra] = static_cast<uint64_t>(std::popcount(r[rt])); break;
        case Op::Isel: r[rt] = crbit(d.mb) ? ra0 : r[rb]; break;
        // ---- shifts and rotates
        case Op::Slw: { const unsigned n = r[rb] & 0x3f; logic(n < 32 ? (r[rt] << n) & 0xffffffffu : 0); break; }
        case Op::Srw: { const unsigned n = r[rb] & 0x3f; logic(n < 32 ? (r[rt] & 0xffffffffu) >> n : 0); break; }
        case Op::Sld: { const unsigned n = r[rb] & 0x7f; logic(n < 64 ? r[rt] << n : 0); break; }
        case Op::Srd: { const unsigned n = r[rb] & 0x7f; logic(n < 64 ? r[rt] >> n : 0); break; }
        case Op::Sraw: case Op::Srawi: {
          const unsigned n = d.op == Op::Srawi ? rb : static_cast<unsigned>(r[rb] & 0x3f);
          const auto x = static_cast<int32_t>(r[rt]);
          if (n < 32) {
            s_.ca = x < 0 && (static_cast<uint32_t>(x) & ((1u << n) - 1)) != 0;
            logic(static_cast<uint64_t>(static_cast<int64_t>(x >> n)));
          } else {
            s_.ca = x < 0;
            logic(x < 0 ? ~uint64_t{0} : 0);
          }
          break;
        }
        case Op::Srad: case Op::Sradi: {
          const unsigned n = d.op == Op::Sradi ? rb : static_cast<unsigned>(r[rb] & 0x7f);
          const auto x = static_cast<int64_t>(r[rt]);
          if (n < 64) {
            s_.ca = x < 0 && n && (static_cast<uint64_t>(x) & ((uint64_t{1} << n) - 1)) != 0;
            logic(static_cast<uint64_t>(x >> n));
          } else {
            s_.ca = x < 0;
            logic(x < 0 ? ~uint64_t{0} : 0);
          }
          break;
        }
        case Op::Rlwinm: logic(rotl64(dup32(r[rt]), rb) & static_cast<uint64_t>(d.imm)); break;
        case Op::Rlwnm: logic(rotl64(dup32(r[rt]), r[rb] & 31) & static_cast<uint64_t>(d.imm)); break;
        case Op::Rlwimi: {
          const auto m = static_cast<uint64_t>(d.imm);
          logic((rotl64(dup32(r[rt]), rb) & m) | (r[ra] & ~m));
          break;
        }
        case Op::Rldicl: case Op::Rldicr: case Op::Rldic:
          logic(rotl64(r[rt], rb) & static_cast<uint64_t>(d.imm));
          break;
        case Op::Rldcl: case Op::Rldcr: logic(rotl64(r[rt], r[rb] & 63) & static_cast<uint64_t>(d.imm)); break;
        case Op::Rldimi: {
          const auto m = static_cast<uint64_t>(d.imm);
          logic((rotl64(r[rt], rb) & m) | (r[ra] & ~m));
          break;
        }
        // ---- loads (D/DS: ea = (ra|0) + imm; X: ea = (ra|0) + rb)
        case Op::Lbz: LOAD(uint8_t, ra0 + d.imm, r[rt], zx); break;
        case Op::Lhz: LOAD(uint16_t, ra0 + d.imm, r[rt], zx); break;
        case Op::Lha: LOAD(uint16_t, ra0 + d.imm, r[rt], sx16); break;
        case Op::Lwz: LOAD(uint32_t, ra0 + d.imm, r[rt], zx); break;
        case Op::Lwa: LOAD(uint32_t, ra0 + d.imm, r[rt], sx32); break;
        case Op::Ld: LOAD(uint64_t, ra0 + d.imm, r[rt], zx); break;
        case Op::Lbzu: { const uint64_t ea = r[ra] + d.imm; LOAD(uint8_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lhzu: { const uint64_t ea = r[ra] + d.imm; LOAD(uint16_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lhau: { const uint64_t ea = r[ra] + d.imm; LOAD(uint16_t, ea, r[rt], sx16); r[ra] = ea; break; }
        case Op::Lwzu: { const uint64_t ea = r[ra] + d.imm; LOAD(uint32_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Ldu: { const uint64_t ea = r[ra] + d.imm; LOAD(uint64_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lbzx: LOAD(uint8_t, ra0 + r[rb], r[rt], zx); break;
        case Op::Lhzx: LOAD(uint16_t, ra0 + r[rb], r[rt], zx); break;
        case Op::Lhax: LOAD(uint16_t, ra0 + r[rb], r[rt], sx16); break;
        case Op::Lwzx: LOAD(uint32_t, ra0 + r[rb], r[rt], zx); break;
        case Op::Lwax: LOAD(uint32_t, ra0 + r[rb], r[rt], sx32); break;
        case Op::Ldx: LOAD(uint64_t, ra0 + r[rb], r[rt], zx); break;
        case Op::Lhbrx: LOAD(uint16_t, ra0 + r[rb], r[rt], bs16); break;
        case Op::Lwbrx: LOAD(uint32_t, ra0 + r[rb], r[rt], bs32); break;
        case Op::Ldbrx: LOAD(uint64_t, ra0 + r[rb], r[rt], bs64); break;
        case Op::Lbzux: { const uint64_t ea = r[ra] + r[rb]; LOAD(uint8_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lhzux: { const uint64_t ea = r[ra] + r[rb]; LOAD(uint16_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lhaux: { const uint64_t ea = r[ra] + r[rb]; LOAD(uint16_t, ea, r[rt], sx16); r[ra] = ea; break; }
        case Op::Lwzux: { const uint64_t ea = r[ra] + r[rb]; LOAD(uint32_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lwaux: { const uint64_t ea = r[ra] + r[rb]; LOAD(uint32_t, ea, r[rt], sx32); r[ra] = ea; break; }
        case Op::Ldux: { const uint64_t ea = r[ra] + r[rb]; LOAD(uint64_t, ea, r[rt], zx); r[ra] = ea; break; }
        case Op::Lwarx: case Op::Ldarx: {
          const uint64_t ea = ra0 + r[rb];
          const unsigned size = d.op == Op::Lwarx ? 4 : 8;
          if (ea & (size - 1)) { trap(fmt::format("unaligned {} at 0x{:x}", kOpMnemonic[static_cast<int>(d.op)], ea)); goto stopped; }
          if (!mem_.contains(ea, size)) { trap(fmt::format("{} outside guest memory at 0x{:x}", kOpMnemonic[static_cast<int>(d.op)], ea)); goto stopped; }
          // The port first: it may synchronise with other CPUs, whose stores must be seen.
          lat = port(AccessKind::Larx, ea, size) + t_.larx;
          r[rt] = size == 4 ? uint64_t{mem_.load<uint32_t>(ea)} : mem_.load<uint64_t>(ea);
          break;
        }
        // ---- stores
        case Op::Stb: STORE(uint8_t, ra0 + d.imm, r[rt]); break;
        case Op::Sth: STORE(uint16_t, ra0 + d.imm, r[rt]); break;
        case Op::Stw: STORE(uint32_t, ra0 + d.imm, r[rt]); break;
        case Op::Std: STORE(uint64_t, ra0 + d.imm, r[rt]); break;
        case Op::Stbu: { const uint64_t ea = r[ra] + d.imm; STORE(uint8_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Sthu: { const uint64_t ea = r[ra] + d.imm; STORE(uint16_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Stwu: { const uint64_t ea = r[ra] + d.imm; STORE(uint32_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Stdu: { const uint64_t ea = r[ra] + d.imm; STORE(uint64_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Stbx: STORE(uint8_t, ra0 + r[rb], r[rt]); break;
        case Op::Sthx: STORE(uint16_t, ra0 + r[rb], r[rt]); break;
        case Op::Stwx: STORE(uint32_t, ra0 + r[rb], r[rt]); break;
        case Op::Stdx: STORE(uint64_t, ra0 + r[rb], r[rt]); break;
        case Op::Sthbrx: STORE(uint16_t, ra0 + r[rb], __builtin_bswap16(static_cast<uint16_t>(r[rt]))); break;
        case Op::Stwbrx: STORE(uint32_t, ra0 + r[rb], __builtin_bswap32(static_cast<uint32_t>(r[rt]))); break;
        case Op::Stdbrx: STORE(uint64_t, ra0 + r[rb], __builtin_bswap64(r[rt])); break;
        case Op::Stbux: { const uint64_t ea = r[ra] + r[rb]; STORE(uint8_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Sthux: { const uint64_t ea = r[ra] + r[rb]; STORE(uint16_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Stwux: { const uint64_t ea = r[ra] + r[rb]; STORE(uint32_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Stdux: { const uint64_t ea = r[ra] + r[rb]; STORE(uint64_t, ea, r[rt]); r[ra] = ea; break; }
        case Op::Stwcx: case Op::Stdcx: {
          const uint64_t ea = ra0 + r[rb];
          const unsigned size = d.op == Op::Stwcx ? 4 : 8;
          if (ea & (size - 1)) { trap(fmt::format("unaligned {} at 0x{:x}", kOpMnemonic[static_cast<int>(d.op)], ea)); goto stopped; }
          if (!mem_.contains(ea, size)) { trap(fmt::format("{} outside guest memory at 0x{:x}", kOpMnemonic[static_cast<int>(d.op)], ea)); goto stopped; }
          bool ok = false;
          lat = port(AccessKind::Stcx, ea, size, &ok) + t_.stcx;
          if (ok) {
            if (size == 4) mem_.store<uint32_t>(ea, static_cast<uint32_t>(r[rt]));
            else mem_.store<uint64_t>(ea, r[rt]);
          }
          set_crfield(0, (ok ? 2u : 0u) | s_.so);
          stall += lat;
          break;
        }
        // ---- branches (rt = BO, ra = BI; oe = AA; rc = LK)
        case Op::B: {
          const uint64_t target = d.oe ? static_cast<uint64_t>(d.imm) : pc + d.imm;
          if (d.rc) s_.lr = pc + 4;
          taken(target);
          break;
        }
        case Op::Bc: {
          const bool go = branch_cond(rt, ra);
          if (d.rc) s_.lr = pc + 4;
          if (go) taken(d.oe ? static_cast<uint64_t>(d.imm) : pc + d.imm);
          break;
        }
        case Op::Bclr: {
          const uint64_t target = s_.lr & ~uint64_t{3};
          const bool go = branch_cond(rt, ra);
          if (d.rc) s_.lr = pc + 4;
          if (go) taken(target);
          break;
        }
        case Op::Bcctr: {
          const bool go = branch_cond(rt, ra);
          if (d.rc) s_.lr = pc + 4;
          if (go) taken(s_.ctr & ~uint64_t{3});
          break;
        }
        // ---- condition register
        case Op::Mcrf: lat = t_.cr; set_crfield(rt, (s_.cr >> (28 - 4 * ra)) & 0xf); break;
        case Op::Crand: lat = t_.cr; set_crbit(rt, crbit(ra) & crbit(rb)); break;
        case Op::Crandc: lat = t_.cr; set_crbit(rt, crbit(ra) & ~crbit(rb)); break;
        case Op::Creqv: lat = t_.cr; set_crbit(rt, ~(crbit(ra) ^ crbit(rb))); break;
        case Op::Crnand: lat = t_.cr; set_crbit(rt, ~(crbit(ra) & crbit(rb))); break;
        case Op::Crnor: lat = t_.cr; set_crbit(rt, ~(crbit(ra) | crbit(rb))); break;
        case Op::Cror: lat = t_.cr; set_crbit(rt, crbit(ra) | crbit(rb)); break;
        case Op::Crorc: lat = t_.cr; set_crbit(rt, crbit(ra) | ~crbit(rb)); break;
        case Op::Crxor: lat = t_.cr; set_crbit(rt, crbit(ra) ^ crbit(rb)); break;
        case Op::Mfcr: lat = t_.spr; r[rt] = s_.cr; break;
        case Op::Mfocrf: lat = t_.spr; r[rt] = s_.cr & fxm_mask(static_cast<uint64_t>(d.imm)); break;
        case Op::Mtcrf: case Op::Mtocrf: {
          lat = t_.spr;
          const uint32_t m = fxm_mask(static_cast<uint64_t>(d.imm));
          s_.cr = (static_cast<uint32_t>(r[rt]) & m) | (s_.cr & ~m);
          break;
        }
        case Op::Mfspr: case Op::Mftb:
          lat = t_.spr;
          switch (d.imm) {
            case 1: r[rt] = s_.xer(); break;
            case 8: r[rt] = s_.lr; break;
            case 9: r[rt] = s_.ctr; break;
            case 268: r[rt] = t; break;
            case 269: r[rt] = t >> 32; break;
            case kSprDec: r[rt] = static_cast<uint32_t>(dec_zero_ - t); break;
            case kSprSrr0: r[rt] = s_.srr0; break;
            case kSprSrr1: r[rt] = s_.srr1; break;
            default: r[rt] = s_.sprg[static_cast<unsigned>(d.imm) - kSprSprg0]; break;  // SPRG0-3
          }
          break;
        case Op::Mtspr:
          lat = t_.spr;
          switch (d.imm) {
            case 1: s_.set_xer(r[rt]); break;
            case 8: s_.lr = r[rt]; break;
            case 9: s_.ctr = r[rt]; break;
            case kSprDec: write_dec(t, static_cast<uint32_t>(r[rt])); horizon = 0; break;  // re-check interrupts
            case kSprSrr0: s_.srr0 = r[rt]; break;
            case kSprSrr1: s_.srr1 = r[rt]; break;
            default: s_.sprg[static_cast<unsigned>(d.imm) - kSprSprg0] = r[rt]; break;
          }
          break;
        case Op::Mfmsr: lat = t_.spr; r[rt] = s_.msr; break;
        case Op::Mtmsrd:  // L=1: EE (and RI, not modelled) only; L=0: the whole MSR, SF kept
          stall += t_.rfid;
          s_.msr = d.mb ? (s_.msr & ~kMsrEE) | (r[rt] & kMsrEE) : r[rt] | kMsrSF;
          update_irq();
          horizon = 0;  // an interrupt now enabled is taken before the next instruction
          break;
        case Op::Rfid:
          stall += t_.rfid;
          s_.msr = s_.srr1 | kMsrSF;
          next = s_.srr0 & ~uint64_t{3};
          update_irq();
          horizon = 0;
          break;
        // ---- system, barriers and cache operations
        case Op::Sc: {
          stall += t_.syscall;
          spill();
          s_.pc = next;  // the environment sees the state after sc, as an interrupt would
          const HartAction a = env_.system_call(*this);
          s_.pc = pc;
          if (a == HartAction::Exit) { stop_ = StopReason::Exited; goto stopped; }
          if (a == HartAction::Halt) { stop_ = StopReason::Halted; goto stopped; }
          if (a == HartAction::Fault) { if (stop_ != StopReason::Trapped) fault("bad system call"); goto stopped; }
          break;
        }
        case Op::Sync: stall += t_.sync + port(AccessKind::Sync, 0, 0); break;
        case Op::Lwsync: stall += t_.lwsync + port(AccessKind::LwSync, 0, 0); break;
        case Op::Eieio: stall += t_.lwsync + port(AccessKind::Eieio, 0, 0); break;
        case Op::Isync: stall += t_.isync + port(AccessKind::ISync, 0, 0); break;
        case Op::Dcbt: case Op::Dcbtst: case Op::Dcbst: case Op::Dcbf: case Op::Dcbz: case Op::Icbi: {
          const uint64_t ea = (ra0 + r[rb]) & ~uint64_t{line_bytes_ - 1};
          if (!mem_.contains(ea, line_bytes_)) {
            if (d.op == Op::Dcbt || d.op == Op::Dcbtst) break;  // hints never fault
            trap(fmt::format("{} outside guest memory at 0x{:x}", kOpMnemonic[static_cast<int>(d.op)], ea));
            goto stopped;
          }
          static constexpr AccessKind kKind[] = {AccessKind::DcbT, AccessKind::DcbT, AccessKind::DcbSt,
                                                 AccessKind::DcbF, AccessKind::DcbZ, AccessKind::Icbi};
          const auto k = kKind[static_cast<int>(d.op) - static_cast<int>(Op::Dcbt)];
          stall += t_.cache_op + port(k, ea, line_bytes_);
          if (d.op == Op::Dcbz) mem_.fill(ea, 0, line_bytes_);
          if (d.op == Op::Icbi) icache_.invalidate(ea, line_bytes_);
          break;
        }
      }
#undef LOAD
#undef STORE
#undef trap
#undef port
#undef ra0
      // Retire: result latency on the destination, pipeline advance, branch penalty.
      ready_[d.dst] = t + lat;
      cycle = t + 1 + stall;
      ++instret;
      if constexpr (kTrace) {
        const uint64_t at = pc;
        pc = next;
        spill();
        tracer_->record(*this, at, t, before);
      } else {
        pc = next;
      }
      continue;
    stopped:  // every way here spilled before its call out
      if constexpr (kTrace) {
        if (stop_ == StopReason::Exited || stop_ == StopReason::Halted) tracer_->record(*this, pc, t, before);
      }
      if (stop_ == StopReason::Exited || stop_ == StopReason::Halted) {
        ++instret_;
        cycle_ = t + 1 + stall;
      }
      return finish();
    }
  }
  spill();
  if (stop_ == StopReason::Running) stop_ = StopReason::Budget;
  return finish();
#undef spill
#undef finish
}

template StopReason Hart::loop<true>(uint64_t);
template StopReason Hart::loop<false>(uint64_t);

}  // namespace quiesce::ppc
