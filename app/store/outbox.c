/* outbox.c - events written to MySQL in the transaction of the change they announce, then
 * published to Kafka; the relay publishes whatever Kafka has not acknowledged. */
#include "store/outbox.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
    if (db_exec("INSERT INTO outbox (event_id, topic, msg_key, payload) VALUES (?, ?, ?, ?)",
                "ssss", id, topic, arena_sprintf(a, "%lld", key), payload.s) < 0)
        return -1;
    return db_insert_id();
}

/* Marks an acknowledged row published. */
static void on_delivery(long long id, long long unused, int err)
{
    (void)unused;
    if (id <= 0 || err)
        return; /* unacknowledged: the relay sends it again */
    if (db_exec(
            "UPDATE outbox SET published_at = UTC_TIMESTAMP() WHERE id = ? AND published_at IS NULL",
            "i", id) < 0)
        log_warn("outbox %lld published but not marked (it may be sent again; consumers dedupe)",
                 id);
}

static void publish_row(json_t *row)
{
    const char *payload = json_string_value(json_object_get(row, "payload"));
    kafka_publish(json_string_value(json_object_get(row, "topic")),
                  json_string_value(json_object_get(row, "msg_key")), payload, strlen(payload),
                  on_delivery, json_integer_value(json_object_get(row, "id")), 0);
}

void outbox_publish(struct arena *a, const long long *ids, int n)
{
    (void)a;
    for (int i = 0; i < n; i++) {
        json_t *row;
        if (ids[i] > 0 && db_query_row(&row,
                                       "SELECT id, topic, msg_key, payload FROM outbox"
                                       " WHERE id = ? AND published_at IS NULL",
                                       "i", ids[i]) == 1)
            publish_row(row);
    }
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
