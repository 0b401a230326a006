// Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/seed-*) with the real
// encoders, so the seeds are what raftkv writes and sends. Run it after a format change:
//   fuzz_make_seeds <source dir>/fuzz/corpus

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "etcdserverpb/rpc.pb.h"
#include "raftkv/server/snapshot_file.h"
#include "raftkv/transport/frame.h"
#include "raftkv/wal/record.h"
#include "raftkv/wal/segment.h"
#include "raftkv/wal/snapshot_store.h"
#include "serverpb/apply.pb.h"

namespace {

namespace fs = std::filesystem;
using raftkv::wal::RecordType;

fs::path corpus_root;

void WriteSeed(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(corpus_root / target);
  std::ofstream out(corpus_root / target / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

raftpb::Entry Entry(uint64_t index, uint64_t term, const std::string& data) {
  raftpb::Entry entry;
  entry.set_index(index);
  entry.set_term(term);
  entry.set_data(data);
  return entry;
}

// A segment as the WAL writes it: header, then batches of entries and hard states.
std::string Segment() {
  raftkv::wal::SegmentHeader header;
  header.sequence = 0;
  header.first_index = 1;
  header.hard_state.set_term(1);
  raftpb::SnapshotMetadata marker;
  marker.set_index(1);
  marker.set_term(1);
  header.snapshot = marker;
  std::string segment;
  raftkv::wal::AppendRecord(&segment, RecordType::kSegmentHeader, raftkv::wal::kFlagBatchStart,
                            raftkv::wal::EncodeSegmentHeader(header));
  raftkv::wal::AppendMessageRecord(&segment, RecordType::kEntry, raftkv::wal::kFlagBatchStart,
                                   Entry(2, 1, "put a=1"));
  raftkv::wal::AppendMessageRecord(&segment, RecordType::kEntry, 0, Entry(3, 1, "put b=2"));
  raftpb::HardState hard_state;
  hard_state.set_term(1);
  hard_state.set_vote(1);
  hard_state.set_commit(3);
  raftkv::wal::AppendMessageRecord(&segment, RecordType::kHardState, 0, hard_state);
  marker.set_index(3);
  raftkv::wal::AppendMessageRecord(&segment, RecordType::kSnapshotMarker,
                                   raftkv::wal::kFlagBatchStart, marker);
  return segment;
}

void WalSeeds() {
  std::string segment = Segment();
  WriteSeed("wal_record", "segment", segment);
  WriteSeed("wal_record", "torn-tail", segment.substr(0, segment.size() - 5));
  WriteSeed("wal_record", "preallocated", segment + std::string(64, '\0'));
  WriteSeed("wal_record", "frame-entry", "R\x01\x01" + Entry(5, 2, "x").SerializeAsString());
  // wal_recovery reads its input through FuzzedDataProvider: any bytes are a valid input;
  // these reach one, two and three segments with records and damage.
  WriteSeed("wal_recovery", "one-segment",
            std::string("\x00\x01\x01\x01\x05\x00\x02\x01", 8) + std::string(48, '\x03'));
  WriteSeed("wal_recovery", "three-segments", std::string(200, '\x7f') + std::string(64, '\x02'));
  WriteSeed("wal_recovery", "mixed", segment);
}

void TransportSeeds() {
  // transport_frame: two bytes of body limit (FuzzedDataProvider takes integers from the
  // end), then the stream in pieces each preceded by its length byte.
  std::string stream;
  raftkv::transport::Handshake handshake{raftkv::transport::StreamKind::kSnapshot, 7, 1, 2};
  raftkv::transport::AppendFrame(raftkv::transport::FrameKind::kHandshake,
                                 raftkv::transport::EncodeHandshake(handshake), &stream);
  raftpb::Message message;
  message.set_type(raftpb::MSG_APP);
  message.set_to(2);
  message.set_from(1);
  message.set_term(3);
  *message.add_entries() = Entry(4, 3, "put c=3");
  raftkv::transport::AppendMessageFrame(message, &stream);
  raftkv::transport::AppendFrame(
      raftkv::transport::FrameKind::kSnapshotFileBegin,
      raftkv::transport::EncodeSnapshotFileBegin({.size = 3, .name = "db/000001.sst"}), &stream);
  raftkv::transport::AppendFrame(raftkv::transport::FrameKind::kSnapshotFileChunk, "abc", &stream);
  raftkv::transport::AppendFrame(raftkv::transport::FrameKind::kSnapshotFileEnd,
                                 raftkv::transport::EncodeSnapshotFileEnd(0x12345678), &stream);
  raftkv::transport::AppendFrame(raftkv::transport::FrameKind::kSnapshotAck,
                                 raftkv::transport::EncodeSnapshotAck(absl::OkStatus()), &stream);
  raftkv::transport::AppendFrame(raftkv::transport::FrameKind::kReject, "wrong cluster", &stream);
  std::string input;
  for (char c : stream) {
    input.push_back('\x01');
    input.push_back(c);
  }
  input += "\x10\x00";
  WriteSeed("transport_frame", "streams", input);
  WriteSeed("transport_frame", "whole", stream + "\xff\x0f");
}

void SnapshotSeeds() {
  raftpb::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(7);
  snapshot.mutable_metadata()->set_term(2);
  snapshot.mutable_metadata()->mutable_conf_state()->add_voters(1);
  serverpb::SnapshotDescriptor descriptor;
  descriptor.set_checkpoint("0000000000000007");
  serverpb::Member* member = descriptor.add_members();
  member->set_id(1);
  member->set_name("m1");
  member->add_peer_urls("http://127.0.0.1:2380");
  snapshot.set_data(descriptor.SerializeAsString());
  WriteSeed("snapshot_store", "valid-header", "V" + snapshot.SerializeAsString());

  fs::path scratch = fs::temp_directory_path() / "raftkv-make-seeds";
  fs::remove_all(scratch);
  auto store = raftkv::wal::SnapshotStore::Open(scratch.string());
  if (store.ok() && (*store)->Save(snapshot).ok()) {
    std::ifstream in(scratch / "0000000000000007-0000000000000002.snap", std::ios::binary);
    WriteSeed("snapshot_store", "file", std::string(std::istreambuf_iterator<char>(in), {}));
  }

  fs::path checkpoint = scratch / "checkpoint";
  fs::create_directories(checkpoint / "sub");
  std::ofstream(checkpoint / "CURRENT") << "MANIFEST-000001\n";
  std::ofstream(checkpoint / "sub" / "000001.sst") << "sst";
  std::string file;
  (void)raftkv::server::StreamSnapshot(checkpoint, [&file](const std::string& chunk) {
    file += chunk;
    return true;
  });
  WriteSeed("snapshot_file", "file", file);
  // The same without its padding and digest (the fuzzer's 'V' mode adds them back): strip
  // the digest and the zeros before it, then restore the four zero bytes of the end marker
  // (the last file's contents end in a non-zero byte).
  std::string body = file.substr(0, file.size() - 32);
  body.erase(body.find_last_not_of('\0') + 1);
  WriteSeed("snapshot_file", "body", "V" + body + std::string(4, '\0'));
  fs::remove_all(scratch);
}

void RequestSeeds() {
  etcdserverpb::PutRequest put;
  put.set_key("a");
  put.set_value("1");
  put.set_lease(5);
  WriteSeed("request_checks", "put", "\x00" + put.SerializeAsString());
  etcdserverpb::RangeRequest range;
  range.set_key("a");
  range.set_range_end("b");
  range.set_limit(10);
  WriteSeed("request_checks", "range", "\x01" + range.SerializeAsString());
  etcdserverpb::DeleteRangeRequest del;
  del.set_key("a");
  del.set_range_end(std::string(1, '\0'));
  WriteSeed("request_checks", "delete", "\x02" + del.SerializeAsString());
  etcdserverpb::TxnRequest txn;
  etcdserverpb::Compare* compare = txn.add_compare();
  compare->set_key("a");
  compare->set_target(etcdserverpb::Compare::VERSION);
  compare->set_version(1);
  *txn.add_success()->mutable_request_put() = put;
  *txn.add_success()->mutable_request_delete_range() = del;
  *txn.add_failure()->mutable_request_range() = range;
  etcdserverpb::TxnRequest nested = txn;
  *txn.add_failure()->mutable_request_txn() = nested;
  WriteSeed("request_checks", "txn", "\x03" + txn.SerializeAsString());
  WriteSeed("request_checks", "txn-limit-2", "\x0b" + txn.SerializeAsString());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  corpus_root = argv[1];
  WalSeeds();
  TransportSeeds();
  SnapshotSeeds();
  RequestSeeds();
  return 0;
}
