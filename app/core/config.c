/* config.c - every setting, read once from the environment with defaults derived from STATE_DIR. */
#include "core/config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct config cfg;

#define JWT_SECRET_MIN 32 /* bytes: HS256 with a shorter key can be brute-forced offline */

enum kind { K_STR, K_INT, K_DOUBLE, K_BOOL };

/* One row per setting: the table is the documentation (see `firstcome config`). A default of
 * the form "@name" is computed by resolve_default() from the rows above it, so order matters. */
struct setting {
    const char *name;
    enum kind kind;
    void *dst;
    const char *def;
    long lo, hi;
    int secret;
    const char *help;
};

static struct setting settings[] = {
    {"STATE_DIR", K_STR, &cfg.state_dir, "./.run", 0, 0, 0,
     "where every process keeps data, sockets, logs, pids"},
    {"APP_ROOT", K_STR, &cfg.app_root, "@app_root", 0, 0, 0,
     "templates/, static/, sql/ and app/lua/ (default: beside bin/)"},
    {"HTTP_PORT", K_INT, &cfg.http_port, "8080", 1, 65535, 0, "port nginx listens on"},
    {"BASE_URL", K_STR, &cfg.base_url, "@base_url", 0, 0, 0, "public URL used in mailed links"},
    {"FCGI_LISTEN", K_STR, &cfg.fcgi_listen, "@fcgi_listen", 0, 0, 0,
     "FastCGI socket: a path, or host:port"},
    {"FCGI_ALLOWED_CLIENTS", K_STR, &cfg.fcgi_allowed_clients, "127.0.0.1,::1", 0, 0, 0,
     "with FCGI_LISTEN=host:port, the peers that may connect (addresses or address/prefix, comma-separated)"},
    {"FCGI_READ_TIMEOUT", K_INT, &cfg.fcgi_read_timeout, "5", 1, 300, 0,
     "seconds a FastCGI connection has to send its request before it is closed"},
    {"WEB_WORKERS", K_INT, &cfg.web_workers, "4", 1, 256, 0, "FastCGI worker processes"},
    {"MYSQL_HOST", K_STR, &cfg.mysql_host, "", 0, 0, 0, "MySQL host for TCP connections"},
    {"MYSQL_SOCKET", K_STR, &cfg.mysql_socket, "@mysql_socket", 0, 0, 0,
     "MariaDB/MySQL unix socket (empty when MYSQL_HOST is set)"},
    {"MYSQL_PORT", K_INT, &cfg.mysql_port, "3306", 1, 65535, 0, "MySQL TCP port"},
    {"MYSQL_USER", K_STR, &cfg.mysql_user, "firstcome", 0, 0, 0, "MySQL user"},
    {"MYSQL_PASSWORD", K_STR, &cfg.mysql_password, "@mysql_password", 0, 0, 1,
     "MySQL password (default: generated into the state dir)"},
    {"MYSQL_DATABASE", K_STR, &cfg.mysql_database, "firstcome", 0, 0, 0, "MySQL database"},
    {"REDIS_URL", K_STR, &cfg.redis_url, "@redis_url", 0, 0, 0,
     "redis://host:port, unix:///path or redis-cluster://host:port,host:port,..."},
    {"KAFKA_BROKERS", K_STR, &cfg.kafka_brokers, "@kafka_brokers", 0, 0, 0,
     "Kafka bootstrap servers (empty: the devbroker)"},
    {"KAFKA_BROKER_COUNT", K_INT, &cfg.kafka_broker_count, "1", 1, 9, 0,
     "brokers of the devbroker's cluster (one log for all: clients fail over, nothing is replicated)"},
    {"KAFKA_MESSAGE_TIMEOUT", K_INT, &cfg.kafka_message_timeout, "30", 1, 900, 0,
     "seconds a published message may go unacknowledged before it is reported failed"},
    {"MAIL_URL", K_STR, &cfg.mail_url, "@mail_url", 0, 0, 0, "maildir:/path or smtp://host:port"},
    {"MAIL_FROM", K_STR, &cfg.mail_from, "firstcome <no-reply@firstcome.local>", 0, 0, 0,
     "From: of every mail"},
    {"JWT_SECRET", K_STR, &cfg.jwt_secret, "@jwt_secret", 0, 0, 1,
     "HS256 key (default: generated into the state dir)"},
    {"COUPON_ISSUE_MODE", K_STR, &cfg.coupon_issue_mode, "sync", 0, 0, 0, "sync | kafka"},
    {"COUPON_QUANTITY_CAP", K_INT, &cfg.coupon_quantity_cap, "100", 1, 1000000, 0,
     "most coupons one campaign may issue"},
    {"RESERVATION_TTL", K_INT, &cfg.reservation_ttl, "600", 1, 86400, 0,
     "seconds an unpaid order holds its stock"},
    {"SHIP_AFTER", K_INT, &cfg.ship_after, "60", 0, 8640000, 0,
     "seconds from preparing to shipping"},
    {"DELIVER_AFTER", K_INT, &cfg.deliver_after, "120", 0, 8640000, 0,
     "seconds from shipping to delivered"},
    {"RETURN_WINDOW", K_INT, &cfg.return_window, "604800", 0, 86400000, 0,
     "seconds after delivery a return is accepted"},
    {"PAYMENT_FAILURE_RATE", K_DOUBLE, &cfg.payment_failure_rate, "0", 0, 1, 0,
     "0..1 extra random declines"},
    {"RATE_LIMITS", K_BOOL, &cfg.rate_limits, "on", 0, 0, 0, "on | off (off for load tests)"},
    {"LOGIN_LIMIT_PER_CLIENT", K_INT, &cfg.login_limit_per_client, "300", 1, 100000000, 0,
     "login attempts per client address per 15 min"},
    {"SIGNUP_LIMIT_PER_CLIENT", K_INT, &cfg.signup_limit_per_client, "30", 1, 100000000, 0,
     "signups per client address per 15 min"},
    {"RESET_LIMIT_PER_CLIENT", K_INT, &cfg.reset_limit_per_client, "30", 1, 100000000, 0,
     "password reset requests, and apart from them reset confirmations, per client address per 15 min"},
    {"ACCESS_TOKEN_TTL", K_INT, &cfg.access_token_ttl, "900", 1, 86400, 0,
     "seconds an access token is valid: the longest a revoked session's access token still works"},
    {"REFRESH_GRACE", K_INT, &cfg.refresh_grace, "5", 0, 60, 0,
     "seconds a just-rotated refresh token still yields a pair of its session instead of ending it"},
    {"CLAIM_LIMIT_PER_USER", K_INT, &cfg.claim_limit_per_user, "20", 1, 100000000, 0,
     "coupon claims per user per minute"},
    {"CLAIM_LIMIT_PER_CLIENT", K_INT, &cfg.claim_limit_per_client, "1200", 1, 100000000, 0,
     "coupon claims per client address per minute"},
    {"API_RATE", K_STR, &cfg.api_rate, "200r/s", 0, 0, 0,
     "nginx limit_req rate per address on /api/ (RATE_LIMITS=on)"},
    {"OPS_ALLOW", K_STR, &cfg.ops_allow, "127.0.0.1 ::1", 0, 0, 0,
     "addresses and CIDR ranges nginx lets read /metrics and /healthz (or all)"},
    {"PASSWORD_HASH_OPS", K_INT, &cfg.password_hash_ops, "2", 1, 10, 0,
     "Argon2id passes (a change rehashes at next login)"},
    {"PASSWORD_HASH_MEM_KB", K_INT, &cfg.password_hash_mem_kb, "65536", 8192, 1048576, 0,
     "Argon2id memory in KiB"},
    {"MAX_BODY", K_INT, &cfg.max_body, "1048576", 1, 1073741824, 0,
     "largest request body in bytes"},
    {"PICTURE_MAX_BYTES", K_INT, &cfg.picture_max_bytes, "8388608", 1024, 67108864, 0,
     "largest product picture upload in bytes (apart from MAX_BODY)"},
    {"PICTURE_MAX_PIXELS", K_INT, &cfg.picture_max_pixels, "40000000", 1, 500000000, 0,
     "most pixels (width x height) an uploaded picture may have"},
    {"LIVE_STREAM_SECONDS", K_INT, &cfg.live_stream_seconds, "300", 5, 3600, 0,
     "seconds one live-view stream of /admin/live lasts (the page then reconnects)"},
    {"WORKER_PROCESSES", K_INT, &cfg.worker_processes, "1", 1, 64, 0,
     "processes per consumer group (coupon, order, shipment, notify) unless set apart below"},
    {"COUPON_WORKERS", K_INT, &cfg.coupon_workers, "@worker_processes", 0, 64, 0,
     "coupon consumer processes (coupon.claimed has one partition: the others stand by)"},
    {"ORDER_WORKERS", K_INT, &cfg.order_workers, "@worker_processes", 0, 64, 0,
     "order consumer processes"},
    {"SHIPMENT_WORKERS", K_INT, &cfg.shipment_workers, "@worker_processes", 0, 64, 0,
     "shipment consumer processes"},
    {"NOTIFY_WORKERS", K_INT, &cfg.notify_workers, "@worker_processes", 0, 64, 0,
     "notify consumer processes"},
    {"LOG_LEVEL", K_STR, &cfg.log_level, "info", 0, 0, 0, "debug | info | warn | error"},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        abort();
    return p;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    char *p = NULL;
    va_start(ap, fmt);
    if (vasprintf(&p, fmt, ap) < 0)
        abort();
    va_end(ap);
    return p;
}

/* Reads a one-line secret from the state dir, creating it (0600, random) when absent. */
static char *secret_file(const char *name)
{
    char *dir = xprintf("%s/secrets", cfg.state_dir);
    char *path = xprintf("%s/%s", dir, name);
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f) {
        unsigned char raw[32];
        mkdir(cfg.state_dir, 0755);
        mkdir(dir, 0700);
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(buf, sizeof(buf), raw, sizeof(raw));
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            ssize_t w = write(fd, buf, strlen(buf));
            (void)w;
            close(fd);
        }
        f = fopen(path, "r"); /* another process may have won the race: use its value */
    }
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    free(dir);
    free(path);
    return xstrdup(buf);
}

static char *app_root_default(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return xstrdup(".");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/'); /* .../bin/firstcome -> .../bin */
    if (slash)
        *slash = '\0';
    slash = strrchr(exe, '/'); /* .../bin -> ... */
    if (slash)
        *slash = '\0';
    return xstrdup(exe);
}

/* The first line of a file the stack writes into the state dir ("" when there is none). */
static char *state_file_line(const char *name)
{
    char *path = xprintf("%s/%s", cfg.state_dir, name);
    char buf[512] = {0};
    FILE *f = fopen(path, "r");
    free(path);
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return xstrdup(buf);
}

/* The stack's Redis: the cluster it started (scripts/stack.sh with REDIS_CLUSTER), else its one
 * Redis on a unix socket. */
static char *redis_url_default(void)
{
    char *url = state_file_line("redis-cluster/url");
    if (url[0])
        return url;
    free(url);
    return xprintf("unix://%s/redis.sock", cfg.state_dir);
}

static char *resolve_default(const char *def)
{
    if (def[0] != '@')
        return xstrdup(def);
    const char *d = def + 1;
    if (!strcmp(d, "app_root"))
        return app_root_default();
    if (!strcmp(d, "base_url"))
        return xprintf("http://127.0.0.1:%d", cfg.http_port);
    if (!strcmp(d, "fcgi_listen"))
        return xprintf("%s/web.sock", cfg.state_dir);
    if (!strcmp(d, "mysql_socket"))
        return cfg.mysql_host && cfg.mysql_host[0] ? xstrdup("")
                                                   : xprintf("%s/mysql.sock", cfg.state_dir);
    if (!strcmp(d, "mysql_password"))
        return secret_file("mysql_password");
    if (!strcmp(d, "redis_url"))
        return redis_url_default();
    if (!strcmp(d, "kafka_brokers"))
        return state_file_line("devbroker.addr");
    if (!strcmp(d, "mail_url"))
        return xprintf("maildir:%s/mail", cfg.state_dir);
    if (!strcmp(d, "jwt_secret"))
        return secret_file("jwt_secret");
    if (!strcmp(d, "worker_processes"))
        return xprintf("%d", cfg.worker_processes);
    return xstrdup("");
}

static int parse_setting(struct setting *s, const char *v, char *err, size_t errlen)
{
    char *end = NULL;
    switch (s->kind) {
    case K_STR:
        *(const char **)s->dst = xstrdup(v);
        return 0;
    case K_INT: {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < s->lo || n > s->hi) {
            snprintf(err, errlen, "%s=%s: expected a whole number from %ld to %ld", s->name, v,
                     s->lo, s->hi);
            return -1;
        }
        if (s->dst == &cfg.max_body)
            *(long *)s->dst = n;
        else
            *(int *)s->dst = (int)n;
        return 0;
    }
    case K_DOUBLE: {
        double d = strtod(v, &end);
        /* Written so that NaN, which compares false with everything, is refused too. */
        if (end == v || *end || !(d >= (double)s->lo && d <= (double)s->hi)) {
            snprintf(err, errlen, "%s=%s: expected a number from %ld to %ld", s->name, v, s->lo,
                     s->hi);
            return -1;
        }
        *(double *)s->dst = d;
        return 0;
    }
    case K_BOOL:
        if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true")) {
            *(int *)s->dst = 1;
            return 0;
        }
        if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "false")) {
            *(int *)s->dst = 0;
            return 0;
        }
        snprintf(err, errlen, "%s=%s: expected on or off", s->name, v);
        return -1;
    }
    return -1;
}

int config_set(const char *name, const char *value, char *err, size_t errlen)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!strcmp(settings[i].name, name))
            return parse_setting(&settings[i], value, err, errlen);
    snprintf(err, errlen, "%s: no such setting", name);
    return -1;
}

/* Creates the state dir and returns its absolute path in place of dir (which it frees), so that
 * forked and exec'd processes agree whatever their cwd; NULL with a message in err. */
static char *state_dir_absolute(char *dir, char *err, size_t errlen)
{
    mkdir(dir, 0755);
    char *abs = realpath(dir, NULL);
    if (!abs)
        snprintf(err, errlen, "STATE_DIR=%s: %s", dir, strerror(errno));
    free(dir);
    return abs;
}

int config_load(char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        return -1;
    }
    for (size_t i = 0; i < NSETTINGS; i++) {
        struct setting *s = &settings[i];
        const char *env = getenv(s->name);
        char *v = env && env[0] ? xstrdup(env) : resolve_default(s->def);
        if (s->dst == &cfg.state_dir && !(v = state_dir_absolute(v, err, errlen)))
            return -1;
        int rc = parse_setting(s, v, err, errlen);
        free(v);
        if (rc < 0)
            return -1;
    }
    if (strlen(cfg.jwt_secret) < JWT_SECRET_MIN) {
        snprintf(err, errlen,
                 "JWT_SECRET must be at least %d bytes (it has %zu); e.g. openssl rand -hex 32",
                 JWT_SECRET_MIN, strlen(cfg.jwt_secret));
        return -1;
    }
    if (strcmp(cfg.coupon_issue_mode, "sync") && strcmp(cfg.coupon_issue_mode, "kafka")) {
        snprintf(err, errlen, "COUPON_ISSUE_MODE=%s: expected sync or kafka",
                 cfg.coupon_issue_mode);
        return -1;
    }
    return 0;
}

static const char *value_string(const struct setting *s, char *buf, size_t len)
{
    switch (s->kind) {
    case K_STR:
        return *(const char *const *)s->dst;
    case K_INT:
        snprintf(buf, len, "%ld", s->dst == &cfg.max_body ? *(long *)s->dst : (long)*(int *)s->dst);
        return buf;
    case K_DOUBLE:
        snprintf(buf, len, "%g", *(double *)s->dst);
        return buf;
    case K_BOOL:
        return *(int *)s->dst ? "on" : "off";
    }
    return "";
}

int config_write_env(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < NSETTINGS; i++) {
        char buf[64];
        /* Single quotes make the file safe to `source` from a shell; a quote inside the value
         * closes them, adds an escaped one and opens them again. */
        fprintf(f, "%s='", settings[i].name);
        for (const char *v = value_string(&settings[i], buf, sizeof(buf)); *v; v++)
            if (*v == '\'')
                fputs("'\\''", f);
            else
                fputc(*v, f);
        fputs("'\n", f);
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void config_print(void)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        char buf[64];
        const struct setting *s = &settings[i];
        printf("%-22s %-44s %s\n", s->name,
               s->secret ? "(secret)" : value_string(s, buf, sizeof(buf)), s->help);
    }
}
