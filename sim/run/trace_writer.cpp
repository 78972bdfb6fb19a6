// Recording the timeline as the run goes (the JSON is written by trace_json.cpp).
#include "run/trace_writer.h"

#include <algorithm>

namespace quiesce::run {

namespace {
constexpr uint32_t kBlr = 0x4e800020;

// v[i], the vector grown with `fill` to hold it.
template <typename V> typename V::value_type& slot(V& v, unsigned i, const typename V::value_type& fill = {}) {
  if (v.size() <= i) v.resize(i + 1, fill);
  return v[i];
}
}  // namespace

// Every method body's entry and every blr in it: entries push a frame on the thread, returns pop it.
// Watching costs no simulated time (swap_interface.h), so the run is the same with or without a trace.
void TraceWriter::watch_methods(os::SwapInterface k) {
  auto& mem = k.facts.memory();
  for (unsigned impl = 0; impl < k_.implementations().size(); ++impl) {
    const auto& ranges = k.facts.code_ranges(impl);
    for (unsigned m = 0; m < ranges.size(); ++m) {
      sites_.emplace(ranges[m].start, Site{impl, m, true});
      for (uint64_t pc = ranges[m].start; pc + 4 <= ranges[m].end; pc += 4)
        if (mem.load<uint32_t>(pc) == kBlr) sites_.emplace(pc, Site{impl, m, false});
    }
  }
  for (const auto& [pc, site] : sites_)
    k.hooks.watch_code(pc, pc + 4, [this](ppc::Hart& h, const os::Thread* t, uint64_t at) {
      watched(h.id(), t, at, h.cycle());
    });
}

void TraceWriter::watched(unsigned cpu, const os::Thread* t, uint64_t pc, uint64_t cycle) {
  if (!t || t->system) return;
  const Site& s = sites_.at(pc);
  auto& stack = slot(frames_, t->id);
  if (s.entry) {
    stack.push_back({s.impl, s.method, cycle});
    return;
  }
  // A return of the method on top (a blr elsewhere, or a frame already dropped, is not one).
  if (stack.empty() || stack.back().impl != s.impl || stack.back().method != s.method) return;
  if (stack.size() > 1) {  // nested: the top-level execution is the call's own slice
    nested_.push_back({cpu, identity(*t, cycle), stack.back().begin, cycle, s.impl, s.method});
    nested_depth_.push_back(static_cast<unsigned>(stack.size() - 1));
  }
  stack.pop_back();
}

unsigned TraceWriter::identity(const os::Thread& t, uint64_t cycle) {
  int& now = slot(live_, t.id, -1);
  if (now >= 0) return static_cast<unsigned>(now);
  std::string label = k_.thread_label(t);
  auto it = std::find(labels_.begin(), labels_.end(), label);
  if (it == labels_.end()) it = labels_.insert(labels_.end(), std::move(label));
  now = static_cast<int>(who_.size());
  who_.push_back({t.id, static_cast<unsigned>(it - labels_.begin()), cycle});
  slot(by_slot_, t.id).push_back(static_cast<unsigned>(now));
  return static_cast<unsigned>(now);
}

unsigned TraceWriter::identity_at(unsigned s, uint64_t cycle) const {
  const auto& ids = by_slot_.at(s);
  auto it = std::upper_bound(ids.begin(), ids.end(), cycle, [&](uint64_t c, unsigned i) { return c < who_[i].first; });
  return it == ids.begin() ? ids.front() : *(it - 1);
}

const TraceWriter::Span TraceWriter::kClosed{0, 0, kNone, 0, 0, 0};

void TraceWriter::thread_on(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  const unsigned id = identity(t, cycle);
  slot(open_run_, t.id, kClosed) = Span{cpu, id, cycle, 0, who_[id].label};
}

void TraceWriter::thread_off(unsigned, const os::Thread& t, uint64_t cycle) {
  if (Span& s = slot(open_run_, t.id, kClosed); s.begin != kNone) {
    s.end = cycle;
    running_.push_back(s);
    s.begin = kNone;
  }
  if (t.state == os::ThreadState::Free) {  // it ended: the slot's next thread is another identity
    slot(live_, t.id, -1) = -1;
    slot(frames_, t.id).clear();
  }
}

void TraceWriter::call_begin(unsigned cpu, const os::Thread& t, uint64_t cycle) {
  slot(open_call_, t.id, kClosed) = Span{cpu, identity(t, cycle), cycle, 0, t.call_coid, t.call_method};
  slot(frames_, t.id).clear();
}

void TraceWriter::call_end(unsigned, const os::Thread& t, uint64_t cycle) {
  if (Span& s = slot(open_call_, t.id, kClosed); s.begin != kNone) {
    s.end = cycle;
    calls_.push_back(s);
    s.begin = kNone;
  }
}

void TraceWriter::generation_swap(unsigned cpu, uint64_t cycle) { gen_swaps_.emplace_back(cpu, cycle); }

void TraceWriter::run_queue(unsigned cpu, unsigned, size_t length, uint64_t cycle) {
  runq_.push_back({cpu, cycle, static_cast<unsigned>(length)});
}

}  // namespace quiesce::run
