#include "raftkv/wal/snapshot_store.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/wal/test_util.h"

namespace raftkv::wal {
namespace {

using ::raftkv::wal::testing::FlipByte;
using ::raftkv::wal::testing::ScopedTempDir;
using ::testing::HasSubstr;

raftpb::Snapshot MakeSnapshot(uint64_t index, uint64_t term, std::string data = "state") {
  raftpb::Snapshot s;
  s.mutable_metadata()->set_index(index);
  s.mutable_metadata()->set_term(term);
  s.mutable_metadata()->mutable_conf_state()->add_voters(1);
  s.mutable_metadata()->mutable_conf_state()->add_voters(2);
  s.set_data(std::move(data));
  return s;
}

std::unique_ptr<SnapshotStore> OpenOrDie(const std::string& dir) {
  auto store = SnapshotStore::Open(dir);
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(store).value();
}

TEST(SnapshotStoreTest, EmptyStoreHasNoSnapshot) {
  ScopedTempDir dir;
  auto store = OpenOrDie(dir.path() + "/snap");
  EXPECT_TRUE(absl::IsNotFound(store->LoadNewest().status()));
  EXPECT_TRUE(absl::IsNotFound(store->Load(1, 1).status()));
}

TEST(SnapshotStoreTest, SavesAndLoadsExactly) {
  ScopedTempDir dir;
  auto store = OpenOrDie(dir.path());
  raftpb::Snapshot snap = MakeSnapshot(42, 3, std::string(10000, 'x'));
  ASSERT_TRUE(store->Save(snap).ok());
  auto loaded = store->Load(42, 3);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->SerializeAsString(), snap.SerializeAsString());
  EXPECT_TRUE(absl::IsNotFound(store->Load(42, 4).status()));
  // No temporary file is left behind.
  auto files = store->List();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(SnapshotStoreTest, LoadNewestPicksTheHighestIndex) {
  ScopedTempDir dir;
  auto store = OpenOrDie(dir.path());
  for (uint64_t index : {5, 300, 17})
    ASSERT_TRUE(store->Save(MakeSnapshot(index, 2)).ok());
  auto newest = store->LoadNewest();
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->metadata().index(), 300u);
  auto files = store->List();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].index, 5u);
  EXPECT_EQ((*files)[2].index, 300u);
}

TEST(SnapshotStoreTest, DamagedFileIsRefusedByLoadAndSkippedByLoadNewest) {
  ScopedTempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Save(MakeSnapshot(10, 1)).ok());
  ASSERT_TRUE(store->Save(MakeSnapshot(20, 1)).ok());
  std::string newest_path = store->List()->back().path;
  FlipByte(newest_path, 30);
  absl::StatusOr<raftpb::Snapshot> damaged = store->Load(20, 1);
  EXPECT_TRUE(absl::IsDataLoss(damaged.status()));
  EXPECT_THAT(std::string(damaged.status().message()), HasSubstr(newest_path));
  auto newest = store->LoadNewest();
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->metadata().index(), 10u);
}

TEST(SnapshotStoreTest, TruncatedFileIsRefused) {
  ScopedTempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store->Save(MakeSnapshot(10, 1, std::string(500, 'y'))).ok());
  testing::TruncateFile(store->List()->back().path, 100);
  EXPECT_TRUE(absl::IsDataLoss(store->Load(10, 1).status()));
}

TEST(SnapshotStoreTest, PurgeKeepsTheNewest) {
  ScopedTempDir dir;
  auto store = OpenOrDie(dir.path());
  for (uint64_t index = 1; index <= 6; ++index)
    ASSERT_TRUE(store->Save(MakeSnapshot(index, 1)).ok());
  ASSERT_TRUE(store->PurgeKeepingNewest(2).ok());
  auto files = store->List();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].index, 5u);
  EXPECT_EQ((*files)[1].index, 6u);
  ASSERT_TRUE(store->RemoveNewerThan(5).ok());
  EXPECT_EQ(store->List()->size(), 1u);
}

TEST(SnapshotStoreTest, OpenRemovesUnfinishedFiles) {
  ScopedTempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_TRUE(store->Save(MakeSnapshot(3, 1)).ok());
  }
  std::string temp = dir.path() + "/0000000000000009-0000000000000001.snap.tmp";
  std::FILE* f = std::fopen(temp.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("partial", f);
  std::fclose(f);
  auto store = OpenOrDie(dir.path());
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(store->LoadNewest()->metadata().index(), 3u);
}

}  // namespace
}  // namespace raftkv::wal
