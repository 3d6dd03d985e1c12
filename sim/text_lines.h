// drivelab/sim internal: reading text files line by line with a length limit, so a file without
// newlines (or /dev/zero given as a track) cannot fill memory. Shared by the track readers.
#pragma once
#include <istream>
#include <string>

namespace dl::sim {

// std::getline with a limit: false at the end of the input; *too_long when the line passed max_chars
// (the rest of that line is not read).
inline bool read_line(std::istream& in, std::string& line, size_t max_chars, bool* too_long) {
  line.clear();
  *too_long = false;
  std::streambuf* buf = in.rdbuf();
  for (;;) {
    const int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) return !line.empty();
    if (c == '\n') return true;
    if (line.size() >= max_chars) {
      *too_long = true;
      return true;
    }
    line.push_back(static_cast<char>(c));
  }
}

// The text without leading and trailing blanks (spaces, tabs, carriage returns).
inline std::string trim_blanks(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Longest line the track readers accept: a point line is a few numbers.
inline constexpr size_t kMaxTrackLineChars = 4096;

}  // namespace dl::sim
