/* test_redis_cluster.c - Redis Cluster's routing rules as the client follows them
 * (store/redis_cluster.c), against the examples of the Redis Cluster specification. */
#include <criterion/criterion.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <string.h>

#include "store/redis_cluster.h"

static int slot_of(const char *key)
{
    return redis_cluster_slot(key, strlen(key));
}

static const char *tag_of(const char *key, char *buf)
{
    size_t n;
    const char *t = redis_cluster_hash_tag(key, strlen(key), &n);
    memcpy(buf, t, n);
    buf[n] = '\0';
    return buf;
}

Test(redis_cluster, crc16_is_the_specifications_xmodem_checksum)
{
    cr_assert_eq(redis_cluster_crc16("123456789", 9), 0x31C3);
    cr_assert_eq(redis_cluster_crc16("", 0), 0);
    cr_assert_eq(slot_of("123456789"), 0x31C3 % 16384);
    cr_assert_eq(slot_of("123456789"), 12739);
}

Test(redis_cluster, slots_match_what_redis_answers_to_cluster_keyslot)
{
    /* CLUSTER KEYSLOT on a redis-server 7 */
    cr_assert_eq(slot_of("foo"), 12182);
    cr_assert_eq(slot_of("bar"), 5061);
    cr_assert_eq(slot_of("{p:1}:stock"), slot_of("p:1"));
    cr_assert_eq(slot_of("{c:7}:meta"), slot_of("{c:7}:claimed"));
}

Test(redis_cluster, keys_with_one_hash_tag_share_a_slot)
{
    cr_assert_eq(slot_of("{user1000}.following"), slot_of("{user1000}.followers"));
    cr_assert_eq(slot_of("{user1000}.following"), slot_of("user1000"));
}

Test(redis_cluster, the_hash_tag_is_the_first_non_empty_braces)
{
    char buf[64];
    cr_assert_str_eq(tag_of("{user1000}.following", buf), "user1000");
    cr_assert_str_eq(tag_of("foo{}{bar}", buf), "foo{}{bar}"); /* empty: the whole key */
    cr_assert_str_eq(tag_of("foo{{bar}}zap", buf), "{bar");
    cr_assert_str_eq(tag_of("foo{bar}{zap}", buf), "bar");
    cr_assert_str_eq(tag_of("foo{bar", buf), "foo{bar"); /* never closed */
    cr_assert_str_eq(tag_of("foo}bar{", buf), "foo}bar{");
    cr_assert_str_eq(tag_of("{p:42}:stock", buf), "p:42");
    cr_assert_eq(slot_of("foo{}{bar}"), redis_cluster_crc16("foo{}{bar}", 10) % 16384);
    cr_assert_eq(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    cr_assert_eq(slot_of("foo{bar}{zap}"), slot_of("bar"));
}

/* A reply tree as the connection would make it from RESP bytes. */
static redisReply *reply_of_n(const char *resp, size_t len)
{
    redisReader *rd = redisReaderCreate();
    void *r = NULL;
    redisReaderFeed(rd, resp, len);
    cr_assert_eq(redisReaderGetReply(rd, &r), REDIS_OK);
    cr_assert_not_null(r);
    redisReaderFree(rd);
    return r;
}

static redisReply *reply_of(const char *resp)
{
    return reply_of_n(resp, strlen(resp));
}

static struct redis_cluster_map map;

Test(redis_cluster, the_map_gives_each_range_to_its_master)
{
    /* Three masters; the second range has a replica, known but owning nothing. */
    redisReply *r =
        reply_of("*3\r\n"
                 "*3\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$2\r\nid\r\n"
                 "*4\r\n:5461\r\n:10922\r\n*3\r\n$9\r\n127.0.0.1\r\n:7002\r\n$2\r\nid\r\n"
                 "*3\r\n$9\r\n127.0.0.1\r\n:7004\r\n$2\r\nid\r\n"
                 "*3\r\n:10923\r\n:16383\r\n*3\r\n$0\r\n\r\n:7003\r\n$2\r\nid\r\n");
    char err[256];
    redis_cluster_map_init(&map);
    cr_assert_eq(redis_cluster_map_node(&map, "10.0.0.9", 7000), 0); /* a seed */
    cr_assert_eq(redis_cluster_map_read(&map, r, "10.0.0.9", err, sizeof(err)), 0, "%s", err);
    freeReplyObject(r);
    cr_assert_eq(map.nnodes, 5);
    cr_assert(!map.serves[0]); /* the seed was only asked */
    cr_assert_eq(map.nodes[4].port, 7004, "the replica is known, after the masters");
    cr_assert(!map.serves[4]);
    for (int s = 0; s < REDIS_CLUSTER_SLOTS; s++)
        cr_assert_neq(map.owner[s], 4, "a replica owns no slot");
    cr_assert_str_eq(map.nodes[map.owner[0]].host, "127.0.0.1");
    cr_assert_eq(map.nodes[map.owner[0]].port, 7001);
    cr_assert_eq(map.nodes[map.owner[5460]].port, 7001);
    cr_assert_eq(map.nodes[map.owner[5461]].port, 7002);
    cr_assert_eq(map.nodes[map.owner[10922]].port, 7002);
    /* no address given: the host the reply came from */
    cr_assert_str_eq(map.nodes[map.owner[16383]].host, "10.0.0.9");
    cr_assert_eq(map.nodes[map.owner[16383]].port, 7003);
    int seven_002 = map.owner[5461];
    r = reply_of("*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:7002\r\n$2\r\nid\r\n");
    cr_assert_eq(redis_cluster_map_read(&map, r, "10.0.0.9", err, sizeof(err)), 0);
    freeReplyObject(r);
    cr_assert_eq(map.owner[0], seven_002, "a node keeps its index when read again");
    int serving = 0;
    for (int i = 0; i < map.nnodes; i++)
        serving += map.serves[i];
    cr_assert_eq(serving, 1, "only masters of the last read serve");
}

Test(redis_cluster, a_map_that_is_not_one_is_refused_and_leaves_no_owner)
{
#define RESP(s)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
    static const struct {
        const char *resp;
        size_t len;
    } bad[] = {
        RESP("-ERR This instance has cluster support disabled\r\n"),
        RESP("*1\r\n*2\r\n:0\r\n:100\r\n"),
        RESP("*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n"),
        RESP("*1\r\n*3\r\n:9\r\n:3\r\n*2\r\n$1\r\nh\r\n:1\r\n"),
        RESP("*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$1\r\nh\r\n:0\r\n"),
        RESP("*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$3\r\na b\r\n:1\r\n"),  /* not a host */
        RESP("*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$3\r\na\0b\r\n:1\r\n"), /* "a" and more */
        RESP("*2\r\n*3\r\n:0\r\n:3\r\n*2\r\n$1\r\nh\r\n:1\r\n*1\r\n:4\r\n"),
    };
#undef RESP
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        redisReply *r = reply_of_n(bad[i].resp, bad[i].len);
        redis_cluster_map_init(&map);
        cr_assert_eq(redis_cluster_map_read(&map, r, "h", err, sizeof(err)), -1, "%zu", i);
        cr_assert(strstr(err, "CLUSTER SLOTS"), "%s", err);
        for (int s = 0; s < REDIS_CLUSTER_SLOTS; s++)
            cr_assert_eq(map.owner[s], -1);
        freeReplyObject(r);
    }
}

Test(redis_cluster, moved_and_ask_name_the_slot_and_the_node)
{
    struct redis_cluster_node to;
    int slot;
    const char *moved = "MOVED 3999 127.0.0.1:6381";
    cr_assert_eq(redis_cluster_redirect_of(moved, strlen(moved), &slot, &to), REDIS_CLUSTER_MOVED);
    cr_assert_eq(slot, 3999);
    cr_assert_str_eq(to.host, "127.0.0.1");
    cr_assert_eq(to.port, 6381);
    const char *ask = "ASK 12739 ::1:7002";
    cr_assert_eq(redis_cluster_redirect_of(ask, strlen(ask), &slot, &to), REDIS_CLUSTER_ASK);
    cr_assert_eq(slot, 12739);
    cr_assert_str_eq(to.host, "::1");
    cr_assert_eq(to.port, 7002);
    const char *no_host = "MOVED 1 :7003";
    cr_assert_eq(redis_cluster_redirect_of(no_host, strlen(no_host), &slot, &to),
                 REDIS_CLUSTER_MOVED);
    cr_assert_str_eq(to.host, "");
    cr_assert_eq(to.port, 7003);
}

Test(redis_cluster, other_errors_and_malformed_redirections_are_not_redirections)
{
    static const char *const other[] = {
        "NOSCRIPT No matching script",
        "CROSSSLOT Keys don't hash",
        "MOVED 16384 127.0.0.1:1",
        "MOVED 1 127.0.0.1:0",
        "MOVED 1 127.0.0.1",
        "ASK x 127.0.0.1:7000",
        "MOVEDX 1 127.0.0.1:7000",
        "MOVED 4294967301 h:1", /* sscanf's %d read this as slot 5 */
        "MOVED  1 h:1",
        "MOVED +1 h:1",
        "MOVED 1 h:+1",
        "MOVED 1 h:1 ",
        "MOVED 1 a b:1",
        "MOVED 1 h:65536",
        "TRYAGAINX 1 h:1",
    };
    struct redis_cluster_node to;
    int slot;
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        cr_assert_eq(redis_cluster_redirect_of(other[i], strlen(other[i]), &slot, &to),
                     REDIS_CLUSTER_NONE, "%s", other[i]);
}

Test(redis_cluster, tryagain_is_told_apart_from_other_errors)
{
    struct redis_cluster_node to;
    int slot = -1;
    const char *again = "TRYAGAIN Multiple keys request during rehashing of slot";
    cr_assert_eq(redis_cluster_redirect_of(again, strlen(again), &slot, &to),
                 REDIS_CLUSTER_TRYAGAIN);
    cr_assert_eq(redis_cluster_redirect_of("TRYAGAIN", 8, &slot, &to), REDIS_CLUSTER_TRYAGAIN);
    cr_assert_eq(slot, -1, "no slot is read from it");
}

static const char *key_of(int argc, const char **argv, char *buf)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    size_t n;
    const char *k = redis_cluster_command_key(cmd, (size_t)len, &n);
    if (k) {
        memcpy(buf, k, n);
        buf[n] = '\0';
    }
    redisFreeCommand(cmd);
    return k ? buf : NULL;
}

Test(redis_cluster, a_command_is_routed_by_its_first_key)
{
    char buf[64];
    const char *get[] = {"GET", "{p:1}:stock"};
    cr_assert_str_eq(key_of(2, get, buf), "{p:1}:stock");
    const char *mget[] = {"MGET", "a", "b"};
    cr_assert_str_eq(key_of(3, mget, buf), "a");
    const char *evalsha[] = {"EVALSHA", "0123", "2", "{c:7}:meta", "{c:7}:claimed", "42"};
    cr_assert_str_eq(key_of(6, evalsha, buf), "{c:7}:meta");
    const char *eval[] = {"eval", "return 1", "1", "k"};
    cr_assert_str_eq(key_of(4, eval, buf), "k");
}

Test(redis_cluster, commands_without_a_key_concern_every_master)
{
    char buf[64];
    const char *ping[] = {"PING"};
    cr_assert_null(key_of(1, ping, buf));
    const char *load[] = {"SCRIPT", "LOAD", "return 1"};
    cr_assert_null(key_of(3, load, buf));
    const char *keyless_eval[] = {"EVALSHA", "0123", "0", "arg"};
    cr_assert_null(key_of(4, keyless_eval, buf));
    const char *info[] = {"info", "server"};
    cr_assert_null(key_of(2, info, buf));
    cr_assert_null(redis_cluster_command_key("*2\r\n$3\r\nGET\r\n$9\r\nshort", 26, &(size_t){0}));
}
