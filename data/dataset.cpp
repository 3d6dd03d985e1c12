// The DLDS format, version 1 (docs/dataset_format.md). All integers and floats are little-endian.
#include "data/dataset.h"

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "io/crc32.h"

namespace dl::data {

static_assert(std::endian::native == std::endian::little,
              "the DLDS format is little-endian; this code writes host-order values");

namespace {

constexpr char kMagic[4] = {'D', 'L', 'D', 'S'};
constexpr char kEndMagic[4] = {'D', 'L', 'D', 'E'};
constexpr uint32_t kTagEpisode = 0x4B4E4843u;  // "CHNK" as bytes on disk
constexpr uint32_t kTagIndex = 0x58444E49u;    // "INDX"
constexpr size_t kChunkHeaderBytes = 4 + 8 + 4;  // tag, payload size, CRC-32
constexpr size_t kTrailerBytes = 8 + 4;          // index offset, end magic
// Sanity bounds that tell a damaged size field from a real one before allocating for it.
constexpr uint32_t kMaxRank = 8;
constexpr uint32_t kMaxActionDim = 1 << 16;
constexpr uint32_t kMaxStringBytes = 1 << 24;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  return buf;
}

class Bytes {
 public:
  template <class T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    data.insert(data.end(), p, p + sizeof(T));
  }
  void put_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    data.insert(data.end(), b, b + n);
  }
  void put_string(const std::string& s) {
    put(static_cast<uint32_t>(s.size()));
    put_bytes(s.data(), s.size());
  }
  std::vector<uint8_t> data;
};

// Bounds-checked reads from a payload whose CRC already matched: running past its end means the writer
// and reader disagree, which the message names with `what`.
class Cursor {
 public:
  Cursor(const std::vector<uint8_t>& data, std::string what) : data_(data), what_(std::move(what)) {}
  template <class T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  const uint8_t* take(size_t n) {
    if (n > data_.size() - pos_) throw DatasetError(what_ + ": ends early (inconsistent sizes)");
    const uint8_t* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::string get_string() {
    const auto n = get<uint32_t>();
    if (n > kMaxStringBytes) throw DatasetError(what_ + ": string length " + std::to_string(n) + " is implausible");
    const auto* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  template <class T>
  void get_array(std::vector<T>& out, uint64_t count) {
    if (count > (data_.size() - pos_) / sizeof(T)) throw DatasetError(what_ + ": ends early (inconsistent sizes)");
    out.resize(count);
    std::memcpy(out.data(), take(count * sizeof(T)), count * sizeof(T));
  }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  const std::vector<uint8_t>& data_;
  std::string what_;
  size_t pos_ = 0;
};

std::vector<uint8_t> encode_spec(const DatasetSpec& spec) {
  Bytes b;
  b.put(static_cast<uint8_t>(spec.observation.dtype == envs::DType::u8 ? 1 : 0));
  b.put(static_cast<uint32_t>(spec.observation.shape.size()));
  for (int64_t d : spec.observation.shape) b.put(d);
  b.put(static_cast<uint8_t>(spec.action.discrete ? 1 : 0));
  b.put(static_cast<uint32_t>(spec.action.n));
  const auto dim = static_cast<uint32_t>(spec.action.box.size());
  b.put(dim);
  for (uint32_t i = 0; i < dim; ++i) b.put(i < spec.action.box.low.size() ? spec.action.box.low[i] : -INFINITY);
  for (uint32_t i = 0; i < dim; ++i) b.put(i < spec.action.box.high.size() ? spec.action.box.high[i] : INFINITY);
  b.put_string(spec.env_id);
  b.put_string(spec.notes);
  return b.data;
}

DatasetSpec decode_spec(const std::vector<uint8_t>& payload, const std::string& what) {
  Cursor c(payload, what);
  DatasetSpec spec;
  const auto dtype = c.get<uint8_t>();
  if (dtype > 1) throw DatasetError(what + ": unknown observation dtype " + std::to_string(dtype));
  spec.observation.dtype = dtype == 1 ? envs::DType::u8 : envs::DType::f32;
  const auto rank = c.get<uint32_t>();
  if (rank == 0 || rank > kMaxRank) throw DatasetError(what + ": observation rank " + std::to_string(rank) + " is implausible");
  for (uint32_t i = 0; i < rank; ++i) {
    const auto d = c.get<int64_t>();
    if (d <= 0) throw DatasetError(what + ": observation dimension " + std::to_string(d) + " is not positive");
    spec.observation.shape.push_back(d);
  }
  spec.action.discrete = c.get<uint8_t>() != 0;
  spec.action.n = static_cast<int>(c.get<uint32_t>());
  const auto dim = c.get<uint32_t>();
  if (dim == 0 || dim > kMaxActionDim) throw DatasetError(what + ": action size " + std::to_string(dim) + " is implausible");
  spec.action.box.shape = {static_cast<int64_t>(dim)};
  c.get_array(spec.action.box.low, dim);
  c.get_array(spec.action.box.high, dim);
  spec.env_id = c.get_string();
  spec.notes = c.get_string();
  return spec;
}

std::vector<uint8_t> encode_episode(const Episode& e, uint64_t number) {
  Bytes b;
  b.put(number);
  b.put(static_cast<uint64_t>(e.length()));
  b.put(e.meta.episode_return);
  b.put(e.meta.seed);
  b.put(e.meta.flags);
  b.put_string(e.meta.policy);
  b.put_string(e.meta.env_id);
  b.put_bytes(e.obs.data(), e.obs.size());
  b.put_bytes(e.actions.data(), e.actions.size() * sizeof(float));
  b.put_bytes(e.rewards.data(), e.rewards.size() * sizeof(float));
  b.put_bytes(e.terminated.data(), e.terminated.size());
  b.put_bytes(e.truncated.data(), e.truncated.size());
  return b.data;
}

Episode decode_episode(const std::vector<uint8_t>& payload, const DatasetSpec& spec, const std::string& what) {
  Cursor c(payload, what);
  Episode e;
  c.get<uint64_t>();  // the episode's number when written: for people reading a dump
  const auto length = c.get<uint64_t>();
  e.meta.episode_return = c.get<double>();
  e.meta.seed = c.get<uint64_t>();
  e.meta.flags = c.get<uint32_t>();
  e.meta.policy = c.get_string();
  e.meta.env_id = c.get_string();
  if (length > payload.size()) throw DatasetError(what + ": episode length " + std::to_string(length) + " is implausible");
  c.get_array(e.obs, (length + 1) * spec.obs_bytes());
  c.get_array(e.actions, length * spec.action_dim());
  c.get_array(e.rewards, length);
  c.get_array(e.terminated, length);
  c.get_array(e.truncated, length);
  if (!c.at_end()) throw DatasetError(what + ": has bytes after the episode data (inconsistent sizes)");
  return e;
}

std::vector<uint8_t> encode_index(const std::vector<EpisodeSummary>& index) {
  Bytes b;
  b.put(static_cast<uint64_t>(index.size()));
  for (const auto& s : index) {
    b.put(s.offset);
    b.put(s.bytes);
    b.put(s.length);
    b.put(s.episode_return);
    b.put(s.flags);
  }
  return b.data;
}

bool read_at(std::FILE* f, uint64_t offset, void* out, size_t n) {
  if (std::fseek(f, static_cast<long>(offset), SEEK_SET) != 0) return false;
  return std::fread(out, 1, n, f) == n;
}

struct ChunkHeader {
  uint32_t tag = 0;
  uint64_t payload_bytes = 0;
  uint32_t crc = 0;
};

bool read_chunk_header(std::FILE* f, uint64_t offset, ChunkHeader& h) {
  uint8_t raw[kChunkHeaderBytes];
  if (!read_at(f, offset, raw, sizeof raw)) return false;
  std::memcpy(&h.tag, raw, 4);
  std::memcpy(&h.payload_bytes, raw + 4, 8);
  std::memcpy(&h.crc, raw + 12, 4);
  return true;
}

uint64_t file_size_of(std::FILE* f) {
  std::fseek(f, 0, SEEK_END);
  return static_cast<uint64_t>(std::ftell(f));
}

std::string tag_name(uint32_t tag) {
  std::string s(4, '?');
  for (int i = 0; i < 4; ++i) {
    const char ch = static_cast<char>((tag >> (8 * i)) & 0xFF);
    s[i] = (ch >= 32 && ch < 127) ? ch : '?';
  }
  return s;
}

}  // namespace

std::string spec_mismatch(const DatasetSpec& a, const DatasetSpec& b) {
  auto shape = [](const envs::Spec& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.shape.size(); ++i) out += (i ? ", " : "") + std::to_string(s.shape[i]);
    return out + "] " + (s.dtype == envs::DType::u8 ? "uint8" : "float32");
  };
  if (a.observation.shape != b.observation.shape || a.observation.dtype != b.observation.dtype)
    return "observation specs differ: " + shape(a.observation) + " vs " + shape(b.observation);
  if (a.action.discrete != b.action.discrete)
    return std::string("action spaces differ: ") + (a.action.discrete ? "discrete" : "continuous") + " vs " +
           (b.action.discrete ? "discrete" : "continuous");
  if (a.action.discrete && a.action.n != b.action.n)
    return "discrete action counts differ: " + std::to_string(a.action.n) + " vs " + std::to_string(b.action.n);
  if (a.action.dim() != b.action.dim())
    return "action sizes differ: " + std::to_string(a.action.dim()) + " vs " + std::to_string(b.action.dim());
  return "";
}

// ---- Writer ---------------------------------------------------------------------------------------------

DatasetWriter::DatasetWriter(const std::string& path, const DatasetSpec& spec)
    : path_(path), tmp_path_(path + ".tmp"), spec_(spec) {
  if (spec_.action.box.shape.empty()) spec_.action.box.shape = {spec_.action.dim()};
  try {
    io::check_replaceable(path_);  // before the work of a collection, not at its end
  } catch (const io::InputError& e) {
    throw DatasetError(e.what());
  }
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (!file_) throw DatasetError(tmp_path_ + ": cannot create: " + std::strerror(errno));
  const std::vector<uint8_t> header = encode_spec(spec_);
  Bytes b;
  b.put_bytes(kMagic, 4);
  b.put(kFormatVersion);
  b.put(static_cast<uint64_t>(header.size()));
  b.put(io::crc32(header.data(), header.size()));
  b.put_bytes(header.data(), header.size());
  if (std::fwrite(b.data.data(), 1, b.data.size(), file_) != b.data.size())
    throw DatasetError(tmp_path_ + ": write failed");
  offset_ = b.data.size();
}

DatasetWriter::~DatasetWriter() {
  if (file_) std::fclose(file_);
}

void DatasetWriter::write_chunk(uint32_t tag, const std::vector<uint8_t>& payload) {
  Bytes b;
  b.put(tag);
  b.put(static_cast<uint64_t>(payload.size()));
  b.put(io::crc32(payload.data(), payload.size()));
  if (std::fwrite(b.data.data(), 1, b.data.size(), file_) != b.data.size() ||
      std::fwrite(payload.data(), 1, payload.size(), file_) != payload.size())
    throw DatasetError(tmp_path_ + ": write failed (disk full?)");
  offset_ += b.data.size() + payload.size();
}

void DatasetWriter::check_episode(const Episode& e) const {
  const auto n = static_cast<size_t>(e.length());
  const bool ok = e.obs.size() == (n + 1) * spec_.obs_bytes() && e.actions.size() == n * spec_.action_dim() &&
                  e.terminated.size() == n && e.truncated.size() == n;
  if (!ok) throw DatasetError(path_ + ": episode arrays disagree with the dataset spec or with each other");
}

void DatasetWriter::write_episode(const Episode& episode) {
  if (!file_) throw DatasetError(path_ + ": write after close");
  check_episode(episode);
  const uint64_t start = offset_;
  write_chunk(kTagEpisode, encode_episode(episode, index_.size()));
  index_.push_back({start, offset_ - start, episode.length(), episode.meta.episode_return, episode.meta.flags});
  steps_ += episode.length();
}

void DatasetWriter::begin_episode(const void* first_obs, const EpisodeMeta& meta) {
  current_ = Episode{};
  current_.meta = meta;
  const auto* p = static_cast<const uint8_t*>(first_obs);
  current_.obs.assign(p, p + spec_.obs_bytes());
  in_episode_ = true;
}

void DatasetWriter::step(const float* action, float reward, bool terminated, bool truncated, const void* next_obs) {
  if (!in_episode_) throw DatasetError(path_ + ": step() outside an episode (call begin_episode first)");
  current_.actions.insert(current_.actions.end(), action, action + spec_.action_dim());
  current_.rewards.push_back(reward);
  current_.terminated.push_back(terminated ? 1 : 0);
  current_.truncated.push_back(truncated ? 1 : 0);
  const auto* p = static_cast<const uint8_t*>(next_obs);
  current_.obs.insert(current_.obs.end(), p, p + spec_.obs_bytes());
}

void DatasetWriter::end_episode(uint32_t flags) {
  if (!in_episode_) throw DatasetError(path_ + ": end_episode() outside an episode");
  double sum = 0;
  for (float r : current_.rewards) sum += r;
  current_.meta.episode_return = sum;
  current_.meta.flags = flags;
  in_episode_ = false;
  write_episode(current_);
  current_ = Episode{};
}

void DatasetWriter::close() {
  if (!file_) return;
  const uint64_t index_offset = offset_;
  write_chunk(kTagIndex, encode_index(index_));
  Bytes trailer;
  trailer.put(index_offset);
  trailer.put_bytes(kEndMagic, 4);
  const bool ok = std::fwrite(trailer.data.data(), 1, trailer.data.size(), file_) == trailer.data.size() &&
                  std::fflush(file_) == 0;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) throw DatasetError(tmp_path_ + ": write failed (disk full?)");
  try {
    io::commit_temp_file(tmp_path_, path_);
  } catch (const io::InputError& e) {
    throw DatasetError(e.what());
  } catch (const std::runtime_error& e) {
    throw DatasetError(tmp_path_ + ": cannot rename to " + path_ + ": " + e.what());
  }
}

// ---- Reader ---------------------------------------------------------------------------------------------

DatasetReader::DatasetReader(const std::string& path, OpenMode mode) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw DatasetError(path + ": cannot open: " + std::strerror(errno));
  try {
    read_header();
    const uint64_t size = file_size_of(file_);
    if (mode == OpenMode::strict) read_index(size);
    else scan_chunks(size);
  } catch (...) {
    std::fclose(file_);
    file_ = nullptr;
    throw;
  }
}

DatasetReader::~DatasetReader() {
  if (file_) std::fclose(file_);
}

void DatasetReader::read_header() {
  uint8_t fixed[4 + 4 + 8 + 4];
  if (!read_at(file_, 0, fixed, sizeof fixed))
    throw DatasetError(path_ + ": too short to be a dataset (no complete header)");
  if (std::memcmp(fixed, kMagic, 4) != 0)
    throw DatasetError(path_ + ": not a drivelab dataset (magic is not 'DLDS')");
  uint32_t version, crc;
  uint64_t bytes;
  std::memcpy(&version, fixed + 4, 4);
  std::memcpy(&bytes, fixed + 8, 8);
  std::memcpy(&crc, fixed + 16, 4);
  if (version != kFormatVersion)
    throw DatasetError(path_ + ": format version " + std::to_string(version) + " is not supported (this build reads " +
                       std::to_string(kFormatVersion) + ")");
  if (bytes > kMaxStringBytes * 4ull) throw DatasetError(path_ + ": header size " + std::to_string(bytes) + " is implausible");
  std::vector<uint8_t> header(bytes);
  if (!read_at(file_, sizeof fixed, header.data(), header.size()))
    throw DatasetError(path_ + ": truncated inside the header");
  const uint32_t actual = io::crc32(header.data(), header.size());
  if (actual != crc)
    throw DatasetError(path_ + ": header CRC mismatch: expected " + hex32(crc) + ", actual " + hex32(actual) +
                       " (the specs are unreadable, so no episode can be recovered)");
  spec_ = decode_spec(header, path_ + ": header");
  data_begin_ = sizeof fixed + bytes;
}

void DatasetReader::read_index(uint64_t file_size) {
  uint8_t trailer[kTrailerBytes];
  if (file_size < data_begin_ + kTrailerBytes || !read_at(file_, file_size - kTrailerBytes, trailer, kTrailerBytes) ||
      std::memcmp(trailer + 8, kEndMagic, 4) != 0)
    throw DatasetError(path_ + ": truncated or never closed: no end marker 'DLDE' in the last " +
                       std::to_string(kTrailerBytes) + " bytes (open it in recovery mode to keep the intact episodes)");
  uint64_t index_offset;
  std::memcpy(&index_offset, trailer, 8);
  ChunkHeader h;
  if (index_offset < data_begin_ || index_offset + kChunkHeaderBytes > file_size - kTrailerBytes ||
      !read_chunk_header(file_, index_offset, h) || h.tag != kTagIndex ||
      h.payload_bytes != file_size - kTrailerBytes - index_offset - kChunkHeaderBytes)
    throw DatasetError(path_ + ": the trailer does not point at an index chunk (byte offset " +
                       std::to_string(index_offset) + "); open it in recovery mode");
  std::vector<uint8_t> payload(h.payload_bytes);
  if (!read_at(file_, index_offset + kChunkHeaderBytes, payload.data(), payload.size()))
    throw DatasetError(path_ + ": truncated inside the index chunk");
  const uint32_t actual = io::crc32(payload.data(), payload.size());
  if (actual != h.crc)
    throw DatasetError(path_ + ": index chunk (byte offset " + std::to_string(index_offset) + "): CRC mismatch: expected " +
                       hex32(h.crc) + ", actual " + hex32(actual) + " (open it in recovery mode)");
  Cursor c(payload, path_ + ": index chunk");
  const auto count = c.get<uint64_t>();
  for (uint64_t i = 0; i < count; ++i) {
    EpisodeSummary s;
    s.offset = c.get<uint64_t>();
    s.bytes = c.get<uint64_t>();
    s.length = c.get<int64_t>();
    s.episode_return = c.get<double>();
    s.flags = c.get<uint32_t>();
    if (s.offset < data_begin_ || s.offset + s.bytes > index_offset)
      throw DatasetError(path_ + ": index entry " + std::to_string(i) + " points outside the data");
    index_.push_back(s);
  }
}

void DatasetReader::scan_chunks(uint64_t file_size) {
  uint64_t offset = data_begin_;
  int64_t chunk = 0;
  while (offset < file_size) {
    ChunkHeader h;
    if (!read_chunk_header(file_, offset, h)) {
      problems_.push_back("chunk " + std::to_string(chunk) + " at byte offset " + std::to_string(offset) +
                          ": truncated chunk header; the remaining " + std::to_string(file_size - offset) +
                          " bytes are ignored");
      break;
    }
    if (h.tag == kTagIndex) break;  // the end of the data; the index itself is not needed
    const uint64_t end = offset + kChunkHeaderBytes + h.payload_bytes;
    if (h.tag != kTagEpisode || end > file_size || end < offset) {
      // A damaged size or tag loses the way to the next chunk: resynchronize on the next episode tag.
      problems_.push_back("chunk " + std::to_string(chunk) + " at byte offset " + std::to_string(offset) +
                          (h.tag != kTagEpisode ? ": unknown tag '" + tag_name(h.tag) + "'"
                                                : ": truncated (" + std::to_string(h.payload_bytes) +
                                                      " payload bytes declared, " +
                                                      std::to_string(file_size - offset - kChunkHeaderBytes) +
                                                      " present)") +
                          "; dropped");
      uint64_t next = offset + 1;
      uint8_t window[4];
      bool found = false;
      for (; next + 4 <= file_size; ++next) {
        if (!read_at(file_, next, window, 4)) break;
        uint32_t tag;
        std::memcpy(&tag, window, 4);
        if (tag == kTagEpisode || tag == kTagIndex) {
          found = true;
          break;
        }
      }
      if (!found) break;
      offset = next;
      ++chunk;
      continue;
    }
    std::vector<uint8_t> payload(h.payload_bytes);
    read_at(file_, offset + kChunkHeaderBytes, payload.data(), payload.size());
    const uint32_t actual = io::crc32(payload.data(), payload.size());
    if (actual != h.crc) {
      problems_.push_back("chunk " + std::to_string(chunk) + " at byte offset " + std::to_string(offset) +
                          ": CRC mismatch: expected " + hex32(h.crc) + ", actual " + hex32(actual) + "; dropped");
    } else {
      try {
        const Episode e = decode_episode(payload, spec_, path_ + ": chunk " + std::to_string(chunk));
        index_.push_back({offset, end - offset, e.length(), e.meta.episode_return, e.meta.flags});
      } catch (const DatasetError& err) {
        problems_.push_back(std::string(err.what()) + "; dropped");
      }
    }
    offset = end;
    ++chunk;
  }
}

int64_t DatasetReader::num_steps() const {
  int64_t n = 0;
  for (const auto& s : index_) n += s.length;
  return n;
}

Episode DatasetReader::episode(int64_t i) const {
  if (i < 0 || i >= num_episodes())
    throw DatasetError(path_ + ": episode " + std::to_string(i) + " out of range (the file has " +
                       std::to_string(num_episodes()) + ")");
  const EpisodeSummary& s = index_[i];
  const std::string what = path_ + ": chunk " + std::to_string(i) + " (episode " + std::to_string(i) +
                           ", byte offset " + std::to_string(s.offset) + ")";
  ChunkHeader h;
  if (!read_chunk_header(file_, s.offset, h)) throw DatasetError(what + ": truncated chunk header");
  if (h.tag != kTagEpisode) throw DatasetError(what + ": unknown tag '" + tag_name(h.tag) + "'");
  if (kChunkHeaderBytes + h.payload_bytes != s.bytes)
    throw DatasetError(what + ": size " + std::to_string(kChunkHeaderBytes + h.payload_bytes) +
                       " disagrees with the index (" + std::to_string(s.bytes) + ")");
  std::vector<uint8_t> payload(h.payload_bytes);
  if (!read_at(file_, s.offset + kChunkHeaderBytes, payload.data(), payload.size()))
    throw DatasetError(what + ": truncated chunk");
  const uint32_t actual = io::crc32(payload.data(), payload.size());
  if (actual != h.crc)
    throw DatasetError(what + ": CRC mismatch: expected " + hex32(h.crc) + ", actual " + hex32(actual));
  return decode_episode(payload, spec_, what);
}

std::vector<Episode> read_all(const std::string& path, DatasetSpec* spec, OpenMode mode) {
  DatasetReader reader(path, mode);
  if (spec) *spec = reader.spec();
  std::vector<Episode> out;
  out.reserve(reader.num_episodes());
  for (int64_t i = 0; i < reader.num_episodes(); ++i) out.push_back(reader.episode(i));
  return out;
}

}  // namespace dl::data
