#include "os_model/thread_life.h"

#include "cpu_ppc64/assembler.h"
#include "os_model/thread_descriptor.h"

namespace quiesce::os {

namespace enc = ppc::enc;

std::vector<uint32_t> thread_start_code() {
  enc::Assembler a;
  a.put(enc::li(0, 0));
  a.put(enc::std_(0, 0, 1));  // the back chain ends here
  a.put(enc::std_(5, kDescKind, 3));
  a.put(enc::std_(0, kDescInterrupted, 3));
  a.put(enc::ld(8, 0, 4));  // the list's first thread
  a.put(enc::std_(8, kDescNext, 3));
  a.put(enc::std_(0, kDescPrev, 3));
  const enc::Label empty = a.label("empty");
  a.put(enc::cmpdi(0, 8, 0));
  a.beq(0, empty);
  a.put(enc::std_(3, kDescPrev, 8));  // first->prev = this
  a.bind(empty);
  a.put(enc::std_(3, 0, 4));  // the head = this
  a.put(enc::mtmsrd(7, 1));   // the thread's own EE (entered with interrupts off)
  a.put(enc::mtctr(6));
  for (unsigned r = 3; r <= 8; ++r) a.put(enc::li(r, 0));
  a.put(enc::bctr());
  return a.take();
}

std::vector<uint32_t> thread_exit_code(uint64_t exited) {
  enc::Assembler a;
  a.put(enc::li(0, static_cast<int64_t>(kDescFree)));
  a.put(enc::std_(0, kDescKind, 3));
  a.put(enc::ld(5, kDescNext, 3));  // after
  a.put(enc::ld(6, kDescPrev, 3));  // before
  const enc::Label head = a.label("head"), linked = a.label("linked"), last = a.label("last");
  a.put(enc::cmpdi(0, 6, 0));
  a.beq(0, head);
  a.put(enc::std_(5, kDescNext, 6));  // before->next = after
  a.b(linked);
  a.bind(head);
  a.put(enc::std_(5, 0, 4));  // the list's head = after
  a.bind(linked);
  a.put(enc::cmpdi(0, 5, 0));
  a.beq(0, last);
  a.put(enc::std_(6, kDescPrev, 5));  // after->prev = before
  a.bind(last);
  a.put(enc::ba(exited));
  return a.take();
}

}  // namespace quiesce::os
