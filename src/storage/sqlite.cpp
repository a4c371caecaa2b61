#include "storage/sqlite.h"

#include <cerrno>

namespace fsvc::sqlite {
namespace {

// A full disk must read as 507 whichever statement meets it (an INSERT, the
// COMMIT that writes the WAL, the fsync), not only the SQLITE_FULL of a step.
Errc CodeFor(sqlite3* db, int rc) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_FULL) return Errc::kInsufficientStorage;
  if (primary == SQLITE_IOERR) {
    const int err = sqlite3_system_errno(db);
    if (err == ENOSPC || err == EDQUOT) return Errc::kInsufficientStorage;
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Errc::kUnavailable;
  return Errc::kInternal;
}

}  // namespace

void Stmt::Reset() {
  if (s_) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
}

Stmt& Stmt::Bind(int i, std::string_view v) {
  // A default string_view has a null data(), which SQLite would bind as NULL.
  sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->LastError("step");
}

Status Stmt::Run() {
  while (true) {
    auto r = Step();
    if (!r) return r.error();
    if (!*r) return OkStatus();
  }
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& file, bool read_only, bool sync) {
  sqlite3* raw = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  auto db = std::make_unique<Db>(raw);
  if (rc != SQLITE_OK) {
    return Error{Errc::kInternal, "cannot open database " + file + ": " +
                                      (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  sqlite3_busy_timeout(raw, 5000);
  // FULL: an acknowledged upload's row survives a power cut, not only a crash.
  const char* pragmas = read_only ? "PRAGMA query_only=ON;"
                        : sync    ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                    " PRAGMA foreign_keys=ON;"
                                  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                                    " PRAGMA foreign_keys=ON;";
  if (auto st = db->Exec(pragmas); !st) {
    return Error{Errc::kInternal, "database " + file + " is unusable: " + st.error().message};
  }
  return db;
}

Db::~Db() {
  cache_.clear();  // statements must be finalised before the connection closes
  sqlite3_close(db_);
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    Error e{CodeFor(db_, rc), std::string("sqlite: ") + (err ? err : sqlite3_errstr(rc))};
    sqlite3_free(err);
    return e;
  }
  return OkStatus();
}

Result<Stmt> Db::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
        SQLITE_OK) {
      return LastError("prepare");
    }
    it = cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtDeleter>(s)).first;
  }
  return Stmt(it->second.get(), this);
}

Error Db::LastError(std::string_view what) const {
  return Error{CodeFor(db_, sqlite3_extended_errcode(db_)),
               "sqlite " + std::string(what) + ": " + sqlite3_errmsg(db_)};
}

Result<Transaction> Transaction::Begin(Db& db) {
  if (auto st = db.Exec("BEGIN IMMEDIATE"); !st) return st.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  auto st = db_->Exec("COMMIT");
  if (st) db_ = nullptr;
  return st;
}

}  // namespace fsvc::sqlite
