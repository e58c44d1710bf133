/* resp_limit.h - what the targets that read Redis replies leave out. */
#ifndef FC_FUZZ_RESP_LIMIT_H
#define FC_FUZZ_RESP_LIMIT_H
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

#endif
