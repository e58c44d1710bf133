/* mail.c - outgoing mail: a MySQL outbox, RFC 5322 formatting, delivery to a Maildir or SMTP. */
#include "store/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "core/text.h"
#include "store/db.h"
#include "store/redis.h"

#define MAIL_DOMAIN "firstcome.local"
#define MAX_LINE 998    /* RFC 5322 2.1.1: longest line, CRLF excluded */
#define QP_LINE 76      /* RFC 2045 6.7: longest quoted-printable line */
#define WORD_BYTES 42   /* per RFC 2047 word: 56 base64 chars, so "Subject: " + a word fit in 78 */
#define MAX_BACKOFF 300 /* seconds between two attempts, at most */
#define RECIPIENT_MAX 254 /* mail_outbox.recipient */
#define SUBJECT_MAX 255   /* mail_outbox.subject, in characters */

/* --- validation ---------------------------------------------------------------------------- */

bool mail_header_safe(const char *s)
{
    if (!s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* One bare addr-spec: it goes into RCPT TO:<...> and the To: header unchanged, so anything that
 * could make it a list, a display name or a second command is refused. */
static bool address_ok(const char *to)
{
    if (!mail_header_safe(to) || strlen(to) > RECIPIENT_MAX)
        return false;
    const char *at = strchr(to, '@');
    return at && at != to && at[1] && !strchr(at + 1, '@') && !strpbrk(to, " \t<>,;:()\"\\[]");
}

/* --- formatting ---------------------------------------------------------------------------- */

static void add_date(struct strbuf *out, time_t t)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Names from tables, not strftime: %a and %b follow the locale, RFC 5322 wants English. */
    sb_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
              months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Plain ASCII goes as is, unless it holds "=?", which a reader would take for an encoded word. */
static bool needs_encoding(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80)
            return true;
    return strstr(s, "=?") != NULL;
}

/* RFC 2047 B encoding, split into words of at most 75 characters on code point boundaries (a
 * word must decode on its own), one word per folded line. */
static void add_subject(struct strbuf *out, const char *subject)
{
    if (!needs_encoding(subject)) {
        sb_printf(out, "Subject: %s\r\n", subject);
        return;
    }
    sb_adds(out, "Subject:");
    size_t len = strlen(subject);
    for (size_t pos = 0; pos < len;) {
        size_t n = len - pos < WORD_BYTES ? len - pos : WORD_BYTES;
        while (n > 1 && pos + n < len && ((unsigned char)subject[pos + n] & 0xC0) == 0x80)
            n--;
        char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)subject + pos, n,
                          sodium_base64_VARIANT_ORIGINAL);
        sb_printf(out, "%s=?UTF-8?B?%s?=", pos ? "\r\n " : " ", b64);
        pos += n;
    }
    sb_adds(out, "\r\n");
}

/* The next line of s (ended by CRLF, LF or a lone CR) without its ending; false at the end. */
static bool next_line(const char **s, const char **line, size_t *len)
{
    if (!**s)
        return false;
    *line = *s;
    *len = strcspn(*s, "\r\n");
    const char *p = *s + *len;
    if (p[0] == '\r' && p[1] == '\n')
        p += 2;
    else if (*p)
        p++;
    *s = p;
    return true;
}

static bool has_long_line(const char *body)
{
    const char *line;
    size_t len;
    while (next_line(&body, &line, &len))
        if (len > MAX_LINE)
            return true;
    return false;
}

static void add_body_8bit(struct strbuf *out, const char *body)
{
    const char *line;
    size_t len;
    while (next_line(&body, &line, &len)) {
        sb_add(out, line, len);
        sb_adds(out, "\r\n");
    }
}

/* Quoted-printable (RFC 2045 6.7): soft breaks keep lines short; a space or tab that ends a line
 * is encoded, because transports may strip trailing white space. */
static void add_body_qp(struct strbuf *out, const char *body)
{
    const char *line;
    size_t len;
    while (next_line(&body, &line, &len)) {
        size_t col = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)line[i];
            bool literal =
                (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && i + 1 < len);
            size_t width = literal ? 1 : 3;
            if (col + width > QP_LINE - 1) {
                sb_adds(out, "=\r\n");
                col = 0;
            }
            if (literal)
                sb_addc(out, (char)c);
            else
                sb_printf(out, "=%02X", c);
            col += width;
        }
        sb_adds(out, "\r\n");
    }
}

int mail_format(struct strbuf *out, const char *from, const char *to, const char *subject,
                const char *body, const char *message_id, time_t date)
{
    if (!mail_header_safe(from) || !mail_header_safe(to) || !mail_header_safe(subject) ||
        !mail_header_safe(message_id) || !body)
        return -1;
    bool qp = has_long_line(body);
    sb_printf(out, "From: %s\r\nTo: %s\r\n", from, to);
    add_subject(out, subject);
    add_date(out, date);
    sb_printf(out, "Message-ID: <%s@%s>\r\n", message_id, MAIL_DOMAIN);
    sb_adds(out, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n");
    sb_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n", qp ? "quoted-printable" : "8bit");
    if (qp)
        add_body_qp(out, body);
    else
        add_body_8bit(out, body);
    return 0;
}

/* --- delivery: Maildir --------------------------------------------------------------------- */

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errlen, "maildir: mkdir %s: %s", path, strerror(errno));
    return -1;
}

/* The Maildir itself and every missing parent, then tmp/, new/ and cur/. */
static int maildir_prepare(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (make_dir(path, err, errlen) < 0)
                return -1;
            *p = '/';
        }
    static const char *subdirs[] = {"", "/tmp", "/new", "/cur"};
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", dir, subdirs[i]);
        if (make_dir(path, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* time.M<usec>P<pid>Q<counter>.<host>: unique across processes and machines sharing the
 * directory, as the Maildir convention asks. '/' and ':' would break the name, so they go. */
static void maildir_unique(char *buf, size_t n)
{
    static unsigned counter;
    char host[256] = "localhost";
    gethostname(host, sizeof(host) - 1);
    for (char *p = host; *p; p++)
        if (*p == '/' || *p == ':')
            *p = '_';
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(buf, n, "%lld.M%ldP%dQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(),
             ++counter, host);
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Written and synced under tmp/, then renamed into new/: a reader never sees half a message. */
static int maildir_deliver(const char *dir, const char *msg, size_t len, char *err, size_t errlen)
{
    if (maildir_prepare(dir, err, errlen) < 0)
        return -1;
    char name[512], tmp[4800], dst[4800];
    maildir_unique(name, sizeof(name));
    snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
    snprintf(dst, sizeof(dst), "%s/new/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "maildir: create %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (write_all(fd, msg, len) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "maildir: write %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    if (close(fd) < 0) {
        fd = -1;
        snprintf(err, errlen, "maildir: close %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    if (rename(tmp, dst) < 0) {
        fd = -1;
        snprintf(err, errlen, "maildir: rename into %s: %s", dst, strerror(errno));
        goto out_unlink;
    }
    return 0;
out_unlink:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

/* --- delivery: SMTP ------------------------------------------------------------------------ */

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct upload *u = userdata;
    size_t n = size * nitems;
    if (n > u->len - u->pos)
        n = u->len - u->pos;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* "<addr>" for MAIL FROM: the part of MAIL_FROM in angle brackets, or all of it. */
static void envelope_sender(char *buf, size_t n)
{
    const char *from = cfg.mail_from ? cfg.mail_from : "";
    const char *lt = strrchr(from, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt)
        snprintf(buf, n, "<%.*s>", (int)(gt - lt - 1), lt + 1);
    else
        snprintf(buf, n, "<%s>", from);
}

/* curl_easy_init initialises libcurl on first use; a worker is one thread, so that is safe. */
static int smtp_deliver(const char *url, const char *to, const char *msg, size_t len, char *err,
                        size_t errlen)
{
    char sender[512], rcpt[512], curl_err[CURL_ERROR_SIZE] = "";
    envelope_sender(sender, sizeof(sender));
    snprintf(rcpt, sizeof(rcpt), "<%s>", to);
    CURL *c = curl_easy_init();
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    int rc = -1;
    if (!c || !rcpts) {
        snprintf(err, errlen, "smtp: out of memory");
        goto out_free;
    }
    struct upload up = {msg, len, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, sender);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    /* No SIGALRM for the timeouts: the worker's signal handling is the supervisor's. */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode res = curl_easy_perform(c);
    if (res != CURLE_OK) {
        snprintf(err, errlen, "smtp: %s", curl_err[0] ? curl_err : curl_easy_strerror(res));
        goto out_free;
    }
    rc = 0;
out_free:
    curl_slist_free_all(rcpts);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}

int mail_deliver(const char *to, const char *raw_message, size_t len, char *err, size_t errlen)
{
    const char *url = cfg.mail_url ? cfg.mail_url : "";
    if (strncmp(url, "maildir:", 8) == 0 && url[8] == '/')
        return maildir_deliver(url + 8, raw_message, len, err, errlen);
    if (strncmp(url, "smtp://", 7) == 0 || strncmp(url, "smtps://", 8) == 0)
        return smtp_deliver(url, to, raw_message, len, err, errlen);
    snprintf(err, errlen, "MAIL_URL=%s: expected maildir:/absolute/path or smtp://host:port", url);
    return -1;
}

/* --- the outbox ---------------------------------------------------------------------------- */

long long mail_enqueue(const char *to, const char *subject, const char *body)
{
    if (!address_ok(to) || !mail_header_safe(subject) || utf8_length(subject) > SUBJECT_MAX ||
        !body) {
        log_warn("mail refused: the recipient is not one plain address or the subject is unsafe");
        return -1;
    }
    if (db_exec("INSERT INTO mail_outbox (recipient, subject, body) VALUES (?, ?, ?)", "sss", to,
                subject, body) < 0)
        return -1;
    long long id = db_insert_id();
    log_info("mail %lld queued for %s: %s", id, to, subject);
    mail_wake();
    return id;
}

/* The Redis list mail_wake pushes to and mail_wait blocks on, so a mail leaves at once instead
 * of at the mailer's next poll. */
#define MAIL_WAKEUP_KEY "mail:wakeup"

void mail_wait(void)
{
    redisReply *r = redis_cmd("BLPOP %s 1", MAIL_WAKEUP_KEY);
    if (!r) {
        sleep(1); /* Redis is down: poll the outbox instead */
        return;
    }
    bool nudged = r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    if (nudged)
        redis_run("DEL %s", MAIL_WAKEUP_KEY);
}

void mail_wake(void)
{
    redis_run("LPUSH %s 1", MAIL_WAKEUP_KEY);
}

/* 1 s after the first failure, doubling, at most MAX_BACKOFF. */
static long long backoff_seconds(long long attempts)
{
    long long s = 1;
    for (long long i = 1; i < attempts && s < MAX_BACKOFF; i++)
        s *= 2;
    return s < MAX_BACKOFF ? s : MAX_BACKOFF;
}

/* One due mail, locked for the rest of this transaction: SKIP LOCKED lets several mailers work
 * side by side, each on mails the others hold no lock on, and a crashed mailer's lock goes with
 * its connection, so its mail is due again at once (a claim column would need a lease timeout).
 * READ COMMITTED, so that the range scan takes no gap locks: in REPEATABLE READ it would block
 * every INSERT of a new mail (mail_enqueue, inside a signup) until the delivery is over. */
static int claim_one(json_t **row)
{
    if (db_exec("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "") < 0 || db_begin() < 0)
        return -1;
    int got = db_query_row(row,
                           "SELECT id, recipient, subject, body, attempts,"
                           " UNIX_TIMESTAMP(created_at) AS created FROM mail_outbox"
                           " WHERE status = 'queued' AND next_attempt_at <= NOW()"
                           " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                           "");
    if (got != 1)
        db_rollback();
    return got;
}

static int record_sent(long long id)
{
    long long n =
        db_exec("UPDATE mail_outbox SET status = 'sent', sent_at = NOW() WHERE id = ?", "i", id);
    return n < 0 ? -1 : 0;
}

/* `permanent`: the row can never be sent (e.g. a header that is not safe), so no retries. */
static int record_failure(long long id, long long attempts, const char *err, bool permanent)
{
    attempts++;
    bool give_up = permanent || attempts >= MAIL_MAX_ATTEMPTS;
    long long n = db_exec("UPDATE mail_outbox SET attempts = ?, last_error = ?, status = ?,"
                          " next_attempt_at = NOW() + INTERVAL ? SECOND WHERE id = ?",
                          "issii", attempts, err, give_up ? "failed" : "queued",
                          give_up ? 0LL : backoff_seconds(attempts), id);
    return n < 0 ? -1 : 0;
}

static const char *column_text(json_t *row, const char *name)
{
    const char *s = json_string_value(json_object_get(row, name));
    return s ? s : "";
}

/* Formats and delivers the claimed row; 1 sent, 0 failed (recorded for a retry), -1 store error.
 * Either way the transaction is closed. The Message-ID stays the same on every attempt, so a
 * receiver can drop the duplicate of a mail whose first delivery only seemed to fail. */
static int send_one(json_t *row)
{
    long long id = json_integer_value(json_object_get(row, "id"));
    long long attempts = json_integer_value(json_object_get(row, "attempts"));
    const char *to = column_text(row, "recipient");
    const char *subject = column_text(row, "subject");
    const char *body = column_text(row, "body");
    time_t created = (time_t)json_integer_value(json_object_get(row, "created"));
    char message_id[64], err[400] = "";
    snprintf(message_id, sizeof(message_id), "%lld.%lld", id, (long long)created);
    struct arena a;
    arena_init(&a, 16 * 1024);
    struct strbuf msg;
    sb_init(&msg, &a, 4096);
    int formatted = mail_format(&msg, cfg.mail_from, to, subject, body, message_id, created);
    if (formatted < 0)
        snprintf(err, sizeof(err), "cannot format: a header is not safe (see MAIL_FROM)");
    int ok = formatted == 0 && mail_deliver(to, msg.s, msg.len, err, sizeof(err)) == 0;
    arena_free(&a);
    int rc = ok ? record_sent(id) : record_failure(id, attempts, err, formatted < 0);
    if (rc < 0 || db_commit() < 0) {
        db_rollback();
        log_error("mail %lld: outcome not stored (%s); it will be tried again", id, db_error());
        return -1;
    }
    if (ok)
        log_info("mail %lld to %s (%s): sent", id, to, subject);
    else
        log_warn("mail %lld to %s (%s): attempt %lld failed: %s", id, to, subject, attempts + 1,
                 err);
    return ok;
}

int mail_send_due(int limit)
{
    int sent = 0;
    /* Stops between mails on SIGTERM, so a worker exits within its grace period. */
    for (int i = 0; i < limit && !sv_stopping; i++) {
        json_t *row;
        int got = claim_one(&row);
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        int rc = send_one(row);
        if (rc < 0)
            return -1;
        sent += rc;
    }
    return sent;
}
