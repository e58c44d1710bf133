/* db.h - the worker's one MariaDB/MySQL connection: prepared statements, cached, rows as JSON. */
#ifndef FC_DB_H
#define FC_DB_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/arena.h"

/* Parameter types, one letter each in `types`: 'i' long long, 's' const char * (NULL binds
 * SQL NULL), 'd' double. Every statement is prepared once per connection and reused. */

int db_connect(char *err, size_t errlen);
void db_close(void);
int db_ping(void); /* 0 when the server answers (a dropped connection is replaced first) */

/* Rows as a JSON array of objects (column name -> integer, real, string, boolean for
 * TINYINT(1), ISO-8601 UTC string for DATETIME, null). NULL on error (see db_error()). */
json_t *db_query(const char *sql, const char *types, ...);
/* The same with a parameter array, for statements built at run time (the catalog's filters). */
#define DB_MAX_PARAMS 192
struct db_param {
    char type; /* 'i', 's' or 'd' */
    long long i;
    double d;
    const char *s;
};
json_t *db_query_p(const char *sql, const struct db_param *params, int n);
long long db_exec_p(const char *sql, const struct db_param *params, int n);
/* First row into *row: 1 found, 0 no row, -1 error. */
int db_query_row(json_t **row, const char *sql, const char *types, ...);
/* INSERT/UPDATE/DELETE: affected rows, or -1 on error. */
long long db_exec(const char *sql, const char *types, ...);
long long db_insert_id(void);
/* Whether a multi-row INSERT whose row count is known gives its rows consecutive ids, the first
 * being db_insert_id(), in the order of its VALUES: InnoDB's "traditional" or "consecutive"
 * auto-increment lock mode (0 or 1; MariaDB's default) with auto_increment_increment 1. Not
 * under mode 2 (MySQL 8's default), where concurrent inserts interleave. Asked of the server
 * once per connection; false when it cannot be told. Call outside a transaction. */
bool db_insert_ids_consecutive(void);

/* A lost connection is retried on a new one only where nothing can be applied twice: a
 * statement that failed before it was sent, or a read. A write whose connection dropped after
 * it was sent fails (db_errno() a connection error) even though the server may have applied it.
 * Inside a transaction nothing is retried: once its connection is lost, every statement fails
 * until the caller calls db_rollback() (or db_commit(), which then fails). */
int db_begin(void);
/* 0 committed; -1 not committed (the server refused, or the connection was lost before COMMIT
 * was sent: the server rolled back); DB_OUTCOME_UNKNOWN when COMMIT was sent and its answer
 * was lost: the transaction may or may not be stored, and the caller must not report either
 * as fact (nor undo effects elsewhere that the commit would keep). Both are < 0. */
#define DB_OUTCOME_UNKNOWN (-2)
int db_commit(void);
int db_rollback(void);

/* One transaction for many callers' transactions (a consumer's batch of events): after
 * db_batch_begin, db_begin and db_commit only say whether the batch still stands (0) or its
 * connection is lost (-1), and db_rollback rolls the whole batch back and ends it. db_batch_end
 * commits what the batch holds, as db_commit answers; -1 when a rollback ended it already. */
int db_batch_begin(void);
bool db_batch_open(void);
int db_batch_end(void);

/* A column read as a condition: true for boolean true and for integer 1 (a comparison's
 * type differs between servers). */
int db_truthy(json_t *v);

unsigned db_errno(void); /* 1062 duplicate key, ... */
const char *db_error(void);

/* A statement for n rows: head, then each n times joined by ", ", then tail; built once per n
 * into built[n] (the caller's array has room for n) and kept. NULL when out of memory. */
const char *db_sql_for_rows(char **built, int n, const char *head, const char *each,
                            const char *tail);

/* "YYYY-MM-DD HH:MM:SS" in UTC, for binding DATETIME parameters. */
char *db_time(struct arena *a, time_t t);

#endif
