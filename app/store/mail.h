/* mail.h - outgoing mail: a MySQL outbox, RFC 5322 formatting, delivery to a Maildir or SMTP. */
#ifndef FC_MAIL_H
#define FC_MAIL_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/strbuf.h"

/* Queues a mail with db_exec, so it commits or rolls back with the caller's open transaction (if
 * any), then nudges the mailer (best effort: the mailer also polls). Returns the outbox id, or -1
 * when `to` is not one plain address, the subject is not a safe header value (see
 * mail_header_safe), or the insert failed. The body is stored as given and never logged. */
long long mail_enqueue(const char *to, const char *subject, const char *body);
/* Nudges the mailer to look at its queues now (best effort). */
void mail_wake(void);
/* The mailer's wait: returns when a nudge arrives or a second has passed, so new mail leaves at
 * once while retry times and SIGTERM are still noticed (the 1 s BLPOP stays under hiredis's 5 s
 * I/O timeout). A burst of nudges is one wakeup; a nudge sent before its mail committed is
 * covered by the next poll. With Redis down it sleeps the second instead. */
void mail_wait(void);

/* True when s may be put into a header as is: no CR, LF or other control character (a CR or LF
 * would let a caller add headers of its own, e.g. a Bcc). NULL is not safe. */
bool mail_header_safe(const char *s);

/* Appends an RFC 5322 message to out (its bytes belong to out's arena): From, To, Subject
 * (RFC 2047 encoded when not plain ASCII), Date (UTC), Message-ID <message_id@firstcome.local>,
 * MIME headers for a UTF-8 plain-text body; every line ends in CRLF. The body is sent 8bit, or
 * quoted-printable when a line is too long for SMTP. Returns 0, or -1 (nothing appended) when
 * from, to or subject is not mail_header_safe. */
int mail_format(struct strbuf *out, const char *from, const char *to, const char *subject,
                const char *body, const char *message_id, time_t date);

/* Delivers one formatted message as MAIL_URL says: "maildir:/path" (created as needed; written
 * to tmp/ and renamed into new/) or "smtp://host:port" / "smtps://..." (envelope sender: the
 * address in MAIL_FROM). Returns 0, or -1 with the reason in err. */
int mail_deliver(const char *to, const char *raw_message, size_t len, char *err, size_t errlen);

/* The mailer's step: sends up to `limit` due queued mails, each claimed so that several mailers
 * never send one twice. A failure is retried later (1 s, doubling, at most 5 min apart) and
 * marked 'failed' after MAIL_MAX_ATTEMPTS. Returns how many were sent, -1 on a store error.
 * JSON rows come from the current json arena (json_use_arena). */
#define MAIL_MAX_ATTEMPTS 25
int mail_send_due(int limit);

#endif
