"""Sessions that really end and no free CPU for strangers: tokens are minted only from the
database's view of a live session, refresh rotation forgives a browser's own race but not a
replay, reset links die with a new password, and strangers meet limits before any password is
hashed. Several client addresses are played by binding the client socket to other loopback
addresses (nginx sees them as REMOTE_ADDR)."""
import concurrent.futures as cf
import hashlib
import http.client
import json
import random
import statistics
import threading
import time

import jwt

from conftest import assert_error, link_token, restart_app, unique_email, wait_until
from test_account_pages import browser, csrf_of, form_post

PW = "correct horse battery"


class Answer:
    def __init__(self, status, headers, text):
        self.status_code, self.headers, self.text = status, headers, text

    def json(self):
        return json.loads(self.text)


def a_client_address():
    """A loopback address no other test (nor an earlier run within the limits' windows) used."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def post_from(stack, source, path, body):
    """POST a JSON body from the client address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return Answer(resp.status, dict(resp.getheaders()), resp.read().decode())
    finally:
        conn.close()


def assert_limited(r):
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0


def exhaust(stack, source, path, cheap_body, limit):
    """Cheap refused attempts from `source` until the limit answers; how many got through."""
    for n in range(limit + 1):
        r = post_from(stack, source, path, cheap_body(n))
        if r.status_code == 429:
            assert_limited(r)
            return n
        assert r.status_code in (400, 409, 422), r.text
    raise AssertionError(f"no 429 after {limit + 1} attempts from {source}")


def page_session(stack, user):
    s = browser(stack)
    r = form_post(s, "/login", {"email": user["email"], "password": user["password"]})
    assert r.status_code == 303, r.text
    return s


def set_cookie(resp, name):
    """The value a response sets for cookie `name` (None when it sets none or clears it)."""
    for c in resp.raw.headers.getlist("Set-Cookie"):
        if c.startswith(name + "="):
            return c.split(";", 1)[0].split("=", 1)[1] or None
    return None


def save_profile(s, name):
    """POST /me (the profile form); the access token it sets, or None."""
    page = s.get(s.base + "/me")
    assert page.status_code == 200
    r = s.post(s.base + "/me", data={"name": name, "csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 200, r.text[:300]
    return set_cookie(r, "access_token")


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def reset_tokens(stack, user, n=1):
    """Asks for n resets, one after the other; the link tokens of the mails, oldest first."""
    for _ in range(n):
        assert stack.post("/api/v1/auth/password-reset", {"email": user["email"]}).status_code == 202

    def tokens():
        return {link_token(m, "/reset-password")[0] for m in stack.mailbox().messages()
                if m["To"] == user["email"] and "Reset" in m["Subject"]}
    deadline = time.time() + 20
    while len(tokens()) < n and time.time() < deadline:
        time.sleep(0.1)
    found = tokens()
    assert len(found) == n
    issued = {r["token_hash"]: r["id"] for r in stack.sql(
        "SELECT id, token_hash FROM account_tokens WHERE user_id = %s AND kind = 'reset'", user["id"])}
    return sorted(found, key=lambda t: issued[hashlib.sha256(t.encode()).hexdigest()])


def reset_token(stack, user):
    return reset_tokens(stack, user)[0]


def refresh(stack, token):
    return stack.post("/api/v1/auth/refresh", {"refresh_token": token})


def family_of(stack, refresh_token):
    h = hashlib.sha256(refresh_token.encode()).hexdigest()
    return stack.sql("SELECT family FROM refresh_tokens WHERE token_hash = %s", h)[0]["family"]


def revoked_in_family(stack, family):
    return stack.sql("SELECT COUNT(*) AS n FROM refresh_tokens WHERE family = %s AND revoked_at IS NOT NULL",
                     family)[0]["n"]


# ---- access tokens come only from the database's view of a live session ----

def test_a_profile_save_after_logout_all_mints_no_access_token(stack):
    u = stack.user()
    s = page_session(stack, u)
    assert stack.post("/api/v1/auth/logout-all", token=s.cookies.get("access_token")).status_code == 204
    assert save_profile(s, "After Logout All") is None
    assert refresh(stack, s.cookies.get("refresh_token") or u["refresh"]).status_code == 401


def test_a_profile_save_after_a_password_reset_mints_no_access_token(stack):
    u = stack.user()
    s = page_session(stack, u)
    token = reset_token(stack, u)
    assert stack.post("/api/v1/auth/password-reset/confirm",
                      {"token": token, "password": "a brand new one"}).status_code == 204
    assert save_profile(s, "After Reset") is None


def test_a_profile_save_after_a_demotion_mints_a_token_with_the_current_role(stack):
    admin = stack.user("admin")
    s = page_session(stack, admin)
    assert claims(s.cookies.get("access_token"))["role"] == "admin"
    stack.sql("UPDATE users SET role = 'user' WHERE id = %s", admin["id"])
    token = save_profile(s, "Demoted Person")
    assert token is not None
    c = claims(token)
    assert c["role"] == "user" and c["name"] == "Demoted Person"
    r = refresh(stack, admin["refresh"])
    assert r.status_code == 200 and claims(r.json()["access_token"])["role"] == "user"


def test_a_refresh_after_logout_all_mints_nothing(stack):
    u = stack.user()
    r = refresh(stack, u["refresh"])
    assert r.status_code == 200
    fresh = r.json()
    assert stack.post("/api/v1/auth/logout-all", token=fresh["access_token"]).status_code == 204
    assert_error(refresh(stack, fresh["refresh_token"]), 401, "invalid_token")


def test_an_ended_sessions_access_token_is_refused_after_its_expiry(stack):
    try:
        restart_app(stack, env={"ACCESS_TOKEN_TTL": "3"})
        u = stack.user()
        c = claims(u["access"])
        assert c["exp"] - c["iat"] == 3
        assert stack.post("/api/v1/auth/logout-all", token=u["access"]).status_code == 204
        time.sleep(4)
        assert_error(stack.get("/api/v1/me", headers={"Authorization": "Bearer " + u["access"]}), 401)
        assert_error(refresh(stack, u["refresh"]), 401, "invalid_token")
    finally:
        restart_app(stack)


# ---- refresh rotation: the browser's own race is forgiven, a replay is not ----

def test_two_page_loads_refreshing_at_once_keep_the_session(stack):
    u = stack.user()
    family = family_of(stack, u["refresh"])
    barrier = threading.Barrier(2)

    def page_load(_):
        barrier.wait()
        # A tab whose access cookie has expired: only the refresh cookie goes along.
        r = stack.get("/me", headers={"Cookie": "refresh_token=" + u["refresh"]}, allow_redirects=False)
        return r.status_code, set_cookie(r, "refresh_token")

    with cf.ThreadPoolExecutor(2) as ex:
        answers = list(ex.map(page_load, range(2)))
    assert [a[0] for a in answers] == [200, 200], answers
    assert revoked_in_family(stack, family) == 0
    for _, new_refresh in answers:
        assert new_refresh and new_refresh != u["refresh"]
        assert family_of(stack, new_refresh) == family
    assert refresh(stack, answers[0][1]).status_code == 200
    assert refresh(stack, answers[1][1]).status_code == 200
    assert revoked_in_family(stack, family) == 0


def test_a_replay_after_the_grace_window_ends_the_session(stack):
    u = stack.user()
    family = family_of(stack, u["refresh"])
    r = refresh(stack, u["refresh"])
    assert r.status_code == 200
    successor = r.json()["refresh_token"]
    time.sleep(int(stack.env.get("REFRESH_GRACE", 5)) + 2)
    assert_error(refresh(stack, u["refresh"]), 401, "invalid_token")
    assert_error(refresh(stack, successor), 401, "invalid_token")
    assert stack.sql("SELECT COUNT(*) AS n FROM refresh_tokens WHERE family = %s AND revoked_at IS NULL",
                     family)[0]["n"] == 0


# ---- reset links die with a new password ----

def test_a_reset_ends_every_older_reset_link(stack):
    u = stack.user()
    older, newer = reset_tokens(stack, u, 2)
    assert stack.post("/api/v1/auth/password-reset/confirm",
                      {"token": newer, "password": "the newest one"}).status_code == 204
    r = stack.post("/api/v1/auth/password-reset/confirm", {"token": older, "password": "an older one!"})
    assert_error(r, 400, "invalid_token")
    assert stack.post("/api/v1/auth/login", {"email": u["email"], "password": "the newest one"}).status_code == 200


def test_a_password_change_ends_every_reset_link(stack):
    u = stack.user()
    token = reset_token(stack, u)
    r = stack.request("PUT", "/api/v1/me/password", headers={"Authorization": "Bearer " + u["access"]},
                      json={"current_password": u["password"], "new_password": "changed by me"})
    assert r.status_code == 204
    r = stack.post("/api/v1/auth/password-reset/confirm", {"token": token, "password": "changed by a thief"})
    assert_error(r, 400, "invalid_token")
    assert stack.post("/api/v1/auth/login", {"email": u["email"], "password": "changed by me"}).status_code == 200


# ---- strangers meet limits before any password is hashed ----

def test_signups_beyond_the_client_limit_are_refused_before_hashing(stack):
    source, limit = a_client_address(), int(stack.env.get("SIGNUP_LIMIT_PER_CLIENT", 400))
    n = exhaust(stack, source, "/api/v1/auth/signup",
                lambda i: {"email": "not an address", "password": PW, "name": "W"}, limit)
    assert n <= limit
    addr = unique_email("limited")
    assert_limited(post_from(stack, source, "/api/v1/auth/signup", {"email": addr, "password": PW, "name": "L"}))
    assert not stack.sql("SELECT id FROM users WHERE email = %s", addr)
    assert not stack.sql("SELECT id FROM mail_outbox WHERE recipient = %s", addr)
    other = unique_email("other")
    r = post_from(stack, a_client_address(), "/api/v1/auth/signup", {"email": other, "password": PW, "name": "O"})
    assert r.status_code == 201, r.text
    assert len(stack.sql("SELECT id FROM users WHERE email = %s", other)) == 1


def test_a_signup_for_a_taken_email_is_refused(stack):
    u = stack.user()
    r = post_from(stack, a_client_address(), "/api/v1/auth/signup", {"email": u["email"], "password": PW, "name": "T"})
    assert_error(r, 409, "email_taken")


def test_reset_confirmations_beyond_the_client_limit_are_refused_before_hashing(stack):
    u = stack.user()
    token = reset_token(stack, u)
    before = stack.sql("SELECT password_hash FROM users WHERE id = %s", u["id"])[0]["password_hash"]
    source, limit = a_client_address(), int(stack.env.get("RESET_LIMIT_PER_CLIENT", 400))
    n = exhaust(stack, source, "/api/v1/auth/password-reset/confirm",
                lambda i: {"token": f"made-up-{i}", "password": "a long enough one"}, limit)
    assert n <= limit
    assert_limited(post_from(stack, source, "/api/v1/auth/password-reset/confirm",
                             {"token": token, "password": "the limited one"}))
    assert stack.sql("SELECT password_hash FROM users WHERE id = %s", u["id"])[0]["password_hash"] == before
    assert stack.sql("SELECT used_at FROM account_tokens WHERE user_id = %s AND kind = 'reset'",
                     u["id"])[0]["used_at"] is None
    r = post_from(stack, a_client_address(), "/api/v1/auth/password-reset/confirm",
                  {"token": token, "password": "the allowed one"})
    assert r.status_code == 204, r.text


def test_many_reset_requests_for_one_email_queue_few_mails(stack):
    u = stack.user()
    answers = [post_from(stack, a_client_address(), "/api/v1/auth/password-reset", {"email": u["email"]})
               for _ in range(25)]
    accepted = [r for r in answers if r.status_code == 202]
    assert 1 <= len(accepted) <= 5
    for r in answers:
        if r.status_code != 202:
            assert_limited(r)

    def handled():
        return stack.sql("SELECT COUNT(*) AS n FROM password_reset_requests WHERE email = %s"
                         " AND handled_at IS NULL", u["email"])[0]["n"] == 0
    wait_until("the reset requests handled", handled, timeout=20)
    assert handled()
    mails = stack.sql("SELECT COUNT(*) AS n FROM mail_outbox WHERE recipient = %s AND subject LIKE %s",
                      u["email"], "%Reset%")[0]["n"]
    assert mails == len(accepted)


def test_a_reset_request_does_the_same_work_for_known_and_unknown_emails(stack):
    known = [stack.user()["email"] for _ in range(10)]
    unknown = [unique_email("nobody") for _ in range(10)]
    times = {"known": [], "unknown": []}
    answers = {}
    for k, u in zip(known, unknown):
        for kind, addr in (("known", k), ("unknown", u)):
            t = time.perf_counter()
            r = stack.post("/api/v1/auth/password-reset", {"email": addr})
            times[kind].append(time.perf_counter() - t)
            answers.setdefault(kind, set()).add((r.status_code, r.text))
    assert answers["known"] == answers["unknown"] and len(answers["known"]) == 1
    assert next(iter(answers["known"]))[0] == 202
    # Each request queued exactly one request row, whatever the address.
    for addr in known + unknown:
        assert stack.sql("SELECT COUNT(*) AS n FROM password_reset_requests WHERE email = %s", addr)[0]["n"] == 1
    print(f"\nreset request median: known {statistics.median(times['known']) * 1000:.2f} ms, "
          f"unknown {statistics.median(times['unknown']) * 1000:.2f} ms")
    wait_until("the reset requests handled", lambda: stack.sql(
        "SELECT COUNT(*) AS n FROM password_reset_requests WHERE handled_at IS NULL")[0]["n"] == 0, timeout=20)
    for addr in known:
        stack.mailbox().wait_for(addr, "Reset")
    assert stack.sql("SELECT COUNT(*) AS n FROM mail_outbox WHERE recipient IN (" +
                     ",".join(["%s"] * len(unknown)) + ")", *unknown)[0]["n"] == 0


# ---- the signing key ----

def test_a_jwt_secret_shorter_than_32_bytes_is_refused_at_startup(stack):
    short = "s" * 31
    r = stack.cli("config", check=False, env={"JWT_SECRET": short})
    assert r.returncode != 0
    assert "JWT_SECRET" in r.stderr and "32" in r.stderr and short not in r.stderr + r.stdout
    assert stack.cli("config", check=False, env={"JWT_SECRET": "s" * 32}).returncode == 0
