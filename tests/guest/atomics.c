/* Exercises: single-CPU __atomic builtins on 8-, 16-, 32- and 64-bit data —
 * fetch_add/sub/and/or/xor/nand, add_fetch/sub_fetch/or_fetch, exchange,
 * compare_exchange (strong and weak, succeeding and failing), load and store,
 * test_and_set/clear, thread fences — and the legacy __sync builtins, with
 * relaxed, consume, acquire, release, acq_rel and seq_cst orders. Before POWER8 there
 * is no lbarx/lharx, so the 8- and 16-bit forms are lwarx/stwcx. loops with
 * shifts and masks on the containing word; 64-bit ones use ldarx/stdcx.; the
 * orders add sync/lwsync/isync around them. Model: reference.py atomics. */
#include "check.h"

static volatile uint8_t a8[4] = {0x11, 0x22, 0x33, 0x44};
static volatile uint16_t a16[4] = {0xffff, 0x1234, 0x8000, 0x7fff};
static volatile uint32_t a32[4] = {0xdeadbeefu, 1, 2, 0x80000000u};
static volatile uint64_t a64[4] = {1, 0xf0f0f0f00f0f0f0full, 0, 0x8000000000000000ull};
static volatile unsigned char flag;
static uint64_t h = FNV_INIT;

static void mix(uint64_t v) { h = fnv_mix(h, v); }

int main(void) {
  for (uint32_t i = 0; i < 500; i++) {
    mix(__atomic_fetch_add(&a8[1], (uint8_t)(i * 3), __ATOMIC_RELAXED));
    mix(__atomic_fetch_sub(&a16[2], (uint16_t)(i * 7), __ATOMIC_ACQUIRE));
    mix(__atomic_fetch_xor(&a32[3], i * 0x9e3779b9u, __ATOMIC_RELEASE));
    mix(__atomic_fetch_add(&a64[0], (uint64_t)i << 33, __ATOMIC_SEQ_CST));
    mix(__atomic_fetch_or(&a8[3], (uint8_t)(1u << (i & 7)), __ATOMIC_ACQ_REL));
    mix(__atomic_fetch_and(&a16[0], (uint16_t)~(1u << (i & 15)), __ATOMIC_SEQ_CST));
    mix(__atomic_exchange_n(&a32[1], i, __ATOMIC_SEQ_CST));
    mix(__atomic_add_fetch(&a64[2], 3, __ATOMIC_RELAXED));
    mix(__atomic_fetch_nand(&a32[0], i | 0x10000u, __ATOMIC_ACQ_REL));
    mix(__atomic_sub_fetch(&a64[3], (uint64_t)i * 5, __ATOMIC_RELEASE));
    mix(__atomic_exchange_n(&a16[1], (uint16_t)(i * 40503u), __ATOMIC_ACQUIRE));
    mix(__atomic_fetch_xor(&a8[2], (uint8_t)i, __ATOMIC_RELAXED));
    mix(__atomic_or_fetch(&a64[1], 1ull << (i & 63), __ATOMIC_RELAXED));
    mix(__atomic_fetch_and(&a64[1], ~(1ull << ((i * 7) & 63)), __ATOMIC_CONSUME));
    if ((i & 15) == 0) a16[0] = (uint16_t)(0xffff ^ i);
  }
  expect("fetch-ops", 0x591a4609f1ad7a1a, h);

  for (uint32_t i = 0; i < 200; i++) {
    uint8_t e8 = __atomic_load_n(&a8[0], __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&a8[0], &e8, (uint8_t)(e8 + 7), 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
    }
    uint16_t e16 = (uint16_t)(a16[3] + 1); /* wrong on purpose: fails and loads the current value */
    mix((uint64_t)__atomic_compare_exchange_n(&a16[3], &e16, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
    mix(e16);
    a16[3] = (uint16_t)(e16 + i);
    uint32_t e32 = a32[2];
    mix((uint64_t)__atomic_compare_exchange_n(&a32[2], &e32, e32 * 3 + 1, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    uint64_t e64 = __atomic_load_n(&a64[0], __ATOMIC_ACQUIRE);
    mix((uint64_t)__atomic_compare_exchange_n(&a64[0], &e64, e64 ^ (e64 >> 7) ^ i, 0, __ATOMIC_SEQ_CST,
                                              __ATOMIC_SEQ_CST));
    uint64_t stale = e64 + 1; /* fails */
    mix((uint64_t)__atomic_compare_exchange_n(&a64[0], &stale, 0, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
    mix(stale);
  }
  expect("compare-exchange", 0x7d692d7a6499dd05, h);

  for (uint32_t i = 0; i < 100; i++) {
    mix(__sync_fetch_and_add(&a32[1], 5));
    mix((uint64_t)__sync_bool_compare_and_swap(&a64[2], a64[2], a64[2] + i));
    mix(__sync_val_compare_and_swap(&a16[1], (uint16_t)0x1234, (uint16_t)0x4321));
    mix(__sync_lock_test_and_set(&a8[2], (uint8_t)0xa5));
    __sync_lock_release(&a8[2]);
    mix(__sync_or_and_fetch(&a64[3], (uint64_t)i));
    mix(__sync_fetch_and_sub(&a16[2], (uint16_t)i));
    mix((uint64_t)__atomic_test_and_set(&flag, __ATOMIC_ACQUIRE));
    mix((uint64_t)__atomic_test_and_set(&flag, __ATOMIC_ACQUIRE));
    __atomic_clear(&flag, __ATOMIC_RELEASE);
    __atomic_store_n(&a32[2], __atomic_load_n(&a32[2], __ATOMIC_SEQ_CST) + i, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __sync_synchronize();
  }
  expect("sync-builtins", 0xc8f3daa898789917, h);

  uint64_t cells = FNV_INIT;
  for (int i = 0; i < 4; i++) {
    cells = fnv_mix(cells, a8[i]);
    cells = fnv_mix(cells, a16[i]);
    cells = fnv_mix(cells, a32[i]);
    cells = fnv_mix(cells, a64[i]);
  }
  expect("final-cells", 0xc40244207f4062fd, cells);
  expect("a64[1]", 0x40fff9e3c70e182, a64[1]);
  expect("a8[0]", 0x89, a8[0]);
  return finish(11);
}
