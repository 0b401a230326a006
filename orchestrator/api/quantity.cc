#include "orchestrator/api/quantity.h"

#include <algorithm>
#include <array>
#include <limits>

#include "absl/strings/ascii.h"
#include "orchestrator/api/text.h"

namespace orch::api {
namespace {

// Kubernetes' own messages (apimachinery resource.ErrFormatWrong / ErrSuffix).
constexpr std::string_view kFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kBadSuffix = "unable to parse quantity's suffix";

// Beyond this the quantity is refused rather than silently wrapped (1e29 units).
constexpr __int128 kMaxNanos = static_cast<__int128>(1'000'000'000'000'000'000) * 100'000'000'000;

__int128 Pow(__int128 base, int exponent) {
  __int128 result = 1;
  for (int i = 0; i < exponent; ++i)
    result *= base;
  return result;
}

struct Suffix {
  int base;      // 10 or 2
  int exponent;  // power of `base`
  Quantity::Format format;
};

// Interprets the suffix text; false when it is not one Kubernetes knows.
bool ParseSuffix(std::string_view text, Suffix& out) {
  struct Known {
    std::string_view text;
    Suffix suffix;
  };
  static constexpr std::array<Known, 16> kKnown = {{
      {"", {10, 0, Quantity::Format::kDecimalSI}},
      {"n", {10, -9, Quantity::Format::kDecimalSI}},
      {"u", {10, -6, Quantity::Format::kDecimalSI}},
      {"m", {10, -3, Quantity::Format::kDecimalSI}},
      {"k", {10, 3, Quantity::Format::kDecimalSI}},
      {"M", {10, 6, Quantity::Format::kDecimalSI}},
      {"G", {10, 9, Quantity::Format::kDecimalSI}},
      {"T", {10, 12, Quantity::Format::kDecimalSI}},
      {"P", {10, 15, Quantity::Format::kDecimalSI}},
      {"E", {10, 18, Quantity::Format::kDecimalSI}},
      {"Ki", {2, 10, Quantity::Format::kBinarySI}},
      {"Mi", {2, 20, Quantity::Format::kBinarySI}},
      {"Gi", {2, 30, Quantity::Format::kBinarySI}},
      {"Ti", {2, 40, Quantity::Format::kBinarySI}},
      {"Pi", {2, 50, Quantity::Format::kBinarySI}},
      {"Ei", {2, 60, Quantity::Format::kBinarySI}},
  }};
  for (const Known& known : kKnown) {
    if (known.text == text) {
      out = known.suffix;
      return true;
    }
  }
  if (text.size() > 1 && (text[0] == 'e' || text[0] == 'E')) {
    int64_t exponent = 0;
    if (!ParseInt(text.substr(1), exponent) || exponent > 40 || exponent < -40) {
      return false;
    }
    out = {10, static_cast<int>(exponent), Quantity::Format::kDecimalExponent};
    return true;
  }
  return false;
}

// Divides rounding toward positive infinity, as Kubernetes rounds lost precision up.
__int128 DivideRoundingUp(__int128 value, __int128 divisor) {
  __int128 quotient = value / divisor;
  if (value % divisor != 0 && value > 0) ++quotient;
  return quotient;
}

int64_t Saturate(__int128 value) {
  if (value > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (value < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

std::string Int128ToString(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    int digit = static_cast<int>(value % 10);
    digits.push_back(static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  size_t number_end = 0;
  while (number_end < rest.size() &&
         (absl::ascii_isdigit(rest[number_end]) || rest[number_end] == '.')) {
    ++number_end;
  }
  std::string_view number = rest.substr(0, number_end);
  std::string_view suffix_text = rest.substr(number_end);
  size_t dot = number.find('.');
  if (number.empty() || number == "." ||
      (dot != std::string_view::npos && number.find('.', dot + 1) != std::string_view::npos)) {
    return absl::InvalidArgumentError(std::string(kFormatWrong));
  }
  Suffix suffix;
  if (!ParseSuffix(suffix_text, suffix)) {
    // Kubernetes reports text the grammar rejects as a format error, other suffixes as unknown.
    bool grammar_ok = std::all_of(suffix_text.begin(), suffix_text.end(), [](char c) {
      return std::string_view("eEinumkKMGTP+-").find(c) != std::string_view::npos ||
             absl::ascii_isdigit(c);
    });
    return absl::InvalidArgumentError(std::string(grammar_ok ? kBadSuffix : kFormatWrong));
  }
  std::string_view whole = number.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  // Trailing zeros of the fraction carry no value; dropping them keeps the mantissa small.
  while (!fraction.empty() && fraction.back() == '0')
    fraction.remove_suffix(1);
  __int128 mantissa = 0;
  for (char c : Cat(whole, fraction)) {
    mantissa = mantissa * 10 + (c - '0');
    if (mantissa > kMaxNanos) return absl::InvalidArgumentError("quantity is too large");
  }
  int decimal_exponent = 9 - static_cast<int>(fraction.size());
  int binary_exponent = 0;
  if (suffix.base == 10) {
    decimal_exponent += suffix.exponent;
  } else {
    binary_exponent = suffix.exponent;
  }
  __int128 nanos = mantissa;
  if (mantissa != 0) {
    for (int i = 0; i < binary_exponent; ++i) {
      nanos *= 2;
      if (nanos > kMaxNanos) return absl::InvalidArgumentError("quantity is too large");
    }
    if (decimal_exponent >= 0) {
      for (int i = 0; i < decimal_exponent; ++i) {
        nanos *= 10;
        if (nanos > kMaxNanos) return absl::InvalidArgumentError("quantity is too large");
      }
    } else if (-decimal_exponent > 38) {
      nanos = 1;  // Far below 1n: rounds up to the smallest unit.
    } else {
      nanos = DivideRoundingUp(nanos, Pow(10, -decimal_exponent));
    }
  }
  return Quantity(negative ? -nanos : nanos, suffix.format);
}

absl::StatusOr<Quantity> Quantity::FromJson(const Json& value) {
  if (value.is_string()) return Parse(value.get_ref<const std::string&>());
  if (value.is_number_integer()) return FromUnits(value.get<int64_t>());
  if (value.is_number_float()) return Parse(value.dump());
  return absl::InvalidArgumentError("quantities must be a string or a number");
}

Quantity Quantity::FromMilli(int64_t milli, Format format) {
  return Quantity(static_cast<__int128>(milli) * 1'000'000, format);
}

Quantity Quantity::FromUnits(int64_t units, Format format) {
  return Quantity(static_cast<__int128>(units) * 1'000'000'000, format);
}

int64_t Quantity::MilliValue() const {
  return Saturate(DivideRoundingUp(nanos_, 1'000'000));
}

int64_t Quantity::Value() const {
  return Saturate(DivideRoundingUp(nanos_, 1'000'000'000));
}

Quantity& Quantity::operator+=(const Quantity& other) {
  nanos_ += other.nanos_;
  return *this;
}

Quantity& Quantity::operator-=(const Quantity& other) {
  nanos_ -= other.nanos_;
  return *this;
}

std::string Quantity::ToString() const {
  if (nanos_ == 0) return "0";
  constexpr __int128 kNanosPerUnit = 1'000'000'000;
  if (format_ == Format::kBinarySI && nanos_ % kNanosPerUnit == 0) {
    static constexpr std::array<std::string_view, 7> kBinarySuffixes = {"",   "Ki", "Mi", "Gi",
                                                                        "Ti", "Pi", "Ei"};
    __int128 units = nanos_ / kNanosPerUnit;
    // Kubernetes writes small binary amounts (< 1Ki) as plain decimal numbers.
    if (units >= 1024 || units <= -1024) {
      size_t power = 0;
      while (power + 1 < kBinarySuffixes.size() && units % 1024 == 0) {
        units /= 1024;
        ++power;
      }
      return Cat(Int128ToString(units), kBinarySuffixes[power]);
    }
  }
  // Decimal: the largest power of 1000 that leaves an integer mantissa.
  static constexpr std::array<std::string_view, 10> kDecimalSuffixes = {"n", "u", "m", "",  "k",
                                                                        "M", "G", "T", "P", "E"};
  __int128 mantissa = nanos_;
  int power = 0;  // index into kDecimalSuffixes; each step is 10^3
  while (power + 1 < static_cast<int>(kDecimalSuffixes.size()) && mantissa % 1000 == 0) {
    mantissa /= 1000;
    ++power;
  }
  if (format_ == Format::kDecimalExponent) {
    int exponent = (power - 3) * 3;
    return exponent == 0 ? Int128ToString(mantissa) : Cat(Int128ToString(mantissa), "e", exponent);
  }
  return Cat(Int128ToString(mantissa), kDecimalSuffixes[power]);
}

}  // namespace orch::api
