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

/* The same, keeping the exactly-once audit's convention (a method declared
 * `counts_calls: true`): one atomic add to the rep's first state word per call.
 * The table's slots start at state[1]. */
static long *counted(struct rep *this) {
  __atomic_fetch_add(&this->state[0], 1, __ATOMIC_RELAXED);
  return this->state + 1;
}

long counted_lookup(struct rep *this, long key) {
  long *slots = counted(this);
  unsigned long b = mix(key);
  long sum = 0;
  for (int i = 0; i < 4; i++) sum += slots[(b + 16 * i) % (SLOTS - 1)];
  return sum;
}

long counted_insert(struct rep *this, long key) {
  counted(this)[mix(key) % (SLOTS - 1)] += 1;
  return ++this->shared[0];
}

/* Version 2 of the counted table, its own code (a hot-swap's new implementation):
 * the same layout, a lookup that probes two slots instead of four. */
long counted_lookup_v2(struct rep *this, long key) {
  long *slots = counted(this);
  unsigned long b = mix(key);
  return slots[b % (SLOTS - 1)] + slots[(b + 32) % (SLOTS - 1)];
}

long counted_insert_v2(struct rep *this, long key) {
  long *slots = counted(this);
  __atomic_fetch_add(&slots[mix(key) % (SLOTS - 1)], 1, __ATOMIC_RELAXED);
  return __atomic_add_fetch(&this->shared[0], 1, __ATOMIC_RELAXED);
}

int main(void) { return 0; }
