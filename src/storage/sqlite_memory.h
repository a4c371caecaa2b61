// What SQLite holds in memory, for /metrics/memory's breakdown, without SQLite's types.
#pragma once

#include <cstdint>

namespace fsvc {

// Bytes SQLite holds in the whole process now (page caches, schemas, statements), as its
// memory status counts them (sqlite3_status64 SQLITE_STATUS_MEMORY_USED).
uint64_t SqliteMemoryBytes();

}  // namespace fsvc
