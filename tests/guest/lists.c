/* Singly and doubly linked lists over a static node pool: push, reverse,
 * merge of sorted lists, removal, and a doubly linked LRU. */
#include <quiesce/guest.h>
struct node { int v; struct node *next; };
static struct node pool[4000];
static int used;
static struct node *mk(int v, struct node *n) { struct node *p = &pool[used++]; p->v = v; p->next = n; return p; }
static struct node *rev(struct node *l) { struct node *r = 0; while (l) { struct node *n = l->next; l->next = r; r = l; l = n; } return r; }
static struct node *merge(struct node *a, struct node *b) {
  struct node head, *t = &head;
  while (a && b) { if (a->v <= b->v) { t->next = a; a = a->next; } else { t->next = b; b = b->next; } t = t->next; }
  t->next = a ? a : b; return head.next;
}
static struct node *msort(struct node *l) {
  if (!l || !l->next) return l;
  struct node *slow = l, *fast = l->next;
  while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
  struct node *r = slow->next; slow->next = 0;
  return merge(msort(l), msort(r));
}
struct dn { int key; struct dn *prev, *next; };
static struct dn dpool[64], dhead = {-1, &dhead, &dhead};
static void unlink_(struct dn *n) { n->prev->next = n->next; n->next->prev = n->prev; }
static void push_front(struct dn *n) { n->next = dhead.next; n->prev = &dhead; dhead.next->prev = n; dhead.next = n; }
int main(void) {
  struct node *l = 0;
  unsigned s = 7;
  for (int i = 0; i < 2000; i++) { s = s * 1103515245u + 12345u; l = mk((int)(s >> 16) % 10000 - 5000, l); }
  l = rev(l);
  l = msort(l);
  int prev = -100000, ok = 1, n = 0; long long sum = 0;
  for (struct node *p = l; p; p = p->next) { if (p->v < prev) ok = 0; prev = p->v; n++; sum += p->v * (long long)n; }
  qg_puts(ok ? "sorted\n" : "UNSORTED\n"); qg_puthex((uint64_t)n); qg_puthex((uint64_t)sum);
  for (int i = 0; i < 64; i++) { dpool[i].key = i; push_front(&dpool[i]); }
  unsigned hits = 0;
  for (int i = 0; i < 5000; i++) { s = s * 1103515245u + 12345u; struct dn *d = &dpool[(s >> 16) % 64]; if (dhead.next == d) hits++; unlink_(d); push_front(d); }
  uint64_t h = 0;
  for (struct dn *d = dhead.next; d != &dhead; d = d->next) h = h * 131 + (uint64_t)d->key;
  qg_puthex(hits); qg_puthex(h);
  return ok ? 3 : 1;
}
