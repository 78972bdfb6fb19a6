#include "hotswap/transfer_protocol.h"

#include <bit>

namespace quiesce::hotswap {

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::Transform: return "transform";
    case Protocol::Copy: return "copy";
    case Protocol::ByReference: return "by_reference";
  }
  return "?";
}

std::optional<Protocol> negotiate(const TransferSpec& from, const TransferSpec& to, bool same_layout) {
  uint32_t common = from.exports & to.imports & kAllProtocols;
  if (!same_layout) common &= 1u << static_cast<unsigned>(Protocol::Transform);
  if (!common) return std::nullopt;
  return static_cast<Protocol>(31 - std::countl_zero(common));
}

TransferTally transfer_state(ppc::Hart& h, Protocol p, const TransferSpec& cost, uint64_t from, uint64_t to,
                             uint64_t bytes, uint32_t line_bytes, bool add) {
  TransferTally t;
  h.charge(cost.fixed_cycles);
  auto& m = h.memory();
  for (uint64_t off = 0; off < bytes; off += line_bytes) {
    const uint64_t n = std::min<uint64_t>(line_bytes, bytes - off);
    h.timed_access(mem::AccessKind::Load, from + off, 8);
    h.timed_access(mem::AccessKind::Store, to + off, 8);
    for (uint64_t w = 0; w + 8 <= n; w += 8) {
      const uint64_t v = m.load<uint64_t>(from + off + w);
      m.store<uint64_t>(to + off + w, add ? m.load<uint64_t>(to + off + w) + v : v);
    }
    for (uint64_t b = n / 8 * 8; b < n; ++b) m.store<uint8_t>(to + off + b, m.load<uint8_t>(from + off + b));
    h.charge(cost.copy_cycles_per_line);
    if (p == Protocol::Transform) h.charge(static_cast<uint64_t>(cost.transform_cycles_per_byte * static_cast<double>(n)));
    t.bytes += n;
    ++t.lines;
  }
  return t;
}

TransferTally adopt_by_reference(ppc::Hart& h, const TransferSpec& cost, uint64_t rep, uint64_t new_vtable) {
  h.charge(cost.fixed_cycles);
  h.timed_access(mem::AccessKind::Load, rep, 8);
  h.timed_access(mem::AccessKind::Store, rep, 8);
  h.memory().store<uint64_t>(rep, new_vtable);
  return {0, 1};
}

}  // namespace quiesce::hotswap
