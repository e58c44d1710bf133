/* text.h - small text helpers: UTF-8 validation, URL decoding, strict integer parsing, ISO times.
 */
#ifndef FC_TEXT_H
#define FC_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/arena.h"

bool utf8_valid(const char *s, size_t n);
/* Characters (code points) in a valid UTF-8 string. */
size_t utf8_length(const char *s);
/* Decodes %XX and '+' into a fresh arena string; NULL when an escape is malformed. */
char *url_decode(struct arena *a, const char *s, size_t n);
/* Percent-encodes everything but unreserved characters. */
char *url_encode(struct arena *a, const char *s);
/* Whole-string base-10 parse within [lo, hi]; false on anything else (sign, spaces, overflow). */
bool parse_int64(const char *s, long long lo, long long hi, long long *out);
/* "2026-11-22T03:00:00Z" (also accepts a space for T, no Z, and "+00:00"); false when malformed. */
bool parse_iso_time(const char *s, time_t *out);
void format_iso_time(time_t t, char buf[21]);
/* An amount with thousands separators: 389800 -> "389,800", -5000 -> "-5,000". */
void format_grouped(long long v, char buf[28]);

#endif
