// The patent's state-transfer negotiation and the transfers themselves. Each
// implementation declares the protocols it can export and import as a bit
// set; the swap ANDs the old export set with the new import set and takes the
// most significant bit. The transfer's cost is the memory traffic on the old
// and new state, through the worker CPU's caches, plus declared compute.
#pragma once
#include <cstdint>
#include <optional>

#include "cpu_ppc64/hart.h"
#include "hotswap/hotswap_spec.h"

namespace quiesce::hotswap {

// The best protocol both sides support; by_reference and copy only when the
// layouts match (`same_layout`). None if nothing fits.
std::optional<Protocol> negotiate(const TransferSpec& from, const TransferSpec& to, bool same_layout);

struct TransferTally {
  uint64_t bytes = 0;  // state bytes moved (0 for by_reference)
  uint64_t lines = 0;  // lines read and written
};

// Moves `bytes` of state from `from` to `to` with `p` (not ByReference: that
// moves nothing but the header, see adopt_by_reference), paying on `h`. When
// `add` is set the words are added into the destination (merging per-CPU
// state into one rep) instead of overwriting it.
TransferTally transfer_state(ppc::Hart& h, Protocol p, const TransferSpec& cost, uint64_t from, uint64_t to,
                             uint64_t bytes, uint32_t line_bytes, bool add = false);

// By reference: the old rep becomes the new one; its vtable pointer is rewritten.
TransferTally adopt_by_reference(ppc::Hart& h, const TransferSpec& cost, uint64_t rep, uint64_t new_vtable);

}  // namespace quiesce::hotswap
