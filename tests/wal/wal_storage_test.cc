#include "raftkv/wal/wal_storage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "raftkv/raft/errors.h"
#include "raftkv/raft/raw_node.h"
#include "tests/wal/test_util.h"

namespace raftkv::wal {
namespace {

using ::raftkv::wal::testing::MakeEntries;
using ::raftkv::wal::testing::MakeHardState;
using ::raftkv::wal::testing::ScopedTempDir;

// Small segments, and compaction that keeps no catch-up entries (one test sets its own).
WalStorageOptions SmallSegments() {
  WalStorageOptions options;
  options.wal.segment_bytes = 16 * 1024;
  options.catch_up_entries = 0;
  return options;
}

std::unique_ptr<WalStorage> OpenOrDie(const std::string& dir) {
  auto storage = WalStorage::Open(dir, SmallSegments());
  EXPECT_TRUE(storage.ok()) << storage.status();
  if (!storage.ok()) std::abort();
  return std::move(storage).value();
}

raftpb::ConfState Voters(std::initializer_list<uint64_t> ids) {
  raftpb::ConfState cs;
  for (uint64_t id : ids)
    cs.add_voters(id);
  return cs;
}

TEST(WalStorageTest, NewStorageIsEmptyLikeMemoryStorage) {
  ScopedTempDir dir;
  auto storage = OpenOrDie(dir.path());
  raft::MemoryStorage memory;
  EXPECT_TRUE(storage->IsEmpty());
  EXPECT_EQ(storage->FirstIndex(), memory.FirstIndex());
  EXPECT_EQ(storage->LastIndex(), memory.LastIndex());
  EXPECT_EQ(*storage->Term(0), 0u);
}

TEST(WalStorageTest, BootstrapIsDurableAndHappensOnce) {
  ScopedTempDir dir;
  {
    auto storage = OpenOrDie(dir.path());
    ASSERT_TRUE(storage->Bootstrap(Voters({1, 2, 3}), "initial state").ok());
    EXPECT_FALSE(storage->IsEmpty());
    EXPECT_TRUE(absl::IsFailedPrecondition(storage->Bootstrap(Voters({1}))));
  }
  auto storage = OpenOrDie(dir.path());
  EXPECT_FALSE(storage->IsEmpty());
  auto initial = storage->GetInitialState();
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(initial->conf_state.voters_size(), 3);
  EXPECT_EQ(storage->FirstIndex(), 2u);
  EXPECT_EQ(storage->LastIndex(), 1u);
  EXPECT_EQ(*storage->Term(1), 1u);
  EXPECT_EQ(storage->GetSnapshot()->data(), "initial state");
}

TEST(WalStorageTest, FollowsStorageSemanticsAcrossRestart) {
  ScopedTempDir dir;
  {
    auto storage = OpenOrDie(dir.path());
    ASSERT_TRUE(storage->Bootstrap(Voters({1})).ok());
    raftpb::HardState hs = MakeHardState(2, 1, 30);
    ASSERT_TRUE(storage->Append(&hs, MakeEntries(2, 40, 2, 200)).ok());
  }
  auto storage = OpenOrDie(dir.path());
  EXPECT_EQ(storage->FirstIndex(), 2u);
  EXPECT_EQ(storage->LastIndex(), 41u);
  EXPECT_EQ(storage->GetInitialState()->hard_state.commit(), 30u);
  EXPECT_TRUE(raft::IsCompacted(storage->Entries(1, 5, UINT64_MAX).status()));
  EXPECT_FALSE(storage->Entries(2, 43, UINT64_MAX).ok());
  auto entries = storage->Entries(2, 42, UINT64_MAX);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 40u);
  // max_size limits, but never below one entry.
  EXPECT_EQ(storage->Entries(2, 42, 1)->size(), 1u);
  EXPECT_TRUE(raft::IsEntryUnavailable(storage->Term(42).status()));
  EXPECT_TRUE(raft::IsCompacted(storage->Term(0).status()));
}

TEST(WalStorageTest, CompactReleasesTheLogAndSurvivesRestart) {
  ScopedTempDir dir;
  {
    auto storage = OpenOrDie(dir.path());
    ASSERT_TRUE(storage->Bootstrap(Voters({1})).ok());
    for (uint64_t i = 2; i < 400; i += 10) {
      ASSERT_TRUE(storage->Append(nullptr, MakeEntries(i, 10, 2, 300)).ok());
    }
    size_t segments = storage->wal().segment_count();
    ASSERT_TRUE(storage->Compact(300, Voters({1, 2}), "checkpoint-300").ok());
    EXPECT_LT(storage->wal().segment_count(), segments);
    EXPECT_EQ(storage->FirstIndex(), 301u);
    EXPECT_TRUE(raft::IsSnapOutOfDate(storage->Compact(300, Voters({1}), "")));
    EXPECT_LE(storage->snapshot_store().List()->size(), 2u);
  }
  auto storage = OpenOrDie(dir.path());
  EXPECT_EQ(storage->FirstIndex(), 301u);
  EXPECT_EQ(storage->LastIndex(), 401u);
  auto snap = storage->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata().index(), 300u);
  EXPECT_EQ(snap->metadata().term(), 2u);
  EXPECT_EQ(snap->data(), "checkpoint-300");
  EXPECT_EQ(storage->GetInitialState()->conf_state.voters_size(), 2);
}

TEST(WalStorageTest, CompactKeepsCatchUpEntriesInMemoryOnly) {
  ScopedTempDir dir;
  WalStorageOptions options = SmallSegments();
  options.catch_up_entries = 100;
  {
    auto storage = WalStorage::Open(dir.path(), options);
    ASSERT_TRUE(storage.ok()) << storage.status();
    ASSERT_TRUE((*storage)->Bootstrap(Voters({1})).ok());
    for (uint64_t i = 2; i < 400; i += 10) {
      ASSERT_TRUE((*storage)->Append(nullptr, MakeEntries(i, 10, 2, 300)).ok());
    }
    const size_t segments = (*storage)->wal().segment_count();
    ASSERT_TRUE((*storage)->Compact(300, Voters({1}), "checkpoint-300").ok());
    EXPECT_LT((*storage)->wal().segment_count(), segments);
    // A follower at 250 still catches up from the log; the snapshot is at 300.
    EXPECT_EQ((*storage)->FirstIndex(), 201u);
    auto entries = (*storage)->Entries(250, 260, UINT64_MAX);
    ASSERT_TRUE(entries.ok()) << entries.status();
    EXPECT_EQ(entries->size(), 10u);
    EXPECT_EQ((*storage)->GetSnapshot()->metadata().index(), 300u);
    // The next compaction moves the window on.
    ASSERT_TRUE((*storage)->Compact(350, Voters({1}), "checkpoint-350").ok());
    EXPECT_EQ((*storage)->FirstIndex(), 251u);
  }
  // The WAL holds the log from the snapshot on only: after a restart that is where it starts.
  auto storage = WalStorage::Open(dir.path(), options);
  ASSERT_TRUE(storage.ok()) << storage.status();
  EXPECT_EQ((*storage)->FirstIndex(), 351u);
  EXPECT_EQ((*storage)->LastIndex(), 401u);
}

TEST(WalStorageTest, ApplySnapshotReplacesTheLog) {
  ScopedTempDir dir;
  {
    auto storage = OpenOrDie(dir.path());
    ASSERT_TRUE(storage->Bootstrap(Voters({1, 2})).ok());
    ASSERT_TRUE(storage->Append(nullptr, MakeEntries(2, 10, 2)).ok());
    raftpb::Snapshot snap;
    snap.mutable_metadata()->set_index(500);
    snap.mutable_metadata()->set_term(5);
    *snap.mutable_metadata()->mutable_conf_state() = Voters({1, 2});
    ASSERT_TRUE(storage->ApplySnapshot(snap).ok());
    EXPECT_TRUE(raft::IsSnapOutOfDate(storage->ApplySnapshot(snap)));
    ASSERT_TRUE(storage->Append(nullptr, MakeEntries(501, 2, 5)).ok());
  }
  auto storage = OpenOrDie(dir.path());
  EXPECT_EQ(storage->FirstIndex(), 501u);
  EXPECT_EQ(storage->LastIndex(), 502u);
  EXPECT_EQ(*storage->Term(500), 5u);
}

TEST(WalStorageTest, AppendIgnoresEntriesTheSnapshotCovers) {
  ScopedTempDir dir;
  {
    auto storage = OpenOrDie(dir.path());
    ASSERT_TRUE(storage->Bootstrap(Voters({1})).ok());
    ASSERT_TRUE(storage->Append(nullptr, MakeEntries(2, 20, 2)).ok());
    ASSERT_TRUE(storage->Compact(15, Voters({1}), "").ok());
    ASSERT_TRUE(storage->Append(nullptr, MakeEntries(10, 15, 2)).ok());
    EXPECT_EQ(storage->FirstIndex(), 16u);
    EXPECT_EQ(storage->LastIndex(), 24u);
  }
  auto storage = OpenOrDie(dir.path());
  EXPECT_EQ(storage->FirstIndex(), 16u);
  EXPECT_EQ(storage->LastIndex(), 24u);
}

TEST(WalStorageTest, MissingSnapshotFileForTheMarkerIsRefused) {
  ScopedTempDir dir;
  {
    auto storage = OpenOrDie(dir.path());
    ASSERT_TRUE(storage->Bootstrap(Voters({1})).ok());
  }
  for (const auto& f : std::filesystem::directory_iterator(dir.path() + "/snap")) {
    std::filesystem::remove(f.path());
  }
  auto storage = WalStorage::Open(dir.path(), SmallSegments());
  EXPECT_TRUE(absl::IsDataLoss(storage.status())) << storage.status();
}

// The storage as RawNode's: a single-member cluster elects itself, commits proposals through
// SaveReady, and a restarted member finds them all.
TEST(WalStorageTest, DrivesARawNodeAcrossRestart) {
  ScopedTempDir dir;
  auto run = [&](int proposals) {
    auto storage = OpenOrDie(dir.path());
    if (storage->IsEmpty()) {
      EXPECT_TRUE(storage->Bootstrap(Voters({1})).ok());
    }
    raft::Config config;
    config.id = 1;
    config.storage = storage.get();
    auto node = raft::RawNode::Create(config);
    EXPECT_TRUE(node.ok()) << node.status();
    EXPECT_TRUE((*node)->Campaign().ok());
    uint64_t applied = 0;
    auto pump = [&] {
      while ((*node)->HasReady()) {
        raft::Ready ready = (*node)->GetReady();
        EXPECT_TRUE(storage->SaveReady(ready).ok());
        for (const raftpb::Entry& e : ready.committed_entries)
          applied = e.index();
        (*node)->Advance();
      }
    };
    pump();
    for (int i = 0; i < proposals; ++i) {
      EXPECT_TRUE((*node)->Propose("value-" + std::to_string(i)).ok());
      pump();
    }
    return std::make_pair(applied, storage->LastIndex());
  };
  auto [applied, last] = run(20);
  EXPECT_EQ(applied, last);
  EXPECT_GE(last, 21u);
  auto [applied2, last2] = run(5);
  EXPECT_EQ(applied2, last2);
  EXPECT_GE(last2, last + 5);
  auto storage = OpenOrDie(dir.path());
  EXPECT_EQ(storage->LastIndex(), last2);
  EXPECT_EQ(storage->GetInitialState()->hard_state.commit(), last2);
}

}  // namespace
}  // namespace raftkv::wal
