#include "orchestrator/api/quantity.h"

#include <gtest/gtest.h>

namespace orch::api {
namespace {

Quantity Q(std::string_view text) {
  absl::StatusOr<Quantity> parsed = Quantity::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.value_or(Quantity());
}

TEST(QuantityTest, ParsesDecimalSuffixesExactly) {
  EXPECT_EQ(Q("100m").MilliValue(), 100);
  EXPECT_EQ(Q("0.5").MilliValue(), 500);
  EXPECT_EQ(Q("1").MilliValue(), 1000);
  EXPECT_EQ(Q("1k").Value(), 1000);
  EXPECT_EQ(Q("1G").Value(), 1'000'000'000);
  EXPECT_EQ(Q("2T").Value(), 2'000'000'000'000);
  EXPECT_EQ(Q("1E").Value(), 1'000'000'000'000'000'000);
  EXPECT_EQ(Q("250u").MilliValue(), 1);  // 0.25m rounds up
  EXPECT_EQ(Q("1n").MilliValue(), 1);
  EXPECT_EQ(Q("1500n").MilliValue(), 1);
  EXPECT_EQ(Q("+3").Value(), 3);
  EXPECT_EQ(Q("-3").Value(), -3);
  EXPECT_EQ(Q(".5").MilliValue(), 500);
  EXPECT_EQ(Q("5.").Value(), 5);
}

TEST(QuantityTest, ParsesBinarySuffixes) {
  EXPECT_EQ(Q("128Mi").Value(), 128 * 1024 * 1024);
  EXPECT_EQ(Q("1Ki").Value(), 1024);
  EXPECT_EQ(Q("1.5Gi").Value(), 1536LL * 1024 * 1024);
  EXPECT_EQ(Q("1Ei").Value(), 1LL << 60);
}

TEST(QuantityTest, ParsesExponents) {
  EXPECT_EQ(Q("1e3").Value(), 1000);
  EXPECT_EQ(Q("1E3").Value(), 1000);
  EXPECT_EQ(Q("12e-3").MilliValue(), 12);
  EXPECT_EQ(Q("1e3").format(), Quantity::Format::kDecimalExponent);
}

TEST(QuantityTest, ComparesAcrossFormats) {
  EXPECT_EQ(Q("1"), Q("1000m"));
  EXPECT_EQ(Q("1k"), Q("1e3"));
  EXPECT_LT(Q("1G"), Q("1Gi"));
  EXPECT_GT(Q("1Mi"), Q("1M"));
  EXPECT_LT(Q("999m"), Q("1"));
  EXPECT_EQ(Q("0.1") + Q("0.2"), Q("300m"));  // exact: no float drift
  EXPECT_EQ(Q("2") - Q("500m"), Q("1.5"));
  EXPECT_TRUE(Q("0").IsZero());
  EXPECT_TRUE((Q("1") - Q("2")).IsNegative());
}

TEST(QuantityTest, RejectsBadText) {
  for (std::string_view bad : {"", "m", "1.2.3", "abc", "1 m", "1mm", "1Zi", "--1", "1e", "0x10"}) {
    absl::StatusOr<Quantity> parsed = Quantity::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
  EXPECT_EQ(Quantity::Parse("1Zi").status().message(),
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  EXPECT_EQ(Quantity::Parse("1mm").status().message(), "unable to parse quantity's suffix");
  EXPECT_FALSE(Quantity::Parse("1e100").ok());
}

TEST(QuantityTest, FromJsonAcceptsStringsAndNumbers) {
  EXPECT_EQ(Quantity::FromJson(Json("250m"))->MilliValue(), 250);
  EXPECT_EQ(Quantity::FromJson(Json(2))->Value(), 2);
  EXPECT_EQ(Quantity::FromJson(Json(0.5))->MilliValue(), 500);
  EXPECT_FALSE(Quantity::FromJson(Json::object()).ok());
}

TEST(QuantityTest, CanonicalText) {
  EXPECT_EQ(Q("1000m").ToString(), "1");
  EXPECT_EQ(Q("1500m").ToString(), "1500m");
  EXPECT_EQ(Q("0.5").ToString(), "500m");
  EXPECT_EQ(Q("2000").ToString(), "2k");
  EXPECT_EQ(Q("1024Mi").ToString(), "1Gi");
  EXPECT_EQ(Q("1536Mi").ToString(), "1536Mi");
  EXPECT_EQ(Q("0.5Ki").ToString(), "512");
  EXPECT_EQ(Q("1e3").ToString(), "1e3");
  EXPECT_EQ(Q("0").ToString(), "0");
  EXPECT_EQ(Q("-100m").ToString(), "-100m");
  EXPECT_EQ(Quantity::FromMilli(2500).ToString(), "2500m");
}

}  // namespace
}  // namespace orch::api
