#include "storage/sqlite_memory.h"

#include <sqlite3.h>

namespace fsvc {

uint64_t SqliteMemoryBytes() {
  sqlite3_int64 current = 0, highwater = 0;
  if (sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &current, &highwater, 0) != SQLITE_OK) return 0;
  return static_cast<uint64_t>(current);
}

}  // namespace fsvc
