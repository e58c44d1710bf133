/* strbuf.c - growable byte buffer that lives in an arena. */
#include "core/strbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

void sb_init(struct strbuf *sb, struct arena *a, size_t cap)
{
    sb->a = a;
    sb->cap = cap ? cap : 256;
    sb->s = arena_alloc(a, sb->cap);
    sb->s[0] = '\0';
    sb->len = 0;
}

static void sb_grow(struct strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap * 2;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *s = arena_alloc(sb->a, cap);
    memcpy(s, sb->s, sb->len + 1);
    sb->s = s;
    sb->cap = cap;
}

void sb_add(struct strbuf *sb, const char *s, size_t n)
{
    sb_grow(sb, n);
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
    sb_add(sb, &c, 1);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sb_grow(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

static int add_dumped(const char *s, size_t n, void *sb)
{
    sb_add(sb, s, n);
    return 0;
}

void sb_add_json(struct strbuf *sb, const json_t *v)
{
    json_dump_callback(v, add_dumped, sb, JSON_COMPACT);
}
