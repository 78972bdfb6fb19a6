/* Dense switch statements (jump tables in .text) driving a bytecode
 * interpreter for a small stack machine, plus a character classifier. */
#include <quiesce/guest.h>
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, POP, XOR, SHL, SHR, AND, OR, NOP, HALT };
static int64_t run(const uint8_t *code) {
  int64_t st[64]; int sp = 0; int pc = 0; long steps = 0;
  for (;;) {
    steps++;
    switch (code[pc++]) {
      case PUSH: st[sp++] = (int8_t)code[pc++]; break;
      case ADD: sp--; st[sp - 1] += st[sp]; break;
      case SUB: sp--; st[sp - 1] -= st[sp]; break;
      case MUL: sp--; st[sp - 1] *= st[sp]; break;
      case DUP: st[sp] = st[sp - 1]; sp++; break;
      case SWAP: { int64_t t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; } break;
      case JNZ: { int8_t off = (int8_t)code[pc++]; if (st[--sp]) pc += off; } break;
      case DEC: st[sp - 1]--; break;
      case POP: sp--; break;
      case XOR: sp--; st[sp - 1] ^= st[sp]; break;
      case SHL: sp--; st[sp - 1] <<= (st[sp] & 63); break;
      case SHR: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] >> (st[sp] & 63)); break;
      case AND: sp--; st[sp - 1] &= st[sp]; break;
      case OR: sp--; st[sp - 1] |= st[sp]; break;
      case NOP: break;
      case HALT: return st[sp - 1] ^ steps;
    }
  }
}
static int classify(char c) {
  switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return 1;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': return 2;
    case ' ': case '\t': case '\n': return 3;
    case '.': case ',': case ';': case ':': case '!': case '?': return 4;
    case 'x': case 'y': case 'z': return 5;
    default: return 0;
  }
}
int main(void) {
  /* acc = 1; n = 200; loop: acc = acc*3 ^ n; n--; while n */
  static const uint8_t prog[] = {PUSH, 1, PUSH, 100, PUSH, 100, ADD,
                                 /* loop @7: stack acc n */ SWAP, PUSH, 3, MUL, SWAP, DUP, PUSH, 0, OR, SWAP, POP,
                                 SWAP, PUSH, 5, XOR, SWAP, DEC, DUP, JNZ, (uint8_t)-20, POP, NOP, HALT};
  int64_t r = run(prog);
  qg_puthex((uint64_t)r);
  const char *s = "the quick brown fox, 12 lazy dogs; 3 xyz! done?\n";
  uint64_t h = 0; int counts[6] = {0};
  for (int rep = 0; rep < 200; rep++) for (const char *p = s; *p; p++) { int k = classify(*p); counts[k]++; h = h * 7 + (uint64_t)k; }
  for (int k = 0; k < 6; k++) qg_puthex((uint64_t)counts[k]);
  qg_puthex(h);
  return (int)(r & 63);
}
