/* tool.c - what every one-shot `firstcome` command does before its own work. */
#include "tools/tools.h"

#include <sodium.h>

#include "core/log.h"
#include "store/db.h"
#include "store/redis.h"

int tool_begin(const char *role, struct arena *a, int stores)
{
    char err[512];
    log_set_role(role);
    arena_init(a, 16 * 1024);
    json_use_arena(a);
    if (((stores & TOOL_DB) && db_connect(err, sizeof(err)) < 0) ||
        ((stores & TOOL_REDIS) && redis_connect(err, sizeof(err)) < 0)) {
        log_error("%s", err);
        return -1;
    }
    return 0;
}

void tool_random_password(char out[static 40])
{
    unsigned char raw[12];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 40, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
