/* fuzz_urlencoded.c - the query string and form parser (kv_parse_urlencoded), which decodes
 * %XX and '+' (url_decode) and checks UTF-8: every query string and every form body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/kvlist.h"
#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct arena a;
    struct kvlist kv = {0};
    arena_init(&a, 4096);
    if (kv_parse_urlencoded(&a, (const char *)data, n, &kv) == 0) {
        for (size_t i = 0; i < kv.n; i++) { /* what it hands on is valid text, and found again */
            if (!utf8_valid(kv.items[i].key, strlen(kv.items[i].key)) ||
                !utf8_valid(kv.items[i].val, strlen(kv.items[i].val)) ||
                !kv_get(&kv, kv.items[i].key))
                __builtin_trap();
        }
    }
    char *dec = url_decode(&a, (const char *)data, n);
    if (dec)
        url_encode(&a, dec);
    arena_free(&a);
    return 0;
}
