/* outbox.c - events written to MySQL in the transaction of the change they announce, then
 * published to Kafka; the relay publishes whatever Kafka has not acknowledged. */
#include "store/outbox.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "store/db.h"
#include "store/kafka.h"

/* Event ids are ChaCha20 output under a key drawn once per process (again in a forked child),
 * with a counter as the nonce: as unpredictable as drawing each from the kernel, without a
 * getrandom system call on every claim. */
static unsigned char id_key[crypto_stream_chacha20_ietf_KEYBYTES];
static unsigned long long id_counter;
static bool id_keyed;

static void forget_id_key(void)
{
    id_keyed = false;
}

void event_id_new(char out[37])
{
    unsigned char b[16], nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
    if (!id_keyed) {
        static bool hooked;
        if (!hooked && pthread_atfork(NULL, NULL, forget_id_key) == 0)
            hooked = true;
        randombytes_buf(id_key, sizeof(id_key));
        id_counter = 0;
        id_keyed = true;
    }
    id_counter++;
    memcpy(nonce, &id_counter, sizeof(id_counter));
    crypto_stream_chacha20_ietf(b, sizeof(b), nonce, id_key);
    b[6] = (b[6] & 0x0F) | 0x40; /* UUID version 4 */
    b[8] = (b[8] & 0x3F) | 0x80;
    /* 8-4-4-4-12 hex digits: each group written with its terminator, which the dash replaces */
    static const int group[] = {4, 2, 2, 2, 6};
    char *o = out;
    const unsigned char *in = b;
    for (int g = 0; g < 5; g++) {
        sodium_bin2hex(o, (size_t)group[g] * 2 + 1, in, (size_t)group[g]);
        o += group[g] * 2;
        in += group[g];
        if (g < 4)
            *o++ = '-';
    }
}

/* The events added since the last outbox_publish, kept so that publishing them after their
 * COMMIT needs no read of the rows just written. An event of a transaction that rolled back is
 * never asked for: outbox_publish forgets every kept event. Within a batch transaction
 * (db_batch_begin) the events asked for wait, marked, for outbox_publish_batch. */
#define KEPT_MAX 128
static struct kept {
    long long id;
    char *topic, *key, *payload;
    bool asked;
} kept[KEPT_MAX];
static int n_kept;

static void kept_forget(void)
{
    for (int i = 0; i < n_kept; i++) {
        free(kept[i].topic);
        free(kept[i].key);
        free(kept[i].payload);
    }
    n_kept = 0;
}

static void keep(long long id, const char *topic, const char *key, const char *payload)
{
    if (n_kept == KEPT_MAX) /* more events than one change writes: the rest are read back */
        return;
    struct kept k = {id, strdup(topic), strdup(key), strdup(payload), false};
    if (!k.topic || !k.key || !k.payload) {
        free(k.topic), free(k.key), free(k.payload);
        return;
    }
    kept[n_kept++] = k;
}

long long outbox_add(struct arena *a, const char *topic, long long key, const char *type,
                     json_t *event)
{
    char id[37], at[21];
    event_id_new(id);
    format_iso_time(time(NULL), at);
    json_object_set_new(event, "event_id", json_string(id));
    json_object_set_new(event, "type", json_string(type));
    json_object_set_new(event, "at", json_string(at));
    struct strbuf payload;
    sb_init(&payload, a, 512);
    sb_add_json(&payload, event);
    const char *msg_key = arena_sprintf(a, "%lld", key);
    if (db_exec("INSERT INTO outbox (event_id, topic, msg_key, payload) VALUES (?, ?, ?, ?)",
                "ssss", id, topic, msg_key, payload.s) < 0)
        return -1;
    long long row = db_insert_id();
    keep(row, topic, msg_key, payload.s);
    return row;
}

/* Acknowledged rows not yet marked published: marked together, one UPDATE for many, at most
 * MARK_DELAY seconds after the first of them was acknowledged (outbox_poll). Until then the
 * relay leaves them alone: it looks only at rows older than its age, 10 s. */
#define MARK_MAX 64
#define MARK_DELAY 0.2
static long long marks[MARK_MAX];
static int n_marks;
static double first_mark_at;

static void marks_write(void)
{
    static char *cache[MARK_MAX + 1];
    if (n_marks == 0)
        return;
    const char *sql = db_sql_for_rows(cache, n_marks,
                                      "UPDATE outbox SET published_at = UTC_TIMESTAMP()"
                                      " WHERE published_at IS NULL AND id IN (",
                                      "?", ")");
    struct db_param p[MARK_MAX];
    for (int i = 0; i < n_marks; i++)
        p[i] = (struct db_param){.type = 'i', .i = marks[i]};
    if (!sql || db_exec_p(sql, p, n_marks) < 0)
        log_warn("%d outbox row(s) published but not marked (they may be sent again; consumers"
                 " dedupe)",
                 n_marks);
    n_marks = 0;
}

/* Notes an acknowledged row, to be marked published. */
static void on_delivery(long long id, long long unused, int err)
{
    (void)unused;
    if (id <= 0 || err)
        return; /* unacknowledged: the relay sends it again */
    if (n_marks == MARK_MAX)
        marks_write(); /* delivery reports are served outside any transaction */
    if (n_marks == 0)
        first_mark_at = clock_now();
    marks[n_marks++] = id;
}

void outbox_poll(void)
{
    kafka_poll();
    if (n_marks > 0 && clock_now() - first_mark_at >= MARK_DELAY)
        marks_write();
}

int outbox_flush(int timeout_ms)
{
    int left = kafka_flush(timeout_ms);
    marks_write();
    return left;
}

void outbox_close(void)
{
    outbox_flush(5000);
    kafka_producer_close(); /* its last reports may acknowledge more */
    marks_write();
}

static void publish(long long id, const char *topic, const char *key, const char *payload)
{
    kafka_publish(topic, key, payload, strlen(payload), on_delivery, id, 0);
}

static void publish_row(json_t *row)
{
    publish(json_integer_value(json_object_get(row, "id")),
            json_string_value(json_object_get(row, "topic")),
            json_string_value(json_object_get(row, "msg_key")),
            json_string_value(json_object_get(row, "payload")));
}

void outbox_publish(struct arena *a, const long long *ids, int n)
{
    (void)a;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < n_kept && kept[k].id != ids[i])
            k++;
        json_t *row;
        if (ids[i] <= 0)
            continue;
        if (db_batch_open()) { /* not committed yet: after the batch (one not kept: the relay) */
            if (k < n_kept)
                kept[k].asked = true;
        } else if (k < n_kept)
            publish(ids[i], kept[k].topic, kept[k].key, kept[k].payload);
        else if (db_query_row(&row,
                              "SELECT id, topic, msg_key, payload FROM outbox"
                              " WHERE id = ? AND published_at IS NULL",
                              "i", ids[i]) == 1)
            publish_row(row);
    }
    if (!db_batch_open())
        kept_forget();
}

void outbox_publish_batch(bool committed)
{
    for (int k = 0; committed && k < n_kept; k++)
        if (kept[k].asked)
            publish(kept[k].id, kept[k].topic, kept[k].key, kept[k].payload);
    kept_forget();
}

int outbox_relay(struct arena *a, int age, int limit)
{
    (void)a;
    json_t *rows =
        db_query("SELECT id, topic, msg_key, payload FROM outbox WHERE published_at IS NULL"
                 " AND created_at <= UTC_TIMESTAMP() - INTERVAL ? SECOND ORDER BY id LIMIT ?",
                 "ii", (long long)age, (long long)limit);
    if (!rows)
        return -1;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) publish_row(row);
    if (json_array_size(rows))
        log_info("relay: %zu unacknowledged event(s) published again", json_array_size(rows));
    return (int)json_array_size(rows);
}
