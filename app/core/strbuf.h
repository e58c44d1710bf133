/* strbuf.h - growable byte buffer that lives in an arena. */
#ifndef FC_STRBUF_H
#define FC_STRBUF_H
#include <stdarg.h>
#include <stddef.h>

#include "core/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The bytes belong to the arena; the buffer is always NUL terminated. */
struct strbuf {
    struct arena *a;
    char *s;
    size_t len, cap;
};

void sb_init(struct strbuf *sb, struct arena *a, size_t cap);
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON value, compact, in one pass (json_dumpb would need a second one to size it). */
struct json_t;
void sb_add_json(struct strbuf *sb, const struct json_t *v);

#ifdef __cplusplus
}
#endif
#endif
