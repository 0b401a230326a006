// Resource quantities ("100m", "0.5", "128Mi", "1G", "1e3") as Kubernetes parses them, held
// exactly in nano-units so sums and comparisons never round (the scheduler adds requests).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "orchestrator/api/json.h"

namespace orch::api {

class Quantity {
 public:
  // How the quantity is written back: the suffix family of the text it was parsed from.
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  Quantity() = default;
  // Parses the Kubernetes quantity grammar: <signedNumber><suffix>, suffix one of
  // n u m "" k M G T P E | Ki Mi Gi Ti Pi Ei | e<int> E<int>. Precision below 1n rounds up,
  // as Kubernetes does. InvalidArgument with Kubernetes' messages on bad text.
  static absl::StatusOr<Quantity> Parse(std::string_view text);
  // A quantity from JSON: a string in the grammar above, or a number (as Go's decoder allows).
  static absl::StatusOr<Quantity> FromJson(const Json& value);
  static Quantity FromMilli(int64_t milli, Format format = Format::kDecimalSI);
  static Quantity FromUnits(int64_t units, Format format = Format::kDecimalSI);

  // Rounded up to the next integer, as Kubernetes' MilliValue()/Value(); saturate at int64 limits.
  int64_t MilliValue() const;
  int64_t Value() const;
  bool IsZero() const { return nanos_ == 0; }
  bool IsNegative() const { return nanos_ < 0; }
  Format format() const { return format_; }

  // The canonical text Kubernetes would print: "1500m", "2k", "512Mi", "1e3", "0".
  std::string ToString() const;

  Quantity& operator+=(const Quantity& other);
  Quantity& operator-=(const Quantity& other);
  friend Quantity operator+(Quantity a, const Quantity& b) { return a += b; }
  friend Quantity operator-(Quantity a, const Quantity& b) { return a -= b; }
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.nanos_ == b.nanos_; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.nanos_ <=> b.nanos_;
  }

 private:
  Quantity(__int128 nanos, Format format) : nanos_(nanos), format_(format) {}

  __int128 nanos_ = 0;
  Format format_ = Format::kDecimalSI;
};

}  // namespace orch::api
