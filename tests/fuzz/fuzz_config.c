/* fuzz_config.c - a setting's text from the environment, as config_load reads it (config_set):
 * whole numbers within a setting's bounds (an int and the long MAX_BODY), the fraction
 * PAYMENT_FAILURE_RATE, the on/off RATE_LIMITS. The first byte chooses the setting, the rest is
 * its text. Checked: a value accepted is within the setting's bounds (a fraction is a number from
 * 0 to 1, never NaN); a value refused leaves the setting as it was, with a message that names it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

/* Some settings of each kind, with the bounds of config.c's table. */
static const struct {
    const char *name;
    char kind; /* i int, l long, d double, b on/off */
    void *dst;
    double lo, hi;
} settings[] = {
    {"HTTP_PORT", 'i', &cfg.http_port, 1, 65535},
    {"ACCESS_TOKEN_TTL", 'i', &cfg.access_token_ttl, 1, 86400},
    {"PASSWORD_HASH_MEM_KB", 'i', &cfg.password_hash_mem_kb, 8192, 1048576},
    {"RETURN_WINDOW", 'i', &cfg.return_window, 0, 86400000},
    {"MAX_BODY", 'l', &cfg.max_body, 1, 1073741824},
    {"PAYMENT_FAILURE_RATE", 'd', &cfg.payment_failure_rate, 0, 1},
    {"RATE_LIMITS", 'b', &cfg.rate_limits, 0, 1},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static double value_of(size_t i)
{
    switch (settings[i].kind) {
    case 'l':
        return (double)*(long *)settings[i].dst;
    case 'd':
        return *(double *)settings[i].dst;
    default:
        return (double)*(int *)settings[i].dst;
    }
}

static void set_value(size_t i, double v)
{
    switch (settings[i].kind) {
    case 'l':
        *(long *)settings[i].dst = (long)v;
        break;
    case 'd':
        *(double *)settings[i].dst = v;
        break;
    default:
        *(int *)settings[i].dst = (int)v;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1)
        return 0;
    size_t i = data[0] % NSETTINGS;
    char *text = malloc(n), err[256] = "";
    memcpy(text, data + 1, n - 1);
    text[n - 1] = '\0';
    set_value(i, settings[i].lo); /* a value to find again after a refusal */
    if (config_set(settings[i].name, text, err, sizeof(err)) == 0) {
        double v = value_of(i);
        assert(v >= settings[i].lo && v <= settings[i].hi);
        if (settings[i].kind != 'd')
            assert(settings[i].kind == 'b' || strtol(text, NULL, 10) == (long)v);
    } else {
        assert(value_of(i) == settings[i].lo);
        assert(!strncmp(err, settings[i].name, strlen(settings[i].name)));
    }
    free(text);
    return 0;
}
