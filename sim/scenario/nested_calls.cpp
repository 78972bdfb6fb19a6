// Nested calls form a graph over (implementation, method): each must resolve,
// the graph must be acyclic (a method body is straight-line generated code with
// no recursion bound), and one top-level call must stay small enough to simulate.
// A call reaches the callee object's method in every implementation the object
// may have during the run (its own and those events swap it to): one edge each.
#include <algorithm>

#include <fmt/format.h>

#include "scenario/os_sections.h"

namespace quiesce::scenario {

void check_nested_calls(const std::vector<CallPlace>& calls, const Catalog& catalog,
                        const std::unordered_map<std::string, std::vector<size_t>>& swapped_to) {
  const auto& impls = catalog.implementations();
  // One node per method of every implementation.
  std::vector<size_t> base;
  std::vector<std::string> names;
  for (const auto& impl : impls) {
    base.push_back(names.size());
    for (const auto& m : impl.methods) names.push_back(fmt::format("{}.{}", impl.name, m.name));
  }
  struct Edge {
    size_t to;
    uint64_t count;
    const CallPlace* place;
  };
  std::vector<std::vector<Edge>> edges(names.size());
  for (const CallPlace& p : calls) {  // in file order, so the first bad reference is reported
    const os::CallSite& site = impls[p.implementation].methods[p.method].calls[p.call];
    const size_t method = catalog.check_target(p.at, site.object, site.method);
    if (catalog.has_lifetimes(site.object))
      p.at.fail("object", fmt::format("objects.{} has a capacity (its instances come and go): a nested call cannot "
                                      "name one",
                                      site.object));
    std::vector<size_t> callees{catalog.implementation_of(site.object)};  // swaps keep the method's vtable slot
    if (const auto it = swapped_to.find(site.object); it != swapped_to.end())
      for (const size_t impl : it->second)
        if (std::find(callees.begin(), callees.end(), impl) == callees.end()) callees.push_back(impl);
    for (const size_t impl : callees)
      edges[base[p.implementation] + p.method].push_back({base[impl] + method, site.count, &p});
  }

  // Depth-first from each method in file order, without recursion (chains may be long);
  // a method's call-tree size is known once its callees are done.
  enum : uint8_t { kNew, kOnStack, kDone };
  std::vector<uint8_t> state(names.size(), kNew);
  std::vector<uint64_t> tree(names.size(), 0);
  struct Frame {
    size_t node, next;
  };
  std::vector<Frame> stack;
  for (size_t root = 0; root < names.size(); ++root) {
    if (state[root] != kNew) continue;
    state[root] = kOnStack;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < edges[f.node].size()) {
        const Edge& e = edges[f.node][f.next++];
        if (state[e.to] == kOnStack) {  // report at the call that leaves the cycle's first method
          size_t k = stack.size() - 1;
          while (stack[k].node != e.to) --k;
          std::string cycle;
          for (size_t i = k; i < stack.size(); ++i) cycle += names[stack[i].node] + " -> ";
          edges[e.to][stack[k].next - 1].place->at.fail("cyclic nested calls: " + cycle + names[e.to]);
        }
        if (state[e.to] == kNew) {
          state[e.to] = kOnStack;
          stack.push_back({e.to, 0});
        }
        continue;
      }
      uint64_t total = 1;
      const std::vector<Edge>& out = edges[f.node];
      for (size_t k = 0; k < out.size();) {
        // One call site's edges are adjacent; the largest of its callees' trees counts.
        const Edge* worst = &out[k];
        for (; k < out.size() && out[k].place == worst->place; ++k)
          if (tree[out[k].to] > tree[worst->to]) worst = &out[k];
        total += worst->count * tree[worst->to];  // each term <= 1000 x (kMaxCallTree + 1): no overflow
        if (total > kMaxCallTree)
          worst->place->at.fail(fmt::format("one call of {} executes more than {} method bodies through nested calls "
                                            "({} x {}, which executes {})",
                                            names[f.node], kMaxCallTree, worst->count, names[worst->to],
                                            tree[worst->to]));
      }
      tree[f.node] = total;
      state[f.node] = kDone;
      stack.pop_back();
    }
  }
}

}  // namespace quiesce::scenario
