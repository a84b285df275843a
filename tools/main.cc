// The `userstore` command-line program: replays .http files and serves a
// JSON-lines protocol on stdin/stdout through the REST facade, against an
// in-memory Store or a durable one (--data-dir); checks, counts, reads and
// exports a durable store's directory (read-only, beside a running store);
// imports into one. See docs/cli.md.
#include <unistd.h>

#include <iostream>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli_args.h"
#include "commands.h"
#include "progress.h"
#include "session.h"

#ifndef USERSTORE_VERSION
#define USERSTORE_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  namespace cli = userstore::cli;
  std::ios::sync_with_stdio(false);
  std::vector<absl::string_view> args(argv + 1, argv + argc);
  absl::StatusOr<cli::CliOptions> options = cli::ParseArgs(args);
  if (!options.ok()) {
    std::cerr << "userstore: " << options.status().message() << "\n\n" << cli::Usage();
    return 2;
  }
  if (options->help) {
    std::cout << cli::Usage();
    return 0;
  }
  if (options->version) {
    std::cout << "userstore " << USERSTORE_VERSION << "\n";
    return 0;
  }
  if (options->command == cli::Command::kCheck) {
    return cli::RunCheck(options->dir, std::cout, std::cerr);
  }
  if (options->command == cli::Command::kStats) {
    return cli::RunStats(options->dir, std::cout, std::cerr);
  }
  if (options->command == cli::Command::kGet) {
    return cli::RunGet(*options, std::cout, std::cerr);
  }
  if (options->command == cli::Command::kList) {
    return cli::RunList(*options, std::cout, std::cerr);
  }
  if (options->command == cli::Command::kExport) {
    return cli::RunExport(*options, std::cout, std::cerr);
  }
  if (options->command == cli::Command::kEvents) {
    return cli::RunEvents(*options, std::cout, std::cerr, STDOUT_FILENO);
  }
  if (options->command == cli::Command::kImport) {
    return cli::RunImport(*options, std::cin, std::cerr, isatty(STDERR_FILENO) == 1);
  }
  cli::RecoveryProgress progress(&std::cerr, isatty(STDERR_FILENO) == 1);
  absl::StatusOr<cli::Session> session = cli::MakeSession(*options, &progress);
  if (!session.ok()) {
    std::cerr << "userstore: " << session.status().message() << "\n";
    return 2;
  }
  if (options->command == cli::Command::kReplay) {
    return cli::RunReplay(*session->facade, options->file, std::cout, std::cerr);
  }
  return cli::RunStdio(*session->facade, std::cin, std::cout);
}
