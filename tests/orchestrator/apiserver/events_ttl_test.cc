// Events expire: the API server writes them with a raftkv lease of --event-ttl, one lease
// shared by the events of a reuse window (not one per event), kept across updates.
#include "absl/time/time.h"
#include "tests/orchestrator/apiserver/handler_fixture.h"

namespace orch::apiserver::testing {
namespace {

std::string EventJson(const std::string& name) {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Event","metadata":{"name":")", name,
                      R"("},"involvedObject":{"kind":"Pod","name":"web","namespace":"default"},)",
                      R"("reason":"Scheduled","message":"assigned","type":"Normal","count":1})");
}

int64_t LeaseOfKey(raftkv::KV& kv, const std::string& key) {
  absl::StatusOr<raftkv::GetResponse> got = kv.Get(key);
  if (!got.ok() || got->kvs.empty()) return -1;
  return got->kvs.front().lease;
}

constexpr const char* kEvents = "/api/v1/namespaces/default/events";
constexpr const char* kPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},)"
                             R"("spec":{"containers":[{"name":"c","image":"nginx"}]}})";

TEST_F(HandlerTest, EventsShareOneLeaseAndExpire) {
  ApiHandlerOptions options;
  options.event_ttl = absl::Seconds(2);
  options.event_lease_reuse_fraction = 0.5;  // a one-second window, so the writes share
  StartHandler(options);
  ASSERT_EQ(Call("POST", kEvents, EventJson("a"), "application/json").status, 201);
  ASSERT_EQ(Call("POST", kEvents, EventJson("b"), "application/json").status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/pods", kPod, "application/json").status, 201);
  const int64_t lease = LeaseOfKey(*kv_, "/registry/events/default/a");
  EXPECT_GT(lease, 0);
  EXPECT_EQ(LeaseOfKey(*kv_, "/registry/events/default/b"), lease);
  EXPECT_EQ(LeaseOfKey(*kv_, "/registry/pods/default/web"), 0);

  // An update (the recorder bumps count) keeps the key on a lease.
  HttpResponse patched =
      Call("PATCH", absl::StrCat(kEvents, "/a"), R"({"count":2})", "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(LeaseOfKey(*kv_, "/registry/events/default/a"), lease);

  // Gone after the ttl (the store expires leases itself); the pod stays.
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline && LeaseOfKey(*kv_, "/registry/events/default/a") != -1) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(LeaseOfKey(*kv_, "/registry/events/default/a"), -1);
  EXPECT_EQ(LeaseOfKey(*kv_, "/registry/events/default/b"), -1);
  EXPECT_EQ(Call("GET", absl::StrCat(kEvents, "/a")).status, 404);
  EXPECT_EQ(LeaseOfKey(*kv_, "/registry/pods/default/web"), 0);
}

}  // namespace
}  // namespace orch::apiserver::testing
