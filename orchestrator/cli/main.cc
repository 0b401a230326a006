// orch: the orchestrator's command line (kubectl's verbs and output).
#include <iostream>
#include <string>
#include <vector>

#include "orchestrator/cli/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return orch::cli::RunOrch(args, {std::cin, std::cout, std::cerr});
}
