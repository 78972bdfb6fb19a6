// Call latencies (cycles) in a log-linear histogram: exact below 2^(kSub+1),
// then 2^kSub buckets per power of two, so a percentile is within 1/2^kSub of
// the true value whatever the range, in bounded memory, deterministically.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace quiesce::os {

template <unsigned kSub = 5>
class LatencyHistogram {
 public:
  void add(uint64_t v) {
    const size_t i = index(v);
    if (i >= buckets_.size()) buckets_.resize(i + 1, 0);
    ++buckets_[i];
    ++count_;
    sum_ += v;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
  }
  void merge(const LatencyHistogram& o) {
    if (o.buckets_.size() > buckets_.size()) buckets_.resize(o.buckets_.size(), 0);
    for (size_t i = 0; i < o.buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
    count_ += o.count_, sum_ += o.sum_;
    max_ = std::max(max_, o.max_), min_ = std::min(min_, o.min_);
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q (0..1): the midpoint of its bucket, within [min, max].
  uint64_t percentile(double q) const {
    if (!count_) return 0;
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) return std::clamp(midpoint(i), min_, max_);
    }
    return max_;
  }

 private:
  static constexpr uint64_t kExact = uint64_t{2} << kSub;  // values below are their own bucket
  static size_t index(uint64_t v) {
    if (v < kExact) return v;
    const unsigned e = 63 - static_cast<unsigned>(std::countl_zero(v));  // >= kSub + 1
    const unsigned shift = e - kSub;
    return kExact + (e - kSub - 1) * (size_t{1} << kSub) + ((v >> shift) - (uint64_t{1} << kSub));
  }
  static uint64_t midpoint(size_t i) {
    if (i < kExact) return i;
    const size_t k = i - kExact;
    const unsigned shift = static_cast<unsigned>(k >> kSub) + 1;
    const uint64_t lo = ((uint64_t{1} << kSub) + (k & ((size_t{1} << kSub) - 1))) << shift;
    return lo + (uint64_t{1} << shift) / 2;
  }

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0, sum_ = 0, max_ = 0, min_ = ~uint64_t{0};
};

}  // namespace quiesce::os
