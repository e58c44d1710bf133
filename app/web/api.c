/* api.c - the JSON API's side of a request: its body decoded once, within limits. */
#include "web/api.h"

#include <stdbool.h>

long api_body_values(const char *s, size_t len, long limit)
{
    long n = 1;
    bool in_string = false;
    for (size_t i = 0; i < len && n <= limit; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[' || c == ',') {
            n++;
        }
    }
    return n;
}

/* What is wrong with a body jansson refused, in the API's words (its own text names its flags). */
static const char *json_problem(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_stack_overflow:
        return "it is nested too deeply";
    case json_error_invalid_utf8:
        return "it is not valid UTF-8";
    case json_error_premature_end_of_input:
        return "it ends too early";
    case json_error_end_of_input_expected:
        return "more follows the JSON value";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "a string holds \\u0000, which is not accepted";
    case json_error_duplicate_key:
        return "an object has the same key twice";
    case json_error_numeric_overflow:
        return "a number is too large";
    default:
        return "its syntax is wrong";
    }
}

json_t *api_body(struct request *r)
{
    if (r->json)
        return r->json;
    if (r->body_len == 0) {
        resp_error(r, 400, "invalid_json", "the request body is empty; send a JSON object");
        return NULL;
    }
    if (r->content_type && !req_content_type_is(r, "application/json")) {
        resp_error(r, 415, "unsupported_media_type", "send the body as application/json");
        return NULL;
    }
    if (api_body_values(r->body, r->body_len, API_BODY_MAX_VALUES) > API_BODY_MAX_VALUES) {
        resp_error(r, 413, "json_too_large", "the JSON body holds more than %d values",
                   API_BODY_MAX_VALUES);
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        resp_error(r, 400, "invalid_json", "the body is not valid JSON: %s (at byte %d)",
                   json_problem(&e), e.position);
        return NULL;
    }
    if (!json_is_object(j)) {
        resp_error(r, 400, "invalid_json", "the body must be a JSON object");
        return NULL;
    }
    r->json = j;
    return j;
}
