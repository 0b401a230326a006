#include "orchestrator/cli/printers.h"

#include <sstream>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "orchestrator/api/table.h"
#include "orchestrator/cli/resource_names.h"

namespace orch::cli {
namespace {

using api::Json;

Json PodTable() {
  Json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"columnDefinitions",
                 {{{"name", "Name"}, {"format", "name"}, {"priority", 0}},
                  {{"name", "Ready"}, {"priority", 0}},
                  {{"name", "Restarts"}, {"type", "integer"}, {"priority", 0}},
                  {{"name", "Nominated Node"}, {"priority", 1}}}},
                {"rows",
                 {{{"cells", {"web-1", "1/1", 0, "<none>"}},
                   {"object", {{"metadata", {{"name", "web-1"}, {"namespace", "default"}}}}}},
                  {{"cells", {"a-much-longer-name", "0/1", 12, "<none>"}},
                   {"object", {{"metadata", {{"name", "a"}, {"namespace", "kube-system"}}}}}}}}};
  return table;
}

TEST(TablePrinter, AlignsLikeKubectlsTabwriter) {
  std::ostringstream out;
  TablePrinter printer(**ResolveResource("pods"), {});
  printer.Print(PodTable(), out);
  EXPECT_EQ(out.str(),
            "NAME                 READY   RESTARTS\n"
            "web-1                1/1     0\n"
            "a-much-longer-name   0/1     12\n");
}

TEST(TablePrinter, WideShowsPriorityColumnsAndAllNamespacesAddsNamespace) {
  std::ostringstream out;
  TablePrinter printer(**ResolveResource("pods"), {.wide = true, .with_namespace = true});
  printer.Print(PodTable(), out);
  EXPECT_EQ(out.str(),
            "NAMESPACE     NAME                 READY   RESTARTS   NOMINATED NODE\n"
            "default       web-1                1/1     0          <none>\n"
            "kube-system   a-much-longer-name   0/1     12         <none>\n");
}

TEST(TablePrinter, KindPrefixAndWatchRowsKeepTheFirstWidths) {
  std::ostringstream out;
  TablePrinter printer(**ResolveResource("deploy"), {.with_kind = true});
  Json table = {{"columnDefinitions",
                 {{{"name", "Name"}, {"format", "name"}, {"priority", 0}},
                  {{"name", "Age"}, {"priority", 0}}}},
                {"rows", {{{"cells", {"web", "5m"}}}}}};
  printer.Print(table, out);
  printer.Print({{"rows", {{{"cells", {"w", "1s"}}}}}}, out);
  EXPECT_EQ(out.str(),
            "NAME                  AGE\n"
            "deployment.apps/web   5m\n"
            "deployment.apps/w     1s\n");
}

TEST(TablePrinter, PrintsTheServersTableForRealObjects) {
  const api::ResourceInfo& pods = **ResolveResource("pods");
  Json pod = {{"metadata", {{"name", "p"}, {"namespace", "default"}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "sh"}}}}}},
              {"status", {{"phase", "Pending"}}}};
  const absl::Time now = absl::Now();
  std::ostringstream out;
  TablePrinter printer(pods, {});
  printer.Print(api::TableDocument(pods.id, {pod}, "1", "", now), out);
  EXPECT_EQ(out.str().substr(0, out.str().find('\n')), "NAME   READY   STATUS    RESTARTS   AGE");
}

TEST(Printers, OutputFormatsAndDocuments) {
  EXPECT_EQ(*ParseOutputFormat("wide"), OutputFormat::kWide);
  EXPECT_EQ(*ParseOutputFormat(""), OutputFormat::kTable);
  EXPECT_FALSE(ParseOutputFormat("xml").ok());
  Json list = AsOutputDocument({Json{{"a", 1}}, Json{{"b", 2}}}, false);
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(AsOutputDocument({Json{{"a", 1}}}, true), (Json{{"a", 1}}));
  EXPECT_EQ(FormatJson(Json{{"b", 1}, {"a", "x"}}), "{\n    \"a\": \"x\",\n    \"b\": 1\n}\n");
  EXPECT_EQ(FormatYaml(Json{{"a", {{"b", "1"}}}}), "a:\n  b: \"1\"\n");
  Json typed = WithTypeMeta(Json{{"metadata", Json::object()}}, **ResolveResource("rs"));
  EXPECT_EQ(typed["apiVersion"], "apps/v1");
  EXPECT_EQ(typed["kind"], "ReplicaSet");
}

}  // namespace
}  // namespace orch::cli
