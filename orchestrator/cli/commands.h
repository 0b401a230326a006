// The verbs of orch and their flags. Each command prints what kubectl prints for it and
// returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "orchestrator/cli/context.h"

namespace orch::cli {

int RunGet(Context& context);
int RunDescribe(Context& context);
int RunApply(Context& context);
int RunDelete(Context& context);
int RunScale(Context& context);
int RunCreate(Context& context);
int RunRollout(Context& context);
int RunLogs(Context& context);
int RunCordon(Context& context);
int RunUncordon(Context& context);
int RunDrain(Context& context);
int RunClusterInfo(Context& context);
int RunVersion(Context& context);
int RunConfig(Context& context);

// The whole program: `args` without the program name.
int RunOrch(const std::vector<std::string>& args, Streams streams);

}  // namespace orch::cli
