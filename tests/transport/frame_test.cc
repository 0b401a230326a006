#include "raftkv/transport/frame.h"

#include <string>

#include "gtest/gtest.h"

namespace raftkv::transport {
namespace {

constexpr size_t kMaxBody = 1024;

raftpb::Message AppendMessage(uint64_t index) {
  raftpb::Message message;
  message.set_type(raftpb::MSG_APP);
  message.set_from(1);
  message.set_to(2);
  message.set_term(3);
  message.set_index(index);
  message.set_cluster_id(0xc1);
  message.add_entries()->set_data("entry-" + std::to_string(index));
  return message;
}

// Decodes every complete frame; fails the test on a decode error.
std::vector<std::pair<FrameKind, std::string>> DrainFrames(FrameDecoder& decoder) {
  std::vector<std::pair<FrameKind, std::string>> frames;
  for (;;) {
    auto frame = decoder.Next();
    EXPECT_TRUE(frame.ok()) << frame.status();
    if (!frame.ok() || !frame->has_value()) return frames;
    frames.emplace_back((*frame)->kind, std::string((*frame)->body));
  }
}

TEST(FrameDecoderTest, RoundTripsManyMessagesInOneBuffer) {
  std::string wire;
  for (uint64_t i = 0; i < 50; ++i)
    AppendMessageFrame(AppendMessage(i), &wire);
  FrameDecoder decoder(kMaxBody);
  decoder.Append(wire);
  const auto frames = DrainFrames(decoder);
  ASSERT_EQ(frames.size(), 50u);
  for (uint64_t i = 0; i < 50; ++i) {
    EXPECT_EQ(frames[i].first, FrameKind::kRaftMessage);
    auto message = DecodeMessage(frames[i].second);
    ASSERT_TRUE(message.ok());
    EXPECT_EQ(message->SerializeAsString(), AppendMessage(i).SerializeAsString());
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoderTest, ReassemblesFramesFedOneByteAtATime) {
  std::string wire;
  AppendFrame(FrameKind::kHandshake, EncodeHandshake({.cluster_id = 7, .sender_id = 1}), &wire);
  for (uint64_t i = 0; i < 5; ++i)
    AppendMessageFrame(AppendMessage(i), &wire);
  FrameDecoder decoder(kMaxBody);
  std::vector<std::pair<FrameKind, std::string>> frames;
  for (const char c : wire) {
    decoder.Append(std::string_view(&c, 1));
    for (auto& frame : DrainFrames(decoder))
      frames.push_back(std::move(frame));
  }
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[0].first, FrameKind::kHandshake);
  auto handshake = DecodeHandshake(frames[0].second);
  ASSERT_TRUE(handshake.ok());
  EXPECT_EQ(handshake->cluster_id, 7u);
  EXPECT_EQ(DecodeMessage(frames[5].second)->index(), 4u);
}

TEST(FrameDecoderTest, TruncatedFrameWaitsForMoreBytes) {
  std::string wire;
  AppendMessageFrame(AppendMessage(1), &wire);
  FrameDecoder decoder(kMaxBody);
  decoder.Append(std::string_view(wire).substr(0, 3));  // inside the header
  auto frame = decoder.Next();
  ASSERT_TRUE(frame.ok());
  EXPECT_FALSE(frame->has_value());
  decoder.Append(std::string_view(wire).substr(3, wire.size() - 4));  // all but the last byte
  frame = decoder.Next();
  ASSERT_TRUE(frame.ok());
  EXPECT_FALSE(frame->has_value());
  EXPECT_EQ(decoder.buffered_bytes(), wire.size() - 1);
  decoder.Append(std::string_view(wire).substr(wire.size() - 1));
  frame = decoder.Next();
  ASSERT_TRUE(frame.ok());
  ASSERT_TRUE(frame->has_value());
  EXPECT_EQ((*frame)->kind, FrameKind::kRaftMessage);
}

TEST(FrameDecoderTest, OversizedLengthIsAnErrorAsSoonAsTheHeaderArrives) {
  std::string wire;
  AppendFrameHeader(FrameKind::kRaftMessage, kMaxBody + 1, &wire);  // no body follows
  FrameDecoder decoder(kMaxBody);
  decoder.Append(wire);
  auto frame = decoder.Next();
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(decoder.buffered_bytes(), kFrameHeaderBytes);  // nothing reserved for the body
  // Sticky: the stream is unusable.
  decoder.Append("more");
  EXPECT_FALSE(decoder.Next().ok());
}

TEST(FrameDecoderTest, MaximalLengthIsAccepted) {
  std::string wire;
  AppendFrame(FrameKind::kSnapshotFileChunk, std::string(kMaxBody, 'x'), &wire);
  FrameDecoder decoder(kMaxBody);
  decoder.Append(wire);
  const auto frames = DrainFrames(decoder);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].second.size(), kMaxBody);
}

TEST(FrameDecoderTest, UnknownKindIsAnError) {
  FrameDecoder decoder(kMaxBody);
  decoder.Append(std::string("\x01\x00\x00\x00\x63x", 6));
  auto frame = decoder.Next();
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), absl::StatusCode::kDataLoss);
}

TEST(FrameDecoderTest, HttpRequestIsRejectedWithoutAllocating) {
  // What a confused client (or a port scanner) sends first: "GET " is a length of ~1.2 GB.
  FrameDecoder decoder(64 << 20);
  decoder.Append("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(decoder.Next().ok());
}

TEST(FrameDecoderTest, GarbageNeverCrashes) {
  // Deterministic pseudo-random garbage in random-sized pieces: every outcome is either a
  // frame, a need for more bytes, or a sticky error.
  uint64_t state = 0x1234567;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 200; ++round) {
    FrameDecoder decoder(256);
    for (int piece = 0; piece < 20; ++piece) {
      std::string bytes(next() % 64, '\0');
      for (char& c : bytes)
        c = static_cast<char>(next());
      decoder.Append(bytes);
      for (;;) {
        auto frame = decoder.Next();
        if (!frame.ok() || !frame->has_value()) break;
        EXPECT_LE((*frame)->body.size(), 256u);
        // Decoders of bodies must not crash on garbage either.
        (void)DecodeHandshake((*frame)->body);
        (void)DecodeMessage((*frame)->body);
        (void)DecodeSnapshotFileBegin((*frame)->body);
        (void)DecodeSnapshotFileEnd((*frame)->body);
        (void)DecodeSnapshotAck((*frame)->body);
      }
    }
  }
}

TEST(HandshakeTest, RoundTrips) {
  const Handshake handshake{.stream = StreamKind::kSnapshot,
                            .cluster_id = 0xdeadbeefcafe,
                            .sender_id = 0x1111,
                            .receiver_id = 0x2222};
  auto decoded = DecodeHandshake(EncodeHandshake(handshake));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, handshake);
}

TEST(HandshakeTest, RejectsWrongMagicVersionKindAndSize) {
  const std::string good = EncodeHandshake({.cluster_id = 1, .sender_id = 2, .receiver_id = 3});
  std::string bad_magic = good;
  bad_magic[0] ^= 1;
  EXPECT_FALSE(DecodeHandshake(bad_magic).ok());
  std::string bad_version = good;
  bad_version[4] = 9;
  EXPECT_FALSE(DecodeHandshake(bad_version).ok());
  std::string bad_stream = good;
  bad_stream[6] = 3;
  EXPECT_FALSE(DecodeHandshake(bad_stream).ok());
  EXPECT_FALSE(DecodeHandshake(good.substr(1)).ok());
  EXPECT_FALSE(DecodeHandshake(good + "x").ok());
}

TEST(SnapshotFramesTest, FileBeginRoundTripsAndRefusesUnsafeNames) {
  const SnapshotFileBegin begin{.size = 5 << 20, .name = "sst/000012.sst"};
  auto decoded = DecodeSnapshotFileBegin(EncodeSnapshotFileBegin(begin));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, begin);
  for (const char* name : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/", "a\\b"}) {
    EXPECT_FALSE(DecodeSnapshotFileBegin(EncodeSnapshotFileBegin({.size = 1, .name = name})).ok())
        << name;
  }
  EXPECT_FALSE(DecodeSnapshotFileBegin("short").ok());
}

TEST(SnapshotFramesTest, FileEndAndAckRoundTrip) {
  EXPECT_EQ(*DecodeSnapshotFileEnd(EncodeSnapshotFileEnd(0xa1b2c3d4)), 0xa1b2c3d4u);
  EXPECT_FALSE(DecodeSnapshotFileEnd("abc").ok());
  EXPECT_TRUE(DecodeSnapshotAck(EncodeSnapshotAck(absl::OkStatus()))->accepted);
  auto refused = DecodeSnapshotAck(EncodeSnapshotAck(absl::InternalError("disk full")));
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->accepted);
  EXPECT_EQ(refused->error, "disk full");
  EXPECT_FALSE(DecodeSnapshotAck("").ok());
  EXPECT_FALSE(DecodeSnapshotAck("\x07").ok());
}

}  // namespace
}  // namespace raftkv::transport
