#include "watch_check.h"

#include "gtest/gtest.h"
#include "history_builder.h"

namespace raftkv::robustness {
namespace {

WatchEvent PutEvent(const std::string& key, const std::string& value, int64_t create, int64_t mod,
                    int64_t version) {
  return {false, Kv(key, value, create, mod, version)};
}
WatchEvent DeleteEvent(const std::string& key, int64_t revision) {
  return {true, Kv(key, "", 0, revision, 0)};
}

History Writes() {
  return HistoryBuilder()
      .Put(1, {0, 1}, "a", "v1", 2)
      .Put(2, {0, 1}, "b", "v2", 3)
      .Put(1, {2, 3}, "a", "v3", 4)
      .LostPut(3, 3, "b", "maybe")
      .Delete(1, {4, 5}, "a", 1, 6)
      .Build();
}

WatchRecord Record(std::vector<WatchEvent> events) {
  return WatchRecord{1, 2, std::move(events), 1};
}

std::vector<WatchEvent> AllEvents() {
  return {PutEvent("a", "v1", 2, 2, 1), PutEvent("b", "v2", 3, 3, 1), PutEvent("a", "v3", 2, 4, 2),
          PutEvent("b", "maybe", 3, 5, 2), DeleteEvent("a", 6)};
}

TEST(WatchCheck, AcceptsTheHistoryInOrder) {
  WatchCheckResult r = CheckWatch(Writes(), Record(AllEvents()), 6);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events_checked, 5u);
}

TEST(WatchCheck, AcceptsAStreamNotYetAtTheEnd) {
  auto events = AllEvents();
  events.resize(2);
  WatchCheckResult r = CheckWatch(Writes(), Record(events), 3);
  EXPECT_TRUE(r.ok) << r.problem;
}

TEST(WatchCheck, RejectsAGap) {
  auto events = AllEvents();
  events.erase(events.begin() + 2);  // a=v3 @4
  WatchCheckResult r = CheckWatch(Writes(), Record(events), 6);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("revision 4"), std::string::npos) << r.problem;
}

TEST(WatchCheck, RejectsADuplicateAfterResume) {
  auto events = AllEvents();
  events.insert(events.begin() + 2, events[1]);
  WatchCheckResult r = CheckWatch(Writes(), Record(events), 6);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("duplicate"), std::string::npos) << r.problem;
}

TEST(WatchCheck, RejectsOutOfOrder) {
  auto events = AllEvents();
  std::swap(events[0], events[1]);
  EXPECT_FALSE(CheckWatch(Writes(), Record(events), 6).ok);
}

TEST(WatchCheck, RejectsAWrongValue) {
  auto events = AllEvents();
  events[2].kv.value = "v9";
  EXPECT_FALSE(CheckWatch(Writes(), Record(events), 6).ok);
}

TEST(WatchCheck, RejectsAWrongVersion) {
  auto events = AllEvents();
  events[2].kv.version = 3;
  EXPECT_FALSE(CheckWatch(Writes(), Record(events), 6).ok);
}

TEST(WatchCheck, RejectsAnEventOfAWriteNobodyMade) {
  auto events = AllEvents();
  events[3].kv.value = "ghost";
  WatchCheckResult r = CheckWatch(Writes(), Record(events), 6);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("nobody"), std::string::npos) << r.problem;
}

}  // namespace
}  // namespace raftkv::robustness
