// Per-instruction-class latencies of the in-order core (cycles). Defaults in
// the PPC970/POWER spirit; every value is a setting.
#pragma once
#include <cstdint>

namespace quiesce::ppc {

struct CoreTiming {
  uint32_t alu = 1;
  uint32_t mul32 = 5;
  uint32_t mul64 = 7;
  uint32_t div32 = 36;
  uint32_t div64 = 68;
  uint32_t cr = 1;             // CR logical ops, mcrf
  uint32_t spr = 3;            // mfspr/mtspr/mfcr/mtcrf/mftb
  uint32_t larx = 11;          // on top of the memory latency
  uint32_t stcx = 11;
  uint32_t sync = 35;
  uint32_t lwsync = 8;
  uint32_t isync = 10;
  uint32_t cache_op = 2;
  uint32_t taken_branch_penalty = 2;
  uint32_t syscall = 100;      // sc (linux-target test programs only)
  uint32_t interrupt = 30;     // taking an interrupt: the pipeline drained, SRR0/SRR1 set, the vector fetched
  uint32_t rfid = 20;          // rfid (and mtmsrd): context synchronising, the pipeline refilled
};

}  // namespace quiesce::ppc
