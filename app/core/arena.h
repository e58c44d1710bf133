/* arena.h - bump allocator for per-request and per-message memory, freed in one go. */
#ifndef FC_ARENA_H
#define FC_ARENA_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An arena owns every block handed out by arena_alloc() until arena_reset() or arena_free().
 * It is not thread safe; one arena belongs to one request or one worker loop at a time. */
struct arena_chunk;
struct arena {
    struct arena_chunk *head; /* newest chunk first */
    size_t chunk_size;        /* default size of a fresh chunk */
    size_t used_total;        /* bytes handed out since the last reset, for metrics */
};

void arena_init(struct arena *a, size_t chunk_size);
void *arena_alloc(struct arena *a, size_t n); /* 16-byte aligned; aborts on OOM */
void *arena_calloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s); /* NULL stays NULL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), nonnull(2)));
/* Keeps the first chunk (so a steady request costs no malloc), frees the rest. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/* The arena that jansson allocates from (see json_use_arena); NULL means the process arena. */
void json_use_arena(struct arena *a);
struct arena *json_current_arena(void);
void json_alloc_init(void);
/* Libraries that use jansson themselves and free its results with free() (libjwt 1.10) must
 * run between these two: jansson allocates with malloc meanwhile. Not reentrant. */
void json_alloc_plain_begin(void);
void json_alloc_plain_end(void);

#ifdef __cplusplus
}
#endif
#endif
