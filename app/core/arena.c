/* arena.c - bump allocator for per-request and per-message memory, freed in one go. */
#include "core/arena.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    struct arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

static struct arena_chunk *chunk_new(size_t size)
{
    struct arena_chunk *c = size > SIZE_MAX - sizeof(*c) ? NULL : malloc(sizeof(*c) + size);
    if (!c) {
        fputs("arena: out of memory\n", stderr);
        abort();
    }
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void arena_init(struct arena *a, size_t chunk_size)
{
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->head = NULL;
    a->used_total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n > SIZE_MAX - 15 - sizeof(struct arena_chunk)) {
        fputs("arena: allocation size overflows\n", stderr);
        abort();
    }
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        if (n > a->chunk_size / 4) {
            /* A large block gets its own chunk behind the head so the head keeps its room. */
            struct arena_chunk *big = chunk_new(n);
            big->used = n;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            a->used_total += n;
            return big->data;
        }
        c = chunk_new(a->chunk_size);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used_total += n;
    return p;
}

void *arena_calloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return arena_strdup(a, "");
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_reset(struct arena *a)
{
    struct arena_chunk *keep = NULL, *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        if (!keep && c->size == a->chunk_size) {
            keep = c;
            keep->used = 0;
            keep->next = NULL;
        } else {
            free(c);
        }
        c = next;
    }
    a->head = keep;
    a->used_total = 0;
}

void arena_free(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

/* jansson allocates from the current arena and never frees: every json_t of a request dies
 * with the request's arena. Outside a request, the process arena holds them for good, so only
 * bounded, startup-time JSON may be built there. */
static struct arena process_arena;
static struct arena *json_arena;

void json_use_arena(struct arena *a)
{
    json_arena = a;
}

struct arena *json_current_arena(void)
{
    return json_arena;
}

static void *json_arena_malloc(size_t n)
{
    return arena_alloc(json_arena ? json_arena : &process_arena, n);
}

static void json_arena_free(void *p)
{
    (void)p;
}

void json_alloc_init(void)
{
    arena_init(&process_arena, 64 * 1024);
    json_set_alloc_funcs(json_arena_malloc, json_arena_free);
}

void json_alloc_plain_begin(void)
{
    json_set_alloc_funcs(malloc, free);
}

void json_alloc_plain_end(void)
{
    json_set_alloc_funcs(json_arena_malloc, json_arena_free);
}
