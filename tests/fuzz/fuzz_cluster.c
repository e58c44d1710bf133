/* fuzz_cluster.c - what a Redis Cluster sends that the client reads (store/redis_cluster.c): a
 * CLUSTER SLOTS reply, made from RESP bytes by hiredis's reader as the connection makes it, read
 * into a slot map (redis_cluster_map_read); an error's text as MOVED, ASK or TRYAGAIN
 * (redis_cluster_redirect_of); and the hash slot of a key (redis_cluster_slot) and of a
 * command's first key (redis_cluster_command_key). Every input is each of the four. Checked: a
 * slot is below 16384 and a key with a hash tag has its tag's slot; a map read gives each slot
 * the master of the last range of the reply that names it, with the host the reply gave (or
 * the one asked, for "" and "?"), printable, and a port from 1 to 65535, and no other slot an
 * owner; a map refused has no owner; a redirection read names a slot below 16384, a host that is
 * one (or ""), a port from 1 to 65535, and written back reads back the same; a command's key
 * lies within the command. */
#include <assert.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "resp.h"
#include "store/redis_cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

#define ASKED "10.0.0.9"

static void slot_of_key(const char *key, size_t n)
{
    int slot = redis_cluster_slot(key, n);
    assert(slot >= 0 && slot < REDIS_CLUSTER_SLOTS);
    size_t taglen;
    const char *tag = redis_cluster_hash_tag(key, n, &taglen);
    assert(tag >= key && tag + taglen <= key + n);
    if (tag == key && taglen == n)
        return;
    assert(taglen > 0 && !memchr(tag, '}', taglen));
    assert(redis_cluster_slot(tag, taglen) == slot);
    char braced[REDIS_CLUSTER_HOST_SIZE + 8]; /* "{tag}x": the same tag, so the same slot */
    if (taglen + 3 <= sizeof(braced)) {
        braced[0] = '{';
        memcpy(braced + 1, tag, taglen);
        braced[taglen + 1] = '}';
        braced[taglen + 2] = 'x';
        assert(redis_cluster_slot(braced, taglen + 3) == slot);
    }
}

static void redirect(const char *text, size_t n)
{
    struct redis_cluster_node to, again;
    int slot = -1, slot2 = -1;
    enum redis_cluster_redirect how = redis_cluster_redirect_of(text, n, &slot, &to);
    if (how == REDIS_CLUSTER_NONE || how == REDIS_CLUSTER_TRYAGAIN) {
        assert(slot == -1);
        assert(how == REDIS_CLUSTER_NONE || (n >= 8 && !memcmp(text, "TRYAGAIN", 8)));
        return;
    }
    assert(slot >= 0 && slot < REDIS_CLUSTER_SLOTS && to.port >= 1 && to.port <= 65535);
    assert(!to.host[0] || redis_cluster_host_ok(to.host, strlen(to.host)));
    char back[REDIS_CLUSTER_HOST_SIZE + 32];
    int len = snprintf(back, sizeof(back), "%s %d %s:%d",
                       how == REDIS_CLUSTER_MOVED ? "MOVED" : "ASK", slot, to.host, to.port);
    assert(redis_cluster_redirect_of(back, (size_t)len, &slot2, &again) == how);
    assert(slot2 == slot && again.port == to.port && !strcmp(again.host, to.host));
}

static struct redis_cluster_map map;
static struct {
    const char *host; /* into the reply */
    size_t hostlen;
    int port;
} expected[REDIS_CLUSTER_SLOTS];

static void slot_map(const redisReply *r, void *arg)
{
    (void)arg;
    char err[256] = "";
    redis_cluster_map_init(&map);
    assert(redis_cluster_map_node(&map, ASKED, 7000) == 0);
    if (redis_cluster_map_read(&map, r, ASKED, err, sizeof(err)) < 0) {
        assert(strstr(err, "CLUSTER SLOTS"));
        for (int s = 0; s < REDIS_CLUSTER_SLOTS; s++)
            assert(map.owner[s] == -1);
        return;
    }
    assert(r->type == REDIS_REPLY_ARRAY);
    memset(expected, 0, sizeof(expected));
    for (size_t i = 0; i < r->elements; i++) { /* later ranges win, as in the reader */
        const redisReply *e = r->element[i], *m = e->element[2];
        const char *host = m->element[0]->str;
        size_t hostlen = m->element[0]->len;
        if (!hostlen || (hostlen == 1 && host[0] == '?'))
            host = ASKED, hostlen = strlen(ASKED);
        for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++) {
            assert(s >= 0 && s < REDIS_CLUSTER_SLOTS);
            expected[s].host = host;
            expected[s].hostlen = hostlen;
            expected[s].port = (int)m->element[1]->integer;
        }
    }
    assert(map.nnodes >= 1 && map.nnodes <= REDIS_CLUSTER_MAX_NODES);
    for (int s = 0; s < REDIS_CLUSTER_SLOTS; s++) {
        if (!expected[s].host) {
            assert(map.owner[s] == -1);
            continue;
        }
        assert(map.owner[s] >= 0 && map.owner[s] < map.nnodes && map.serves[map.owner[s]]);
        const struct redis_cluster_node *node = &map.nodes[map.owner[s]];
        assert(node->port == expected[s].port && node->port >= 1 && node->port <= 65535);
        assert(strlen(node->host) == expected[s].hostlen &&
               !memcmp(node->host, expected[s].host, expected[s].hostlen));
        assert(redis_cluster_host_ok(node->host, strlen(node->host)));
    }
}

static void command_key(const char *cmd, size_t n)
{
    size_t keylen = 0;
    const char *key = redis_cluster_command_key(cmd, n, &keylen);
    if (key) {
        assert(key >= cmd && key + keylen <= cmd + n);
        slot_of_key(key, keylen);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    const char *text = (const char *)data;
    slot_of_key(text, n);
    redirect(text, n);
    command_key(text, n);
    resp_each_reply(data, n, slot_map, NULL);
    return 0;
}
