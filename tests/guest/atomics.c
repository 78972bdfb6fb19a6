/* Single-CPU __atomic builtins on 8, 16, 32 and 64-bit data: fetch_add/sub/
 * and/or/xor, exchange, compare_exchange (strong and weak, success and failure),
 * with relaxed, acquire, release and seq_cst orders (lwarx/stwcx. loops with
 * masking for sub-word sizes, ldarx/stdcx., sync/lwsync/isync). */
#include <quiesce/guest.h>
static volatile uint8_t a8[4]; static volatile uint16_t a16[4]; static volatile uint32_t a32[4]; static volatile uint64_t a64[4];
int main(void) {
  uint64_t h = 0;
#define MIX(v) (h = h * 1000003u + (uint64_t)(v))
  for (int i = 0; i < 300; i++) {
    MIX(__atomic_fetch_add(&a8[1], (uint8_t)(i * 3), __ATOMIC_RELAXED));
    MIX(__atomic_fetch_sub(&a16[2], (uint16_t)(i * 7), __ATOMIC_ACQUIRE));
    MIX(__atomic_fetch_xor(&a32[3], (uint32_t)i * 0x9e3779b9u, __ATOMIC_RELEASE));
    MIX(__atomic_fetch_add(&a64[0], (uint64_t)i << 33, __ATOMIC_SEQ_CST));
    MIX(__atomic_fetch_or(&a8[3], (uint8_t)(1u << (i & 7)), __ATOMIC_ACQ_REL));
    MIX(__atomic_fetch_and(&a16[0], (uint16_t)~(1u << (i & 15)), __ATOMIC_SEQ_CST));
    MIX(__atomic_exchange_n(&a32[1], (uint32_t)i, __ATOMIC_SEQ_CST));
    MIX(__atomic_add_fetch(&a64[2], 3, __ATOMIC_RELAXED));
  }
  uint8_t e8 = a8[1]; uint16_t e16 = 1; uint32_t e32 = a32[3]; uint64_t e64 = 99;
  MIX(__atomic_compare_exchange_n(&a8[1], &e8, 0x5a, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)); MIX(e8);
  MIX(__atomic_compare_exchange_n(&a16[2], &e16, 0x1234, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)); MIX(e16);
  int ok = 0; while (!ok) ok = __atomic_compare_exchange_n(&a32[3], &e32, e32 + 1, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  MIX(e32);
  MIX(__atomic_compare_exchange_n(&a64[0], &e64, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)); MIX(e64);
  __atomic_thread_fence(__ATOMIC_SEQ_CST); __atomic_thread_fence(__ATOMIC_ACQUIRE);
  MIX(__atomic_load_n(&a64[2], __ATOMIC_ACQUIRE)); __atomic_store_n(&a16[3], 0xbeef, __ATOMIC_RELEASE); MIX(a16[3]);
  for (int i = 0; i < 4; i++) { MIX(a8[i]); MIX(a16[i]); MIX(a32[i]); MIX(a64[i]); }
  qg_puthex(h);
  return (int)(h % 61);
}
