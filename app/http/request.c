/* request.c - one HTTP request as the handlers see it, and the response they build. */
#include "http/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/text.h"

void req_init(struct request *r, struct arena *a)
{
    memset(r, 0, sizeof(*r));
    r->a = a;
    r->status = 200;
    r->route_id = -1;
    sb_init(&r->out_headers, a, 256);
    sb_init(&r->out, a, 4096);
}

const char *req_query(struct request *r, const char *key)
{
    return kv_get(&r->query, key);
}

bool req_content_type_is(const struct request *r, const char *type)
{
    size_t n = strlen(type);
    return r->content_type && strncasecmp(r->content_type, type, n) == 0 &&
           (r->content_type[n] == '\0' || r->content_type[n] == ';' || r->content_type[n] == ' ');
}

const char *req_form(struct request *r, const char *key)
{
    if (!r->form) {
        r->form = arena_calloc(r->a, sizeof(*r->form));
        if (req_content_type_is(r, "application/x-www-form-urlencoded") &&
            kv_parse_urlencoded(r->a, r->body, r->body_len, r->form) < 0)
            r->form->n = 0;
    }
    return kv_get(r->form, key);
}

/* The FastCGI parameter `prefix name`; NULL when absent. */
static const char *env_get(char *const *env, const char *prefix, const char *name)
{
    size_t p = strlen(prefix), n = strlen(name);
    for (char *const *e = env; e && *e; e++)
        if (!strncmp(*e, prefix, p) && !strncmp(*e + p, name, n) && (*e)[p + n] == '=')
            return *e + p + n + 1;
    return NULL;
}

const char *req_header(const struct request *r, const char *cgi_name)
{
    return env_get(r->env, "HTTP_", cgi_name);
}

int req_assemble(struct request *r, char **env)
{
    r->env = env;
    const char *v;
    r->method = (v = env_get(env, "", "REQUEST_METHOD")) ? v : "";
    r->query_string = (v = env_get(env, "", "QUERY_STRING")) ? v : "";
    r->content_type = env_get(env, "", "CONTENT_TYPE");
    r->remote_addr = (v = env_get(env, "", "REMOTE_ADDR")) ? v : "";
    r->cookie_header = env_get(env, "", "HTTP_COOKIE");
    r->authorization = env_get(env, "", "HTTP_AUTHORIZATION");
    /* DOCUMENT_URI is the decoded path without the query string. */
    r->path = (v = env_get(env, "", "DOCUMENT_URI")) && *v ? v
              : (v = env_get(env, "", "SCRIPT_NAME"))      ? v
                                                           : "";
    r->html = strncmp(r->path, "/api/", 5) != 0;
    r->content_length = 0;
    const char *cl = env_get(env, "", "CONTENT_LENGTH");
    if (cl && *cl && !parse_int64(cl, 0, (long long)1 << 40, &r->content_length)) {
        resp_error(r, 400, "bad_body", "the Content-Length is not a number of bytes");
        return 400;
    }
    if (!utf8_valid(r->path, strlen(r->path))) {
        resp_error(r, 400, "bad_path", "the path is not valid UTF-8");
        return 400;
    }
    if (kv_parse_urlencoded(r->a, r->query_string, strlen(r->query_string), &r->query) < 0) {
        resp_error(r, 400, "bad_query", "the query string has a malformed escape or is not UTF-8");
        return 400;
    }
    return 0;
}

/* The value of the next cookie from *p named `name` (or, with prefix, whose name starts with
 * it) and *len its length; NULL when none is left. *p moves past it. */
static const char *next_cookie(const char **p, const char *name, bool prefix, size_t *len)
{
    size_t n = strlen(name);
    while (*p && **p) {
        while (**p == ' ' || **p == ';')
            (*p)++;
        const char *start = *p, *end = strchr(start, ';');
        if (!end)
            end = start + strlen(start);
        *p = end;
        const char *eq = memchr(start, '=', (size_t)(end - start));
        size_t named = eq ? (size_t)(eq - start) : 0;
        if (!eq || named < n || (!prefix && named != n) || strncmp(start, name, n) != 0)
            continue;
        *len = (size_t)(end - eq - 1);
        return eq + 1;
    }
    return NULL;
}

const char *req_cookie(struct request *r, const char *name)
{
    const char *p = r->cookie_header;
    size_t len;
    const char *v = next_cookie(&p, name, false, &len);
    return v ? arena_strndup(r->a, v, len) : NULL;
}

const char *req_cookies_named(struct request *r, const char *prefix)
{
    const char *p = r->cookie_header, *v;
    size_t len;
    struct strbuf all;
    sb_init(&all, r->a, 256);
    while ((v = next_cookie(&p, prefix, true, &len))) {
        if (all.len)
            sb_addc(&all, ' ');
        sb_add(&all, v, len);
    }
    return all.len ? all.s : NULL;
}

long long req_param_id(struct request *r, int idx)
{
    long long v;
    if (idx >= r->nparams || !parse_int64(r->params[idx], 1, 9007199254740991LL, &v))
        return -1;
    return v;
}

void resp_header(struct request *r, const char *name, const char *value)
{
    sb_printf(&r->out_headers, "%s: %s\r\n", name, value);
}

static resp_error_fn error_writer;

void resp_set_error_writer(resp_error_fn write)
{
    error_writer = write;
}

bool req_flush(struct request *r)
{
    return r->flush && r->flush(r);
}

void resp_reset_body(struct request *r)
{
    r->out.len = 0;
    r->out.s[0] = '\0';
}

void resp_error(struct request *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message cut at the buffer's end may end inside a character: drop the partial one,
     * so the writer is always handed valid UTF-8. */
    size_t n = strlen(msg);
    while (n > 0 && !utf8_valid(msg, n))
        msg[--n] = '\0';
    if (error_writer) {
        error_writer(r, status, code, msg);
        return;
    }
    r->status = status;
    r->out_type = "text/plain; charset=utf-8";
    resp_reset_body(r);
    sb_printf(&r->out, "%s: %s\n", code, msg);
}

void resp_text(struct request *r, int status, const char *type, const char *text)
{
    r->status = status;
    r->out_type = type;
    resp_reset_body(r);
    sb_adds(&r->out, text);
}

void resp_redirect(struct request *r, const char *location)
{
    r->status = 303;
    r->out_type = "text/plain; charset=utf-8";
    resp_header(r, "Location", location);
    resp_reset_body(r);
}

void resp_no_content(struct request *r)
{
    r->status = 204;
    r->out_type = NULL;
    resp_reset_body(r);
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}
