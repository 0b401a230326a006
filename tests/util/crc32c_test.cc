#include "raftkv/util/crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace raftkv::util {
namespace {

// Test vectors from RFC 3720, appendix B.4, plus the usual check value.
TEST(Crc32cTest, MatchesRfc3720Vectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, ExtendEqualsWholeAtEverySplit) {
  std::string data = "The quick brown fox jumps over the lazy dog, twice over.";
  uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t crc = Crc32cExtend(0, data.data(), split);
    crc = Crc32cExtend(crc, data.data() + split, data.size() - split);
    EXPECT_EQ(crc, whole) << "split at " << split;
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnAnyLengthAndAlignment) {
  std::mt19937_64 rng(42);
  std::string buffer(4096 + 16, '\0');
  for (char& c : buffer)
    c = static_cast<char>(rng());
  for (int round = 0; round < 500; ++round) {
    size_t start = rng() % 16;
    size_t length = rng() % 4096;
    uint32_t seed = static_cast<uint32_t>(rng());
    EXPECT_EQ(Crc32cExtend(seed, buffer.data() + start, length),
              Crc32cExtendPortable(seed, buffer.data() + start, length));
  }
  RecordProperty("hardware_accelerated", Crc32cIsHardwareAccelerated() ? "yes" : "no");
}

}  // namespace
}  // namespace raftkv::util
