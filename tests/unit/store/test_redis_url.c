/* test_redis_url.c - REDIS_URL as the Redis client reads it (redis_url_parse). */
#include <criterion/criterion.h>

#include "store/redis.h"

Test(redis_url, reads_sockets_hosts_ports_and_databases)
{
    struct redis_url u;
    char err[256];
    cr_assert_eq(redis_url_parse("unix:///tmp/fc/redis.sock", &u, err, sizeof(err)), 0);
    cr_assert(u.unix_socket);
    cr_assert_str_eq(u.host, "/tmp/fc/redis.sock");
    cr_assert_eq(redis_url_parse("redis://cache.internal", &u, err, sizeof(err)), 0);
    cr_assert(!u.unix_socket && u.port == 6379 && u.db == 0);
    cr_assert_str_eq(u.host, "cache.internal");
    cr_assert_eq(redis_url_parse("redis://10.0.0.7:6380/3", &u, err, sizeof(err)), 0);
    cr_assert_str_eq(u.host, "10.0.0.7");
    cr_assert(u.port == 6380 && u.db == 3);
}

/* Each URL is refused with an error that says what it should say. */
struct refused {
    const char *url, *says;
};

static void assert_refused(const struct refused *bad, size_t n)
{
    struct redis_url u;
    char err[256];
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(redis_url_parse(bad[i].url, &u, err, sizeof(err)), -1, "%s", bad[i].url);
        cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].url, err);
    }
}

Test(redis_url, refuses_what_it_cannot_use_and_says_why)
{
    static const struct refused bad[] = {
        {"redis://h:99999", "port must be a number from 1 to 65535"},
        {"redis://h:4294967296", "port must be"}, /* once read by %d: undefined */
        {"redis://h:", "port must be"},
        {"redis://h:6379/x", "database must be"},
        {"redis://:secret@h:6379", "password is not supported"},
        {"redis://", "expected redis://host:port"},
        {"unix://relative.sock", "expected unix:///absolute/path"},
        {"rediss://h:6380", "expected redis://, redis-cluster:// or unix://"},
    };
    assert_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

Test(redis_url, reads_a_clusters_nodes)
{
    struct redis_url u;
    char err[256];
    cr_assert_eq(redis_url_parse("redis-cluster://127.0.0.1:7001,127.0.0.1:7002,cache-3", &u, err,
                                 sizeof(err)),
                 0, "%s", err);
    cr_assert(u.cluster && !u.unix_socket);
    cr_assert_eq(u.nseeds, 3);
    cr_assert_str_eq(u.seeds[0].host, "127.0.0.1");
    cr_assert_eq(u.seeds[0].port, 7001);
    cr_assert_eq(u.seeds[1].port, 7002);
    cr_assert_str_eq(u.seeds[2].host, "cache-3");
    cr_assert_eq(u.seeds[2].port, 6379);
    cr_assert_str_eq(u.host, "127.0.0.1");
    cr_assert_eq(u.port, 7001);
}

Test(redis_url, refuses_a_cluster_it_cannot_use_and_says_why)
{
    static const struct refused bad[] = {
        {"redis-cluster://", "expected redis-cluster://host:port,host:port"},
        {"redis-cluster://a:1,", "expected redis-cluster://host:port,host:port"},
        {"redis-cluster://a:1,,b:2", "expected redis-cluster://"},
        {"redis-cluster://a:1/0", "no database number"},
        {"redis-cluster://a:0", "port must be"},
        {"redis-cluster://a:1,b:x", "port must be"},
        {"redis-cluster://:pw@a:1", "expected redis-cluster://"},
        {"redis-cluster://a,b,c,d,e,f,g,h,i", "at most 8 cluster nodes"},
    };
    assert_refused(bad, sizeof(bad) / sizeof(bad[0]));
}
