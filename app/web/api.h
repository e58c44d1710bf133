/* api.h - the JSON API's side of a request: its body decoded once, within limits. The decoded
 * value lives in the request's arena (jansson allocates there) and dies with the request. */
#ifndef FC_WEB_API_H
#define FC_WEB_API_H
#include <jansson.h>
#include <stddef.h>

#include "http/request.h"

/* The most values (objects, arrays, members, elements) a JSON body may hold: a request's parse
 * lives in its arena until the answer is sent, and a 1 MiB body of "{}," would otherwise cost
 * some 90 MiB per worker. Larger bodies are answered 413 `json_too_large` before parsing. */
#define API_BODY_MAX_VALUES 10000

/* The JSON body as an object; on failure the 400/413/415 answer is already set and NULL is
 * returned. Later calls return the same object. */
json_t *api_body(struct request *r);
/* How many values the JSON text holds, counted without parsing it (at most limit + 1). */
long api_body_values(const char *s, size_t len, long limit);

#endif
