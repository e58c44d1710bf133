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

Test(redis_url, refuses_what_it_cannot_use_and_says_why)
{
    struct redis_url u;
    char err[256];
    static const struct {
        const char *url, *says;
    } bad[] = {
        {"redis://h:99999", "port must be a number from 1 to 65535"},
        {"redis://h:4294967296", "port must be"}, /* once read by %d: undefined */
        {"redis://h:", "port must be"},
        {"redis://h:6379/x", "database must be"},
        {"redis://:secret@h:6379", "password is not supported"},
        {"redis://", "expected redis://host:port"},
        {"unix://relative.sock", "expected unix:///absolute/path"},
        {"rediss://h:6380", "expected redis:// or unix://"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(redis_url_parse(bad[i].url, &u, err, sizeof(err)), -1, "%s", bad[i].url);
        cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].url, err);
    }
}
