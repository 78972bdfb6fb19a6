/* Exercises: switch statements — a dense 20-case switch driving a bytecode
 * interpreter for a stack machine (gcc emits a jump table: a table of 32-bit
 * offsets inside .text, lwax/add/mtctr/bctr), a character classifier with
 * case ranges, a sparse switch on 64-bit values (compare-and-branch tree),
 * and a small switch with fall-through. The interpreted programs compute
 * Fibonacci numbers and a bit-mixing loop.
 * Model: reference.py switch. */
#include "check.h"

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, POP, XOR, SHL, SHR, AND, OR, NOP, OVER, JMP, LT, ROT, HALT };

static int64_t run(const uint8_t *code, uint64_t *steps_out) {
  int64_t st[64];
  int sp = 0, pc = 0;
  uint64_t steps = 0;
  for (;;) {
    steps++;
    switch (code[pc++]) {
      case PUSH: st[sp++] = (int8_t)code[pc++]; break;
      case ADD: sp--; st[sp - 1] += st[sp]; break;
      case SUB: sp--; st[sp - 1] -= st[sp]; break;
      case MUL: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] * (uint64_t)st[sp]); break;
      case DUP: st[sp] = st[sp - 1]; sp++; break;
      case SWAP: { int64_t t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; } break;
      case JNZ: { int8_t off = (int8_t)code[pc++]; if (st[--sp]) pc += off; } break;
      case DEC: st[sp - 1]--; break;
      case POP: sp--; break;
      case XOR: sp--; st[sp - 1] ^= st[sp]; break;
      case SHL: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] << (st[sp] & 63)); break;
      case SHR: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] >> (st[sp] & 63)); break;
      case AND: sp--; st[sp - 1] &= st[sp]; break;
      case OR: sp--; st[sp - 1] |= st[sp]; break;
      case NOP: break;
      case OVER: st[sp] = st[sp - 2]; sp++; break;
      case JMP: { int8_t off = (int8_t)code[pc++]; pc += off; } break;
      case LT: sp--; st[sp - 1] = st[sp - 1] < st[sp]; break;
      case ROT: { int64_t t = st[sp - 3]; st[sp - 3] = st[sp - 2]; st[sp - 2] = st[sp - 1]; st[sp - 1] = t; } break;
      case HALT: *steps_out = steps; return st[sp - 1];
      default: *steps_out = steps; return -1;
    }
  }
}

static int classify(char c) {
  switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return 1;
    case '0' ... '9': return 2;
    case ' ': case '\t': case '\n': return 3;
    case '.': case ',': case ';': case ':': case '!': case '?': return 4;
    case 'x': case 'y': case 'z': return 5;
    case 'A' ... 'Z': return 6;
    case '(': case ')': case '[': case ']': case '{': case '}': return 7;
    default: return 0;
  }
}

static unsigned sparse(uint64_t v) {
  switch (v) {
    case 0: return 1;
    case 7: return 2;
    case 100: return 3;
    case 0x10000: return 4;
    case 0xdeadbeefull: return 5;
    case 0x8000000000000000ull: return 6;
    case 0xffffffffffffffffull: return 7;
    case 12345678901ull: return 8;
    default: return 0;
  }
}

static unsigned fallthrough(unsigned n) {
  unsigned r = 0;
  switch (n & 7) {
    case 0: r += 1; /* fall through */
    case 1: r += 2; /* fall through */
    case 2: r += 4; break;
    case 3: r += 8; /* fall through */
    case 4: r += 16; break;
    default: r = 99;
  }
  return r;
}

int main(void) {
  /* fib(n) for n = 90: a b n -> loop */
  static const uint8_t fib[] = {PUSH, 0, PUSH, 1, PUSH, 90,
                                /* @6: a b n */ ROT, ROT, DUP, ROT, ADD, ROT, DEC, DUP, JNZ, (uint8_t)-10,
                                POP, POP, HALT};
  /* acc = 1; n = 200; loop: acc = (acc * 3) ^ (acc * 3 >> 5) ^ n */
  static const uint8_t mixer[] = {PUSH, 1, PUSH, 100, PUSH, 100, ADD,
                                  /* @7: acc n */ SWAP, PUSH, 3, MUL, DUP, PUSH, 5, SHR, XOR, OVER, XOR, SWAP,
                                  DEC, DUP, JNZ, (uint8_t)-16, POP, NOP, HALT};
  uint64_t steps, h = FNV_INIT, total_steps = 0;
  for (int rep = 0; rep < 12; rep++) {
    h = fnv_mix(h, (uint64_t)run(fib, &steps));
    total_steps += steps;
    h = fnv_mix(h, (uint64_t)run(mixer, &steps));
    total_steps += steps;
  }
  expect("fib(90)", 2880067194370816120ull, (uint64_t)run(fib, &steps));
  expect("vm.results", 0xf60fc02422259d65, h);
  expect("vm.steps", 0xa074, total_steps);

  const char *s = "The Quick (brown) fox, 12 lazy dogs; 3 xyz! [done]? {ok}\n";
  uint64_t ch = FNV_INIT;
  unsigned counts[8] = {0};
  for (int rep = 0; rep < 100; rep++)
    for (const char *p = s; *p; p++) {
      int k = classify(*p);
      counts[k]++;
      ch = fnv_mix(ch, (uint64_t)k);
    }
  expect("classify", 0xdaf03d3d0aa95421, ch);
  expect("classify.vowels", 0x3e8, counts[1]);
  expect("classify.upper", 0xc8, counts[6]);

  static const uint64_t probes[] = {0, 1, 7, 8, 100, 0x10000, 0xdeadbeefull, 0xdeadbeeeull, 0x8000000000000000ull,
                                    0xffffffffffffffffull, 12345678901ull, 42};
  uint64_t sp = 0;
  for (int rep = 0; rep < 100; rep++)
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) sp = sp * 9 + sparse(probes[i] ^ (uint64_t)(rep & 1));
  expect("sparse", 0xd442c057a28aacc4, sp);
  uint64_t ft = 0;
  for (unsigned n = 0; n < 1000; n++) ft += fallthrough(n);
  expect("fallthrough", 0xacda, ft);
  return finish(29);
}
