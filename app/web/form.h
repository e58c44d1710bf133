/* form.h - reading a page's form (fields, the next page) and the outcome line it shows. What
 * these return lives in the request's arena. */
#ifndef FC_WEB_FORM_H
#define FC_WEB_FORM_H
#include <jansson.h>

#include "core/err.h"
#include "http/request.h"

/* next when it is a path on this site (a redirect target never leaves it, and never carries a
 * line break into the Location header), else fallback. */
const char *form_next_path(const char *next, const char *fallback);
/* A form as an API body: the named text fields (NULL-terminated) as strings, a datetime-local
 * value with seconds and a Z added (admin forms are in UTC); the named number fields as
 * integers, or as the text typed when it is not one, so that the domain refuses it by name.
 * Empty fields are left out. */
json_t *form_body(struct request *r, const char *const *text, const char *const *nums);
/* The outcome line a form's page shows: {tone: success, message: done}, or when done is NULL
 * {tone: error, message: the error's}. */
json_t *form_outcome(const char *done, const struct err *e);

#endif
