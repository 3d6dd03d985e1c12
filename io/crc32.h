// drivelab/io: CRC-32 (IEEE 802.3, the polynomial zlib and PNG use), so files can be checked with any
// standard tool. Table-driven; incremental: crc32(b, crc32(a)) == crc32(a + b).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dl::io {

uint32_t crc32(const void* bytes, size_t size, uint32_t crc = 0);

}  // namespace dl::io
