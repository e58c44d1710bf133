"""Mail leaves through MAIL_URL as proper RFC 5322 messages: into a Maildir under the state dir
(the default) or to an SMTP server; a mail that cannot be sent stays queued and is retried until
it is sent, exactly once; a header injection is refused before anything is stored."""
import email
import email.policy
import email.utils
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
from aiosmtpd.controller import Controller

from conftest import free_port, ROOT, Stack

BIN = os.path.join(ROOT, "bin", "firstcome")
SENDER = "no-reply@firstcome.local"  # the address in MAIL_FROM's default


def wait_until(what, check, timeout=15):
    """Polls check() until it returns something true, which is returned."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def mail_cmd(st, *args):
    return subprocess.run([BIN, "mail", *args], env=dict(os.environ, STATE_DIR=st.state_dir),
                          capture_output=True, text=True, timeout=30)


def send(st, to, subject, body):
    out = mail_cmd(st, "send", "--to", to, "--subject", subject, "--body", body)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


def outbox_row(st, mail_id):
    rows = st.sql("SELECT * FROM mail_outbox WHERE id = %s", mail_id)
    assert len(rows) == 1
    return rows[0]


def text_of(msg):
    """The body as text: a stored message keeps its CRLF line endings."""
    return msg.get_content().replace("\r\n", "\n")


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:12]}"


# --- Maildir: the first stack's default -----------------------------------------------------

def maildir_file(st, mail_id):
    """The path of the message with this outbox id in the stack's Maildir new/, or None."""
    new = os.path.join(st.state_dir, "mail", "new")
    for name in os.listdir(new) if os.path.isdir(new) else []:
        with open(os.path.join(new, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        if msg["Message-ID"].startswith(f"<{mail_id}."):
            return os.path.join(new, name)
    return None


def delivered_to_maildir(st, mail_id):
    path = wait_until(f"mail {mail_id} in the Maildir", lambda: maildir_file(st, mail_id))
    with open(path, "rb") as f:
        raw = f.read()
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def test_maildir_receives_an_rfc5322_message_with_the_link_in_its_body(stack):
    subject = unique("Verify your email")
    link = f"{stack.base}/verify?token={uuid.uuid4().hex}"
    mail_id = send(stack, "reader@example.com", subject, f"Welcome!\nOpen {link}\nto verify.\n")
    raw, msg = delivered_to_maildir(stack, mail_id)
    assert msg["From"].addresses[0].addr_spec == SENDER
    assert msg["To"] == "reader@example.com"
    assert msg["Subject"] == subject
    assert msg["Message-ID"].endswith("@firstcome.local>")
    assert abs(msg["Date"].datetime.timestamp() - time.time()) < 300
    assert msg["Date"].endswith("+0000")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert text_of(msg) == f"Welcome!\nOpen {link}\nto verify.\n"
    assert raw.count(b"\n") == raw.count(b"\r\n"), "every line ends in CRLF"
    assert link.encode() in raw, "the link is readable as is in the stored file"


def test_a_mail_delivered_to_the_maildir_is_sent_on_the_first_attempt(stack):
    mail_id = send(stack, "reader@example.com", unique("Reset your password"), "a body")
    delivered_to_maildir(stack, mail_id)
    row = wait_until("the outbox row marked sent",
                     lambda: (r := outbox_row(stack, mail_id))["status"] == "sent" and r)
    assert row["attempts"] == 0
    assert row["sent_at"] is not None
    assert row["last_error"] is None


def test_a_non_ascii_subject_arrives_intact(stack):
    subject = unique("주문이 접수되었습니다 — café")
    mail_id = send(stack, "reader@example.com", subject, "본문 body\n")
    raw, msg = delivered_to_maildir(stack, mail_id)
    assert b"=?UTF-8?B?" in raw
    assert msg["Subject"] == subject
    assert text_of(msg) == "본문 body\n"


def test_a_header_injection_in_the_recipient_is_refused_and_nothing_is_stored(stack):
    subject = unique("injected recipient")
    out = mail_cmd(stack, "send", "--to", "a@b.c\r\nBcc: x@y.z", "--subject", subject,
                   "--body", "b")
    assert out.returncode != 0
    assert out.stdout == ""
    assert not stack.sql("SELECT id FROM mail_outbox WHERE subject = %s", subject)


def test_a_header_injection_in_the_subject_is_refused_and_nothing_is_stored(stack):
    marker = uuid.uuid4().hex
    out = mail_cmd(stack, "send", "--to", "a@b.c", "--subject", f"hi {marker}\nBcc: x@y.z",
                   "--body", "b")
    assert out.returncode != 0
    assert not stack.sql("SELECT id FROM mail_outbox WHERE subject LIKE %s", f"%{marker}%")


def test_a_recipient_that_is_not_one_plain_address_is_refused(stack):
    subject = unique("two recipients")
    out = mail_cmd(stack, "send", "--to", "a@b.c, x@y.z", "--subject", subject, "--body", "b")
    assert out.returncode != 0
    assert not stack.sql("SELECT id FROM mail_outbox WHERE subject = %s", subject)


def test_mail_status_counts_the_outbox_by_status(stack):
    out = mail_cmd(stack, "status")
    assert out.returncode == 0, out.stderr
    counts = {k: int(v) for k, v in (line.split() for line in out.stdout.splitlines())}
    assert set(counts) == {"queued", "sent", "failed"}
    total = stack.sql("SELECT COUNT(*) AS n FROM mail_outbox")[0]["n"]
    assert sum(counts.values()) == total


# --- SMTP: a second stack whose MAIL_URL points at a server in this process ------------------

class Inbox:
    """An SMTP server (aiosmtpd) on a fixed port that keeps every envelope it accepts."""

    def __init__(self, port):
        self.port, self.envelopes, self.controller = port, [], None

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
        self.controller = None

    def with_subject(self, subject):
        found = []
        for env in self.envelopes:
            msg = email.message_from_bytes(env.content, policy=email.policy.default)
            if msg["Subject"] == subject:
                found.append((env, msg))
        return found


@pytest.fixture(scope="module")
def inbox():
    box = Inbox(free_port())
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def smtp_stack(inbox):
    state = tempfile.mkdtemp(prefix="firstcome-mail.")
    st = Stack.__new__(Stack)
    st.state_dir, st.port = state, free_port()
    out = st.stack_cmd("start", env={"WEB_WORKERS": "1",
                                     "MAIL_URL": f"smtp://127.0.0.1:{inbox.port}"})
    assert out.returncode == 0, out.stdout + out.stderr
    st.__init__(state, st.port)
    yield st
    st.stack_cmd("stop")
    shutil.rmtree(state, ignore_errors=True)


def test_smtp_server_receives_one_message_with_the_right_envelope(smtp_stack, inbox):
    assert smtp_stack.env["MAIL_URL"] == f"smtp://127.0.0.1:{inbox.port}"
    subject = unique("Verify your email")
    link = f"{smtp_stack.base}/verify?token={uuid.uuid4().hex}"
    mail_id = send(smtp_stack, "buyer@example.com", subject, f"Open {link}\n.\n")
    found = wait_until("the message at the SMTP server", lambda: inbox.with_subject(subject))
    assert len(found) == 1
    env, msg = found[0]
    assert env.mail_from == SENDER
    assert env.rcpt_tos == ["buyer@example.com"]
    assert msg["To"] == "buyer@example.com"
    assert msg["From"].addresses[0].addr_spec == SENDER
    assert msg["Message-ID"].startswith(f"<{mail_id}.")
    assert msg["Date"].datetime is not None
    assert text_of(msg) == f"Open {link}\n.\n", "a lone dot line survives SMTP"
    row = wait_until("the outbox row marked sent",
                     lambda: (r := outbox_row(smtp_stack, mail_id))["status"] == "sent" and r)
    assert row["attempts"] == 0


def test_a_mail_the_smtp_server_cannot_take_is_retried_and_arrives_exactly_once(smtp_stack,
                                                                                 inbox):
    subject = unique("Reset your password")
    inbox.stop()
    try:
        mail_id = send(smtp_stack, "buyer@example.com", subject, "retry me\n")
        row = wait_until("a failed attempt recorded",
                         lambda: (r := outbox_row(smtp_stack, mail_id))["attempts"] >= 1 and r)
        assert row["status"] == "queued"
        assert row["last_error"]
        assert row["next_attempt_at"] is not None
    finally:
        inbox.start()
    row = wait_until("the retried mail marked sent",
                     lambda: (r := outbox_row(smtp_stack, mail_id))["status"] == "sent" and r,
                     timeout=30)
    assert row["attempts"] >= 1
    assert len(inbox.with_subject(subject)) == 1
