/* Clustered-object methods written in C, for scenarios whose implementations
 * name a `symbol` instead of a cost description (see scenarios/elf_methods.yaml).
 *
 * A method is `long f(struct rep *this, long arg)`: the kernel's request loop
 * calls it through the translation tables with the rep in r3 and a per-call
 * argument in r4. A rep is laid out as [vtable][pointer to the object's
 * shared state][state...]; the state is `state_bytes` long. */
struct rep {
  void *vtable;
  long *shared;
  long state[];
};

#define SLOTS 64 /* state_bytes 512: 64 longs */

static unsigned long mix(long key) { return (unsigned long)key * 0x9E3779B97F4A7C15ul >> 58; }

/* Sums four consecutive slots after the key's bucket. */
long table_lookup(struct rep *this, long key) {
  unsigned long b = mix(key);
  long sum = 0;
  for (int i = 0; i < 4; i++) sum += this->state[(b + 16 * i) % SLOTS];
  return sum;
}

/* Counts the key in its bucket and the object's shared total. */
long table_insert(struct rep *this, long key) {
  this->state[mix(key) % SLOTS] += 1;
  return ++this->shared[0];
}

int main(void) { return 0; }
