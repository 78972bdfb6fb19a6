/* Exercises: pointer-chasing over linked lists in a static node pool —
 * singly linked push, in-place reversal, merge sort by splitting with slow/
 * fast pointers and merging, removal of every node matching a predicate
 * through a pointer-to-pointer, and a doubly linked circular list used as an
 * LRU (unlink/push-front on every access). Loads with displacement, stores
 * through pointers, null tests. Model: reference.py lists. */
#include "check.h"

struct node {
  int v;
  struct node *next;
};
static struct node pool[3000];
static int used;
static struct node *mk(int v, struct node *n) {
  struct node *p = &pool[used++];
  p->v = v;
  p->next = n;
  return p;
}
static struct node *rev(struct node *l) {
  struct node *r = 0;
  while (l) {
    struct node *n = l->next;
    l->next = r;
    r = l;
    l = n;
  }
  return r;
}
static struct node *merge(struct node *a, struct node *b) {
  struct node head, *t = &head;
  while (a && b) {
    if (a->v <= b->v) t->next = a, a = a->next;
    else t->next = b, b = b->next;
    t = t->next;
  }
  t->next = a ? a : b;
  return head.next;
}
static struct node *msort(struct node *l) {
  if (!l || !l->next) return l;
  struct node *slow = l, *fast = l->next;
  while (fast && fast->next) slow = slow->next, fast = fast->next->next;
  struct node *r = slow->next;
  slow->next = 0;
  return merge(msort(l), msort(r));
}
static int remove_if_multiple(struct node **pp, int m) {
  int removed = 0;
  while (*pp) {
    if ((*pp)->v % m == 0) *pp = (*pp)->next, removed++;
    else pp = &(*pp)->next;
  }
  return removed;
}

struct dn {
  int key;
  struct dn *prev, *next;
};
static struct dn dpool[64], dhead = {-1, &dhead, &dhead};
static void unlink_(struct dn *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
}
static void push_front(struct dn *n) {
  n->next = dhead.next;
  n->prev = &dhead;
  dhead.next->prev = n;
  dhead.next = n;
}

int main(void) {
  struct node *l = 0;
  uint32_t s = 7;
  for (int i = 0; i < 2500; i++) {
    s = s * 1103515245u + 12345u;
    l = mk((int)((s >> 16) % 10000) - 5000, l);
  }
  l = rev(l);
  expect("first-after-reverse", 0xfffffffffffff594, (uint64_t)(int64_t)l->v);
  l = msort(l);
  int prev = -100000, ok = 1, n = 0;
  int64_t sum = 0;
  for (struct node *p = l; p; p = p->next) {
    ok &= p->v >= prev;
    prev = p->v;
    n++;
    sum += (int64_t)p->v * n;
  }
  expect("sorted", 1, (uint64_t)ok);
  expect("length", 2500, (uint64_t)n);
  expect("weighted-sum", 0x11d72e563, (uint64_t)sum);
  int removed = remove_if_multiple(&l, 3);
  n = 0;
  sum = 0;
  for (struct node *p = l; p; p = p->next) sum += (int64_t)p->v * ++n;
  expect("removed", 0x353, (uint64_t)removed);
  expect("after-remove", 0x77ab66b5, (uint64_t)sum);

  for (int i = 0; i < 64; i++) {
    dpool[i].key = i;
    push_front(&dpool[i]);
  }
  unsigned hits = 0;
  for (int i = 0; i < 6000; i++) {
    s = s * 1103515245u + 12345u;
    unsigned k = (s >> 16) % 64;
    if (i & 1) k &= 15; /* a hot subset */
    struct dn *d = &dpool[k];
    if (dhead.next == d) hits++;
    unlink_(d);
    push_front(d);
  }
  uint64_t h = FNV_INIT;
  for (struct dn *d = dhead.next; d != &dhead; d = d->next) h = fnv_mix(h, (uint64_t)d->key);
  uint64_t back = FNV_INIT;
  for (struct dn *d = dhead.prev; d != &dhead; d = d->prev) back = fnv_mix(back, (uint64_t)d->key);
  expect("lru.hits", 0x5e, hits);
  expect("lru.order", 0xeb357fa85324a437, h);
  expect("lru.reverse-order", 0x5b5f3892a030bd57, back);
  return finish(21);
}
