/* resp.h - RESP bytes made into replies by hiredis's reader as a connection makes them, for the
 * targets that read Redis replies, and what those targets leave out. */
#ifndef FC_FUZZ_RESP_H
#define FC_FUZZ_RESP_H
#include <assert.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a line announces an array of more than 1024 elements: Debian's hiredis (0.14) has no
 * limit and allocates what it is told, and our scripts' replies are small. */
static inline bool resp_too_long(const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (data[i] == '*' && (i == 0 || data[i - 1] == '\n')) {
            long long k = 0;
            for (size_t j = i + 1; j < n && data[j] >= '0' && data[j] <= '9' && k <= 1024; j++)
                k = k * 10 + (data[j] - '0');
            if (k > 1024)
                return true;
        }
    return false;
}

/* Every whole reply the bytes hold, handed to read one after another as a connection reads
 * them (nothing when an array announced is too long). */
static inline void resp_each_reply(const uint8_t *data, size_t n,
                                   void (*read)(const redisReply *r, void *arg), void *arg)
{
    if (resp_too_long(data, n))
        return;
    redisReader *rd = redisReaderCreate();
    assert(rd);
    rd->maxbuf = 0;
    if (redisReaderFeed(rd, (const char *)data, n) == REDIS_OK) {
        void *reply = NULL;
        while (redisReaderGetReply(rd, &reply) == REDIS_OK && reply) {
            read(reply, arg);
            freeReplyObject(reply);
            reply = NULL;
        }
    }
    redisReaderFree(rd);
}

#endif
