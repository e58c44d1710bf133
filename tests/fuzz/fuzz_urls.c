/* fuzz_urls.c - the REDIS_URL setting as the Redis client reads it (redis_url_parse): unix:///path,
 * redis://host[:port][/db] or redis-cluster://host[:port],... Checked: an accepted URL names an
 * absolute socket path, or hosts without ':', '/', ',' or '@', ports from 1 to 65535 and a
 * database from 0 to 1023; written back in full it reads back the same; a refused one says why,
 * naming REDIS_URL. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *url = malloc(n + 1);
    memcpy(url, data, n);
    url[n] = '\0';
    struct redis_url u, again;
    char err[512] = "", err2[512];
    if (redis_url_parse(url, &u, err, sizeof(err)) == 0) {
        if (u.unix_socket) {
            assert(u.host[0] == '/');
        } else if (u.cluster) {
            assert(u.nseeds >= 1 && u.nseeds <= REDIS_URL_MAX_SEEDS && u.db == 0);
            char *back = malloc(strlen(url) + 64 * REDIS_URL_MAX_SEEDS), *end = back;
            end += sprintf(end, "redis-cluster://");
            for (int i = 0; i < u.nseeds; i++) {
                assert(u.seeds[i].host[0] && !strpbrk(u.seeds[i].host, ":/,@"));
                assert(u.seeds[i].port >= 1 && u.seeds[i].port <= 65535);
                end += sprintf(end, "%s%s:%d", i ? "," : "", u.seeds[i].host, u.seeds[i].port);
            }
            assert(redis_url_parse(back, &again, err2, sizeof(err2)) == 0 && again.cluster);
            assert(again.nseeds == u.nseeds);
            for (int i = 0; i < u.nseeds; i++)
                assert(!strcmp(again.seeds[i].host, u.seeds[i].host) &&
                       again.seeds[i].port == u.seeds[i].port);
            free(back);
        } else {
            assert(u.host[0] && !strpbrk(u.host, ":/@"));
            assert(u.port >= 1 && u.port <= 65535 && u.db >= 0 && u.db <= 1023);
            char *back = malloc(strlen(u.host) + 64);
            sprintf(back, "redis://%s:%d/%d", u.host, u.port, u.db);
            assert(redis_url_parse(back, &again, err2, sizeof(err2)) == 0);
            assert(!strcmp(again.host, u.host) && again.port == u.port && again.db == u.db);
            free(back);
        }
    } else {
        assert(strstr(err, "REDIS_URL"));
    }
    free(url);
    return 0;
}
