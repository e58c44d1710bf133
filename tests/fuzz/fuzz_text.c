/* fuzz_text.c - the text helpers every handler trusts: UTF-8 validation and length, strict
 * integers, ISO times (and their round trip), grouped amounts. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, data, n);
    s[n] = '\0';
    if (utf8_valid(s, strlen(s)))
        (void)utf8_length(s);
    long long v;
    if (parse_int64(s, LLONG_MIN, LLONG_MAX, &v)) {
        char buf[28];
        format_grouped(v, buf);
    }
    time_t t;
    if (parse_iso_time(s, &t)) {
        char iso[21];
        time_t again;
        format_iso_time(t, iso);
        if (t >= 0 && t < 253402300800LL && (!parse_iso_time(iso, &again) || again != t))
            __builtin_trap(); /* what it writes, it reads back */
    }
    free(s);
    return 0;
}
