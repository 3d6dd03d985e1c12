// Runs the real `drivelab` binary of this build with arguments, for the end-to-end tests.
#pragma once
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace dl::test {

struct Result {
  int code;            // exit status, -1 when killed by a signal
  std::string output;  // stdout and stderr together
};

inline Result run(const std::string& args) {
  const std::string cmd = std::string(DRIVELAB_BINARY_DIR) + "/drivelab " + args + " 2>&1";
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace dl::test
