// Thin RAII over the SQLite C API: a connection, a prepared statement that
// resets itself after use, and errors turned into Error values.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/error.h"

namespace fsvc::sqlite {

class Db;

// A statement borrowed from a connection's cache. Binding is 1-based, as in
// SQLite. Destroying the Stmt resets it and clears bindings for reuse.
class Stmt {
 public:
  Stmt(sqlite3_stmt* s, Db* db) : s_(s), db_(db) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)), db_(o.db_) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() { Reset(); }

  // Makes the statement ready to bind and run again.
  void Reset();
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, int64_t v);
  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> Error.
  Result<bool> Step();
  // Steps until done; for statements that return no rows.
  Status Run();

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const;

 private:
  sqlite3_stmt* s_;
  Db* db_;
};

class Db {
 public:
  // Opens (creating) the file with WAL and a busy timeout; a writer gets
  // synchronous=FULL, or OFF when `sync` is false.
  static Result<std::unique_ptr<Db>> Open(const std::string& file, bool read_only,
                                          bool sync = true);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without results (schema, PRAGMA, BEGIN...).
  Status Exec(const std::string& sql);
  // A cached prepared statement for `sql`.
  Result<Stmt> Prepare(const std::string& sql);
  Error LastError(std::string_view what) const;
  int64_t Changes() const { return sqlite3_changes64(db_); }
  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  explicit Db(sqlite3* db) : db_(db) {}

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
};

// Rolls back unless Commit() succeeded: an early return never leaves a
// transaction open.
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db);  // BEGIN IMMEDIATE: take the write lock now
  Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace fsvc::sqlite
