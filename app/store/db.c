/* db.c - the worker's one MariaDB/MySQL connection: prepared statements, cached, rows as JSON. */
#include "store/db.h"

#include "core/err.h"

#include <errmsg.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"

#define STMT_CACHE 512

struct cached_stmt {
    char *sql;
    MYSQL_STMT *stmt;
};

static MYSQL *conn;
static struct cached_stmt cache[STMT_CACHE];
static bool in_tx;
/* db_batch_begin: the handlers' transactions are parts of one, until db_batch_end. */
static bool batch_open;
/* The connection of an open transaction was lost: every statement fails until the caller ends
 * the transaction (db_commit or db_rollback); none may run in autocommit on a new connection. */
static bool tx_lost;
static double last_used; /* when the connection last answered: an idle one is pinged first */
static long long last_insert;
static int consecutive_ids = -1; /* db_insert_ids_consecutive, read once per connection */
static unsigned last_errno;
static char last_error[512];

static void set_error(unsigned no, const char *msg)
{
    last_errno = no;
    snprintf(last_error, sizeof(last_error), "%s", msg ? msg : "");
}

int db_truthy(json_t *v)
{
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

unsigned db_errno(void)
{
    return last_errno;
}

const char *db_error(void)
{
    return last_error;
}

static void cache_clear(void)
{
    for (int i = 0; i < STMT_CACHE; i++) {
        if (cache[i].stmt)
            mysql_stmt_close(cache[i].stmt);
        free(cache[i].sql);
        cache[i].stmt = NULL;
        cache[i].sql = NULL;
    }
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int db_connect(char *err, size_t errlen)
{
    if (conn)
        db_close();
    conn = mysql_init(NULL);
    unsigned timeout = 3, rw_timeout = 30;
    mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
    mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
    mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    const char *sock = cfg.mysql_socket && cfg.mysql_socket[0] ? cfg.mysql_socket : NULL;
    const char *host = sock ? "localhost" : cfg.mysql_host;
    if (!mysql_real_connect(conn, host, cfg.mysql_user, cfg.mysql_password, cfg.mysql_database,
                            (unsigned)cfg.mysql_port, sock, 0)) {
        snprintf(err, errlen, "mysql connect (%s): %s", sock ? sock : cfg.mysql_host,
                 mysql_error(conn));
        mysql_close(conn);
        conn = NULL;
        return -1;
    }
    return 0;
}

void db_close(void)
{
    cache_clear();
    if (conn)
        mysql_close(conn);
    conn = NULL;
    consecutive_ids = -1;
    if (in_tx)
        tx_lost = true;
    in_tx = false;
}

int db_ping(void)
{
    char err[256];
    if (conn && mysql_ping(conn) == 0)
        return 0;
    /* A connection the server dropped (restarted, killed) is replaced, not reported down forever:
     * no statement is in flight here, outside a transaction. */
    if (conn && in_tx)
        return -1;
    if (conn)
        db_close();
    if (db_connect(err, sizeof(err)) < 0)
        return -1;
    last_used = mono_now();
    return 0;
}

static unsigned long hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211UL;
    return h;
}

/* Cached by SQL text, so the query builder's few shapes are prepared once each. */
static MYSQL_STMT *stmt_get(const char *sql)
{
    unsigned long h = hash(sql);
    int free_slot = -1;
    for (int k = 0; k < 8; k++) {
        int i = (int)((h + (unsigned long)k) % STMT_CACHE);
        if (cache[i].sql && strcmp(cache[i].sql, sql) == 0)
            return cache[i].stmt;
        if (!cache[i].sql && free_slot < 0)
            free_slot = i;
    }
    MYSQL_STMT *st = mysql_stmt_init(conn);
    if (!st) {
        set_error(mysql_errno(conn), mysql_error(conn));
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
        mysql_stmt_close(st);
        return NULL;
    }
    bool update_max = true;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    /* A full probe window gives up its first slot: every prepared statement stays owned by the
     * cache (one that was not would leak on the server on every call, up to
     * max_prepared_stmt_count, after which every prepare fails). No statement outlives the db_*
     * call that ran it, so the one closed here is not in use. */
    char *text = strdup(sql);
    if (!text) {
        mysql_stmt_close(st);
        set_error(0, "out of memory");
        return NULL;
    }
    if (free_slot < 0) {
        free_slot = (int)(h % STMT_CACHE);
        mysql_stmt_close(cache[free_slot].stmt);
        free(cache[free_slot].sql);
    }
    cache[free_slot].sql = text;
    cache[free_slot].stmt = st;
    return st;
}

static bool connection_lost(unsigned no)
{
    return no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST || no == CR_CONNECTION_ERROR ||
           no == CR_SERVER_LOST_EXTENDED || no == 1927 /* ER_CONNECTION_KILLED */ ||
           no == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */;
}

struct params {
    MYSQL_BIND bind[DB_MAX_PARAMS];
    unsigned long lens[DB_MAX_PARAMS];
    my_bool nulls[DB_MAX_PARAMS];
    struct db_param vals[DB_MAX_PARAMS];
    int n;
};

/* Turns the variadic form (a type letter per argument) into a parameter array. */
static int collect(struct db_param *out, const char *types, va_list ap)
{
    int n = 0;
    for (; types && types[n]; n++) {
        if (n >= DB_MAX_PARAMS)
            return -1;
        out[n].type = types[n];
        switch (types[n]) {
        case 'i':
            out[n].i = va_arg(ap, long long);
            break;
        case 'd':
            out[n].d = va_arg(ap, double);
            break;
        case 's':
            out[n].s = va_arg(ap, const char *);
            break;
        default:
            return -1;
        }
    }
    return n;
}

static int bind_params(struct params *p, const struct db_param *in, int n)
{
    memset(p, 0, sizeof(*p));
    if (n > DB_MAX_PARAMS)
        return -1;
    p->n = n;
    for (int i = 0; i < n; i++) {
        MYSQL_BIND *b = &p->bind[i];
        p->vals[i] = in[i];
        switch (in[i].type) {
        case 'i':
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->buffer = &p->vals[i].i;
            break;
        case 'd':
            b->buffer_type = MYSQL_TYPE_DOUBLE;
            b->buffer = &p->vals[i].d;
            break;
        case 's':
            b->buffer_type = MYSQL_TYPE_STRING;
            if (!in[i].s) {
                p->nulls[i] = true;
                b->is_null = &p->nulls[i];
            } else {
                b->buffer = (void *)(uintptr_t)in[i].s;
                p->lens[i] = strlen(in[i].s);
                b->buffer_length = p->lens[i];
                b->length = &p->lens[i];
            }
            break;
        default:
            return -1;
        }
    }
    return 0;
}

static json_t *column_value(const MYSQL_FIELD *f, const char *s, unsigned long len)
{
    switch (f->type) {
    case MYSQL_TYPE_TINY:
        if (f->length == 1)
            return json_boolean(s[0] != '0');
        /* fall through */
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_YEAR:
        return json_integer(strtoll(s, NULL, 10));
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
        if (!memchr(s, '.', len))
            return json_integer(strtoll(s, NULL, 10));
        return json_real(strtod(s, NULL));
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        return json_real(strtod(s, NULL));
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        if (len >= 19) {
            char iso[21];
            memcpy(iso, s, 10);
            iso[10] = 'T';
            memcpy(iso + 11, s + 11, 8);
            iso[19] = 'Z';
            iso[20] = '\0';
            return json_string(iso);
        }
        return json_stringn(s, len);
    default: {
        json_t *v = json_stringn(s, len);
        return v ? v : json_null(); /* bytes that are not UTF-8 never reach a response */
    }
    }
}

static json_t *fetch_rows(MYSQL_STMT *st, MYSQL_RES *meta)
{
    if (mysql_stmt_store_result(st) != 0) {
        set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
        return NULL;
    }
    unsigned ncols = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    MYSQL_BIND *out = calloc(ncols, sizeof(*out));
    unsigned long *lens = calloc(ncols, sizeof(*lens));
    my_bool *nulls = calloc(ncols, sizeof(*nulls));
    char **bufs = calloc(ncols, sizeof(*bufs));
    json_t *rows = json_array();
    for (unsigned c = 0; c < ncols; c++) {
        unsigned long cap = fields[c].max_length + 1;
        bufs[c] = malloc(cap < 64 ? 64 : cap);
        out[c].buffer_type = MYSQL_TYPE_STRING;
        out[c].buffer = bufs[c];
        out[c].buffer_length = cap < 64 ? 64 : cap;
        out[c].length = &lens[c];
        out[c].is_null = &nulls[c];
    }
    if (mysql_stmt_bind_result(st, out) != 0) {
        set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
        rows = NULL;
        goto out_free;
    }
    int rc;
    while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
        json_t *row = json_object();
        for (unsigned c = 0; c < ncols; c++) {
            json_t *v;
            if (nulls[c]) {
                v = json_null();
            } else {
                bufs[c][lens[c] < out[c].buffer_length ? lens[c] : out[c].buffer_length - 1] = '\0';
                v = column_value(&fields[c], bufs[c], lens[c]);
            }
            json_object_set_new(row, fields[c].name, v);
        }
        json_array_append_new(rows, row);
    }
    if (rc == 1) {
        set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
        rows = NULL;
    }
out_free:
    mysql_stmt_free_result(st);
    for (unsigned c = 0; c < ncols; c++)
        free(bufs[c]);
    free(bufs);
    free(nulls);
    free(lens);
    free(out);
    return rows;
}

/* A statement that only reads (SELECT without FOR UPDATE/SHARE locks outside a transaction
 * reads the same; with one nothing is retried anyway) may be sent again after a lost
 * connection: the server changed nothing for it. GET_LOCK and friends are not reads. */
static bool harmless_to_repeat(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '(')
        sql++;
    if (strncasecmp(sql, "SELECT", 6) != 0 && strncasecmp(sql, "START TRANSACTION", 17) != 0)
        return false;
    return !strcasestr(sql, "GET_LOCK") && !strcasestr(sql, "RELEASE_LOCK");
}

/* Before a statement that must not be repeated, a connection idle for a while (a server
 * restarted, a connection killed or timed out meanwhile) is checked with a ping: one found dead
 * here is replaced before the statement is sent, so the statement provably never reached the
 * old one. */
static int ensure_live(void)
{
    char err[256];
    if (conn && !in_tx && mono_now() - last_used > 1.0 && mysql_ping(conn) != 0) {
        log_warn("mysql connection found dead before a statement (%s); reconnecting",
                 mysql_error(conn));
        db_close();
    }
    if (!conn && db_connect(err, sizeof(err)) < 0) {
        set_error(CR_CONNECTION_ERROR, err);
        return -1;
    }
    return 0;
}

/* Prepares (cached), binds and executes. A lost connection is retried once, on a new
 * connection, only where that cannot apply anything twice: the statement failed to prepare (it
 * was never sent to run), or it only reads; never inside a transaction. A write whose
 * connection dropped after it was sent may have been applied: it is reported to the caller
 * (db_errno() is then a connection error), not sent again. Returns the statement, or NULL with
 * the error set. */
static MYSQL_STMT *run(const char *sql, const struct db_param *in, int n)
{
    struct params p;
    if (n < 0 || bind_params(&p, in, n) < 0) {
        set_error(0, "too many or unknown parameter types");
        return NULL;
    }
    err_store_answer_lost(false);
    if (tx_lost) {
        set_error(CR_SERVER_LOST, "the transaction's connection was lost");
        return NULL;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (ensure_live() < 0)
            break;
        MYSQL_STMT *st = stmt_get(sql);
        if (st && (unsigned long)n != mysql_stmt_param_count(st)) {
            set_error(0, "parameter count does not match the statement");
            break;
        }
        bool sent = false;
        if (st && mysql_stmt_bind_param(st, p.bind) == 0) {
            sent = true;
            if (mysql_stmt_execute(st) == 0) {
                last_used = mono_now();
                return st;
            }
        }
        if (st)
            set_error(mysql_stmt_errno(st), mysql_stmt_error(st));
        if (!connection_lost(last_errno))
            break;
        bool was_in_tx = in_tx;
        log_warn("mysql connection lost (%s); reconnecting", last_error);
        db_close();
        if (was_in_tx)
            break; /* the transaction is gone; the caller must fail this request */
        if (sent && !harmless_to_repeat(sql)) {
            err_store_answer_lost(true);
            break; /* it may have been applied: the caller reports, nothing is sent twice */
        }
    }
    if (last_errno == 1062) /* a unique key doing its job; the caller answers it */
        log_debug("sql refused (%u %s): %.200s", last_errno, last_error, sql);
    else
        log_error("sql failed (%u %s): %.200s", last_errno, last_error, sql);
    return NULL;
}

static MYSQL_STMT *run_va(const char *sql, const char *types, va_list ap)
{
    struct db_param ps[DB_MAX_PARAMS];
    return run(sql, ps, collect(ps, types, ap));
}

json_t *db_query_p(const char *sql, const struct db_param *params, int n)
{
    MYSQL_STMT *st = run(sql, params, n);
    if (!st)
        return NULL;
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    if (!meta)
        return json_array();
    json_t *rows = fetch_rows(st, meta);
    mysql_free_result(meta);
    return rows;
}

json_t *db_query(const char *sql, const char *types, ...)
{
    struct db_param ps[DB_MAX_PARAMS];
    va_list ap;
    va_start(ap, types);
    int n = collect(ps, types, ap);
    va_end(ap);
    return db_query_p(sql, ps, n);
}

int db_query_row(json_t **row, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    MYSQL_STMT *st = run_va(sql, types, ap);
    va_end(ap);
    *row = NULL;
    if (!st)
        return -1;
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    if (!meta)
        return 0;
    json_t *rows = fetch_rows(st, meta);
    mysql_free_result(meta);
    if (!rows)
        return -1;
    if (json_array_size(rows) == 0)
        return 0;
    *row = json_array_get(rows, 0);
    return 1;
}

long long db_exec_p(const char *sql, const struct db_param *params, int n)
{
    MYSQL_STMT *st = run(sql, params, n);
    if (!st)
        return -1;
    long long affected = (long long)mysql_stmt_affected_rows(st);
    last_insert = (long long)mysql_stmt_insert_id(st);
    if (mysql_stmt_field_count(st) > 0) { /* a SELECT run for its effect: drain it */
        mysql_stmt_store_result(st);
        mysql_stmt_free_result(st);
    }
    return affected;
}

long long db_exec(const char *sql, const char *types, ...)
{
    struct db_param ps[DB_MAX_PARAMS];
    va_list ap;
    va_start(ap, types);
    int n = collect(ps, types, ap);
    va_end(ap);
    return db_exec_p(sql, ps, n);
}

long long db_insert_id(void)
{
    return last_insert;
}

bool db_insert_ids_consecutive(void)
{
    json_t *v;
    if (consecutive_ids < 0 &&
        db_query_row(
            &v,
            "SELECT @@innodb_autoinc_lock_mode IN (0, 1) AND @@auto_increment_increment = 1"
            " AS yes",
            "") == 1)
        consecutive_ids = db_truthy(json_object_get(v, "yes")) ? 1 : 0;
    return consecutive_ids == 1;
}

/* Transaction control goes through the prepared path too; a lost connection mid-transaction is
 * reported, never retried (run() knows we are in one). */
static int tx_statement(const char *sql)
{
    return db_exec(sql, "") < 0 ? -1 : 0;
}

int db_begin(void)
{
    if (batch_open)
        return tx_lost ? -1 : 0;
    tx_lost = false; /* a transaction the caller never ended is over all the same */
    if (tx_statement("START TRANSACTION") < 0)
        return -1;
    in_tx = true;
    return 0;
}

int db_commit(void)
{
    if (batch_open)
        return tx_lost ? -1 : 0;
    if (tx_lost) {
        tx_lost = false;
        in_tx = false;
        return -1; /* the connection went before COMMIT was sent: the server rolled it back */
    }
    int rc = tx_statement("COMMIT");
    bool lost = rc < 0 && connection_lost(last_errno);
    in_tx = false;
    tx_lost = false;
    /* COMMIT was sent and no answer came: the server may have committed or not. */
    err_store_answer_lost(lost);
    return lost ? DB_OUTCOME_UNKNOWN : rc;
}

int db_rollback(void)
{
    batch_open = false; /* a part undone undoes the whole batch, and ends it */
    int rc = conn && !tx_lost ? tx_statement("ROLLBACK") : -1;
    in_tx = false;
    tx_lost = false;
    return rc;
}

int db_batch_begin(void)
{
    if (db_begin() < 0)
        return -1;
    batch_open = true;
    return 0;
}

bool db_batch_open(void)
{
    return batch_open;
}

int db_batch_end(void)
{
    if (!batch_open)
        return -1;
    batch_open = false;
    return db_commit();
}

char *db_time(struct arena *a, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    char *s = arena_alloc(a, 20);
    strftime(s, 20, "%Y-%m-%d %H:%M:%S", &tm);
    return s;
}

const char *db_sql_for_rows(char **built, int n, const char *head, const char *each,
                            const char *tail)
{
    if (!built[n]) {
        size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(each) + 2) + 1;
        char *s = malloc(cap);
        if (!s)
            return NULL;
        int off = snprintf(s, cap, "%s", head);
        for (int i = 0; i < n; i++)
            off += snprintf(s + off, cap - (size_t)off, "%s%s", i ? ", " : "", each);
        snprintf(s + off, cap - (size_t)off, "%s", tail);
        built[n] = s;
    }
    return built[n];
}
