// drivelab/io: reading and writing files safely; the lowest layer, used by every layer that touches files.
//
// Writers put their bytes in a temp file beside the target and rename it into place, so a reader never sees
// a half-written file. Renaming also replaces whatever the name pointed at, and as root that includes device
// nodes (`--out /dev/null` would delete the device and leave a regular file there): every writer first asks
// check_replaceable(), which refuses a target that exists and is not a regular file. (A check, then a
// rename: a target swapped for a device in between is not caught; we guard against mistakes, not attacks.)
//
// Readers of user-given files (configs, checkpoints, models) read at most a stated number of bytes, so
// `/dev/zero` or a huge file is an error naming the file, not an endless read.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace dl::io {

// Bad input from the user: a missing, unreadable, oversized or corrupt file, or an output path that must not
// be replaced. The command maps it (and the errors derived from it) to exit code 2.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The text up to its first newline: a library's multi-line message (LibTorch's carry a C++ backtrace) cut to
// the one line our errors give.
inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Throws InputError "PATH: is a <kind>, not a regular file; refusing to replace it" when `path` exists
// (following symlinks) and is not a regular file. A missing path is fine.
void check_replaceable(const std::string& path);

// Moves a finished temp file over `path` (after check_replaceable); removes the temp file on failure.
// Throws InputError for a refused target, std::runtime_error when the rename fails.
void commit_temp_file(const std::string& tmp, const std::string& path);

// Writes `content` to `path` atomically: PATH.tmp.PID, flushed and fsynced, then renamed over it. Creates
// missing parent folders.
void write_file_atomic(const std::string& path, const std::string& content);

// Limits for files read whole. Configs are hand-written; models and checkpoints hold networks.
inline constexpr size_t kMaxConfigBytes = size_t{16} << 20;       // 16 MiB
inline constexpr size_t kMaxModelBytes = size_t{4} << 30;         // 4 GiB

// Reads a whole file of at most `max_bytes`. Throws InputError naming the file (`what` says what it is,
// e.g. "config file") when it is missing, a directory or a device, unreadable or larger than the limit.
// Pipes are read (up to the limit), so `drivelab train <(generate-config)` works.
std::string read_file_limited(const std::string& path, size_t max_bytes, const std::string& what);

}  // namespace dl::io
