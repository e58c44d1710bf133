"""The Accounts contract end to end: every status code it names, links read from real mail,
sessions that rotate and die, and the password at rest."""
import re
import statistics
import time

import pytest

from conftest import assert_error, link_token, unique_email

PW = "correct horse battery"


def signup(stack, addr, password=PW, name="Ada"):
    return stack.post("/api/v1/auth/signup", {"email": addr, "password": password, "name": name})


def login(stack, addr, password=PW):
    return stack.post("/api/v1/auth/login", {"email": addr, "password": password})


# ---- signup ----

def test_signup_creates_an_unverified_user_with_a_normalised_email(stack):
    addr = unique_email()
    r = signup(stack, "  " + addr.upper() + " ")
    assert r.status_code == 201
    user = r.json()["user"]
    assert user["email"] == addr and user["name"] == "Ada" and user["verified"] is False
    assert isinstance(user["id"], int)
    row = stack.sql("SELECT email, verified FROM users WHERE id = %s", user["id"])[0]
    assert row == {"email": addr, "verified": 0}


def test_the_stored_password_is_an_argon2id_hash(stack):
    addr = unique_email()
    assert signup(stack, addr).status_code == 201
    stored = stack.sql("SELECT password_hash FROM users WHERE email = %s", addr)[0]["password_hash"]
    assert stored.startswith("$argon2id$") and PW not in stored


def test_an_email_is_taken_whatever_its_case(stack):
    addr = unique_email()
    assert signup(stack, addr).status_code == 201
    assert_error(signup(stack, addr.upper()), 409, "email_taken")
    assert stack.sql("SELECT COUNT(*) AS n FROM users WHERE email = %s", addr)[0]["n"] == 1


@pytest.mark.parametrize("addr", ["", "no-at-sign", "a@b", "two@@example.com", "sp ace@example.com", "x@.com",
                                  "ctl\x01char@example.com"])
def test_an_invalid_email_is_422(stack, addr):
    assert_error(signup(stack, addr), 422, "invalid_email")


def test_a_password_under_8_characters_is_422(stack):
    assert_error(signup(stack, unique_email(), password="1234567"), 422, "weak_password")
    assert signup(stack, unique_email(), password="12345678").status_code == 201


def test_malformed_bodies_are_400_or_415_and_store_nothing(stack):
    before = stack.sql("SELECT COUNT(*) AS n FROM users")[0]["n"]
    assert_error(stack.request("POST", "/api/v1/auth/signup", data="{not json",
                               headers={"Content-Type": "application/json"}), 400, "invalid_json")
    assert_error(stack.request("POST", "/api/v1/auth/signup", data="[1,2]",
                               headers={"Content-Type": "application/json"}), 400, "invalid_json")
    assert_error(stack.request("POST", "/api/v1/auth/signup", data="email=a@b.co",
                               headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    assert_error(stack.request("POST", "/api/v1/auth/signup", data=b"",
                               headers={"Content-Type": "application/json"}), 400, "invalid_json")
    assert_error(stack.request("POST", "/api/v1/auth/signup", data=b'{"email":"\xff"}',
                               headers={"Content-Type": "application/json"}), 400, "invalid_json")
    assert stack.sql("SELECT COUNT(*) AS n FROM users")[0]["n"] == before


# ---- verification by mailed link ----

def test_signup_mails_a_verification_link_that_works_once(stack):
    addr = unique_email()
    assert signup(stack, addr).status_code == 201
    mail = stack.mailbox().wait_for(addr, "Confirm")
    assert mail["From"] and mail["Date"] and mail["Message-ID"]
    token, link = link_token(mail, "/verify")
    assert link.startswith(stack.env["BASE_URL"] + "/verify?token=")
    r = stack.post("/api/v1/auth/verify", {"token": token})
    assert r.status_code == 200 and r.json()["user"]["verified"] is True
    assert stack.sql("SELECT verified FROM users WHERE email = %s", addr)[0]["verified"] == 1
    assert_error(stack.post("/api/v1/auth/verify", {"token": token}), 400, "invalid_token")


def test_the_verification_page_confirms_from_the_mailed_link(stack):
    addr = unique_email()
    assert signup(stack, addr).status_code == 201
    token, link = link_token(stack.mailbox().wait_for(addr, "Confirm"), "/verify")
    r = stack.get(link[len(stack.env["BASE_URL"]):])
    assert r.status_code == 200 and "confirmed" in r.text
    assert stack.sql("SELECT verified FROM users WHERE email = %s", addr)[0]["verified"] == 1
    assert stack.get(f"/verify?token={token}").status_code == 400


def test_an_unknown_verification_token_is_400(stack):
    assert_error(stack.post("/api/v1/auth/verify", {"token": "nope"}), 400, "invalid_token")
    assert_error(stack.post("/api/v1/auth/verify", {}), 400, "invalid_token")


# ---- login, refresh, logout ----

def test_login_answers_a_bearer_token_pair(stack):
    u = stack.user()
    r = login(stack, u["email"], u["password"])
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    me = stack.get("/api/v1/me", headers={"Authorization": "Bearer " + body["access_token"]})
    assert me.status_code == 200 and me.json()["user"]["email"] == u["email"]


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(stack):
    u = stack.user()
    wrong = assert_error(login(stack, u["email"], "not the password"), 401, "invalid_credentials")
    unknown = assert_error(login(stack, unique_email(), PW), 401, "invalid_credentials")
    assert wrong == unknown


def age_rotations(stack, user_id):
    """Moves the user's rotations out of the grace window (REFRESH_GRACE), as if a minute had passed."""
    stack.sql("UPDATE refresh_tokens SET used_at = used_at - INTERVAL 1 MINUTE"
              " WHERE user_id = %s AND used_at IS NOT NULL", user_id)


def test_refresh_rotates_and_a_used_refresh_token_kills_its_family(stack):
    u = stack.user()
    first = stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]})
    assert first.status_code == 200
    newer = first.json()["refresh_token"]
    assert newer != u["refresh"]
    age_rotations(stack, u["id"])
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}), 401, "invalid_token")
    # The reuse revoked the family: the token that replaced the stolen one is dead too.
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": newer}), 401, "invalid_token")
    rows = stack.sql("SELECT revoked_at FROM refresh_tokens WHERE user_id = %s", u["id"])
    assert rows and all(r["revoked_at"] is not None for r in rows)


def test_another_session_survives_a_reuse_in_one_family(stack):
    u = stack.user()
    other = login(stack, u["email"], u["password"]).json()
    stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]})
    age_rotations(stack, u["id"])
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}), 401, "invalid_token")
    assert stack.post("/api/v1/auth/refresh", {"refresh_token": other["refresh_token"]}).status_code == 200


def test_after_logout_the_refresh_token_is_useless(stack):
    u = stack.user()
    r = stack.post("/api/v1/auth/logout", token=u["access"])
    assert r.status_code == 204 and r.text == ""
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}), 401, "invalid_token")


def test_logout_with_only_the_refresh_token_ends_that_session(stack):
    u = stack.user()
    assert stack.post("/api/v1/auth/logout", {"refresh_token": u["refresh"]}).status_code == 204
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}), 401, "invalid_token")
    assert_error(stack.post("/api/v1/auth/logout"), 401, "unauthorized")


def test_logout_all_ends_every_session(stack):
    u = stack.user()
    second = login(stack, u["email"], u["password"]).json()
    assert stack.post("/api/v1/auth/logout-all", token=u["access"]).status_code == 204
    for t in (u["refresh"], second["refresh_token"]):
        assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": t}), 401, "invalid_token")
    assert_error(stack.post("/api/v1/auth/logout-all"), 401, "unauthorized")


# ---- password reset ----

def test_password_reset_by_mailed_link_changes_the_password_and_ends_sessions(stack):
    u = stack.user()
    r = stack.post("/api/v1/auth/password-reset", {"email": u["email"].upper()})
    assert r.status_code == 202
    token, link = link_token(stack.mailbox().wait_for(u["email"], "Reset"), "/reset-password")
    assert link.startswith(stack.env["BASE_URL"] + "/reset-password?token=")
    r = stack.post("/api/v1/auth/password-reset/confirm", {"token": token, "password": "a brand new one"})
    assert r.status_code == 204
    assert_error(login(stack, u["email"], u["password"]), 401, "invalid_credentials")
    assert login(stack, u["email"], "a brand new one").status_code == 200
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}), 401, "invalid_token")
    again = stack.post("/api/v1/auth/password-reset/confirm", {"token": token, "password": "yet another one"})
    assert_error(again, 400, "invalid_token")


def test_an_expired_reset_token_is_refused(stack):
    u = stack.user()
    stack.post("/api/v1/auth/password-reset", {"email": u["email"]})
    token, _ = link_token(stack.mailbox().wait_for(u["email"], "Reset"), "/reset-password")
    stack.sql("UPDATE account_tokens SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND "
              "WHERE user_id = %s AND kind = 'reset'", u["id"])
    r = stack.post("/api/v1/auth/password-reset/confirm", {"token": token, "password": "a brand new one"})
    assert_error(r, 400, "invalid_token")


def test_reset_confirm_refuses_a_weak_password(stack):
    assert_error(stack.post("/api/v1/auth/password-reset/confirm", {"token": "x", "password": "short"}),
                 422, "weak_password")


def test_reset_does_not_reveal_which_emails_exist(stack):
    u = stack.user()
    nobody = unique_email("nobody")
    known, unknown = [], []
    for _ in range(5):
        t = time.perf_counter()
        a = stack.post("/api/v1/auth/password-reset", {"email": u["email"]})
        known.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = stack.post("/api/v1/auth/password-reset", {"email": nobody})
        unknown.append(time.perf_counter() - t)
        assert (a.status_code, a.json()) == (b.status_code, b.json()) and a.status_code == 202
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.05
    time.sleep(1)
    assert stack.mailbox().count(nobody) == 0


# ---- my page ----

def test_me_shows_and_updates_the_profile(stack):
    u = stack.user()
    r = stack.request("PATCH", "/api/v1/me", json={"name": "Grace", "phone": "+82 10 1234 5678",
                                                   "address": "1 Sejong-daero, Seoul"},
                      headers={"Authorization": "Bearer " + u["access"]})
    assert r.status_code == 200
    got = stack.get("/api/v1/me", headers={"Authorization": "Bearer " + u["access"]}).json()["user"]
    assert (got["name"], got["phone"], got["address"]) == ("Grace", "+82 10 1234 5678", "1 Sejong-daero, Seoul")
    assert got["email"] == u["email"] and got["role"] == "user"
    bad = stack.request("PATCH", "/api/v1/me", json={"name": ""},
                        headers={"Authorization": "Bearer " + u["access"]})
    assert_error(bad, 422, "invalid_name")
    bad = stack.request("PATCH", "/api/v1/me", json={"phone": 42},
                        headers={"Authorization": "Bearer " + u["access"]})
    assert_error(bad, 422, "invalid_field")


def test_password_change_checks_the_current_password(stack):
    u = stack.user()
    h = {"Authorization": "Bearer " + u["access"]}
    r = stack.request("PUT", "/api/v1/me/password", json={"current_password": "wrong one!",
                                                          "new_password": "a new password"}, headers=h)
    assert_error(r, 403, "wrong_password")
    r = stack.request("PUT", "/api/v1/me/password", json={"current_password": u["password"],
                                                          "new_password": "short"}, headers=h)
    assert_error(r, 422, "weak_password")
    r = stack.request("PUT", "/api/v1/me/password", json={"current_password": u["password"],
                                                          "new_password": "a new password"}, headers=h)
    assert r.status_code == 204
    assert login(stack, u["email"], "a new password").status_code == 200


def test_me_without_a_token_is_401(stack):
    assert_error(stack.get("/api/v1/me"), 401, "unauthorized")
    assert_error(stack.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "unauthorized")


# ---- roles ----

def test_admin_endpoints_are_403_to_everyone_else(stack):
    user, vendor, admin = stack.user("user"), stack.user("vendor"), stack.user("admin")
    for path in ["/api/v1/admin/stats", "/api/v1/admin/vendors"]:
        assert_error(stack.get(path), 401, "unauthorized")
        for who in (user, vendor):
            assert_error(stack.get(path, headers={"Authorization": "Bearer " + who["access"]}), 403, "forbidden")
        assert stack.get(path, headers={"Authorization": "Bearer " + admin["access"]}).status_code == 200
    stats = stack.get("/api/v1/admin/stats", headers={"Authorization": "Bearer " + admin["access"]}).json()
    assert stats["stats"]["users"] == stack.sql("SELECT COUNT(*) AS n FROM users")[0]["n"]


def test_admin_creates_vendors(stack):
    admin = stack.user("admin")
    name = unique_email("vendor").split("@")[0]
    r = stack.post("/api/v1/admin/vendors", {"name": name}, token=admin["access"])
    assert r.status_code == 201 and r.json()["vendor"]["name"] == name and r.json()["vendor"]["balance"] == 0
    assert_error(stack.post("/api/v1/admin/vendors", {"name": name}, token=admin["access"]), 409, "name_taken")
    assert_error(stack.post("/api/v1/admin/vendors", {"name": ""}, token=admin["access"]), 422, "invalid_name")


def test_user_add_refuses_bad_input_clearly(stack):
    out = stack.cli("user", "add", "--email", "not-an-email", "--password", PW, check=False)
    assert out.returncode == 1 and "invalid_email" in out.stderr
    out = stack.cli("user", "add", "--email", unique_email(), "--password", PW, "--role", "root", check=False)
    assert out.returncode == 1 and "invalid_role" in out.stderr
    assert stack.cli("user", check=False).returncode == 2


# ---- rate limiting ----

def test_twenty_wrong_passwords_in_a_row_meet_429(stack):
    u = stack.user()
    codes = []
    for _ in range(20):
        r = login(stack, u["email"], "wrong password")
        codes.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) > 0
            assert_error(r, 429, "rate_limited")
    assert codes[:10] == [401] * 10 and codes[10:] == [429] * 10
    # Locked: even the right password waits until the window ends.
    assert login(stack, u["email"], u["password"]).status_code == 429


def test_a_hash_made_with_other_settings_is_redone_at_login(stack):
    addr = unique_email("rehash")
    out = stack.cli("user", "add", "--email", addr, "--password", PW, "--verified", check=False,
                    env={"PASSWORD_HASH_OPS": "3"})
    assert out.returncode == 0, out.stderr
    before = stack.sql("SELECT password_hash FROM users WHERE email = %s", addr)[0]["password_hash"]
    assert before.startswith("$argon2id$") and ",t=3," in before
    assert login(stack, addr).status_code == 200
    after = stack.sql("SELECT password_hash FROM users WHERE email = %s", addr)[0]["password_hash"]
    assert after != before and f",t={stack.env['PASSWORD_HASH_OPS']}," in after
    assert login(stack, addr).status_code == 200


def test_a_password_change_ends_the_other_sessions_but_not_this_one(stack):
    u = stack.user()
    other = login(stack, u["email"], u["password"]).json()
    r = stack.request("PUT", "/api/v1/me/password", headers={"Authorization": "Bearer " + u["access"]},
                      json={"current_password": u["password"], "new_password": "another good one"})
    assert r.status_code == 204
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": other["refresh_token"]}), 401, "invalid_token")
    assert stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}).status_code == 200


def test_an_operator_sets_a_new_password_from_the_command_line_and_every_session_ends(stack):
    u = stack.user()
    out = stack.cli("user", "password", "--email", u["email"].upper(), "--password", "a brand new secret")
    assert "new password set, every session ended" in out.stdout and "a brand new secret" not in out.stdout
    login = lambda pw: stack.post("/api/v1/auth/login", {"email": u["email"], "password": pw})  # noqa: E731
    assert_error(login(u["password"]), 401)
    assert login("a brand new secret").status_code == 200
    assert_error(stack.post("/api/v1/auth/refresh", {"refresh_token": u["refresh"]}), 401, "invalid_token")
    out = stack.cli("user", "password", "--email", u["email"])
    made = re.search(r"the password \(shown once\): (\S+)$", out.stdout.strip())[1]
    assert login(made).status_code == 200 and len(made) == 16
    bad = stack.cli("user", "password", "--email", "nobody-" + u["email"], check=False)
    assert bad.returncode == 1 and "no account has the email" in bad.stderr
    short = stack.cli("user", "password", "--email", u["email"], "--password", "short", check=False)
    assert short.returncode == 1 and "weak_password" in short.stderr
    assert login(made).status_code == 200, "a refused reset changed nothing"
