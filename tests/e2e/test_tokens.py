"""Access tokens: only HS256 signed with this stack's secret, unexpired and unaltered, passes."""
import base64
import json
import time

import jwt
import pytest

from conftest import assert_error


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def me(stack, token):
    return stack.get("/api/v1/me", headers={"Authorization": "Bearer " + token})


@pytest.fixture(scope="module")
def session(stack):
    return stack.user()


def test_the_real_token_passes(stack, session):
    assert me(stack, session["access"]).status_code == 200


def test_a_tampered_token_is_401(stack, session):
    head, payload, sig = session["access"].split(".")
    claims = claims_of(session["access"])
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert_error(me(stack, f"{head}.{forged}.{sig}"), 401, "unauthorized")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert_error(me(stack, f"{head}.{payload}.{flipped}"), 401, "unauthorized")


def test_a_token_signed_with_another_secret_is_401(stack, session):
    token = jwt.encode(claims_of(session["access"]), "not the secret", algorithm="HS256")
    assert_error(me(stack, token), 401, "unauthorized")


def test_an_alg_none_token_is_401(stack, session):
    token = jwt.encode(claims_of(session["access"]), None, algorithm="none")
    assert_error(me(stack, token), 401, "unauthorized")
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = session["access"].split(".")[1]
    assert_error(me(stack, f"{head}.{body}."), 401, "unauthorized")


def test_another_algorithm_with_the_right_secret_is_401(stack, session):
    token = jwt.encode(claims_of(session["access"]), stack.env["JWT_SECRET"], algorithm="HS512")
    assert_error(me(stack, token), 401, "unauthorized")


def test_an_expired_token_is_401(stack, session):
    claims = claims_of(session["access"])
    claims["exp"] = int(time.time()) - 5
    token = jwt.encode(claims, stack.env["JWT_SECRET"], algorithm="HS256")
    assert_error(me(stack, token), 401, "unauthorized")
    claims["exp"] = int(time.time()) + 60  # the same claims, unexpired, do pass: the secret is right
    assert me(stack, jwt.encode(claims, stack.env["JWT_SECRET"], algorithm="HS256")).status_code == 200


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a" * 5000])
def test_garbage_tokens_are_401(stack, token):
    assert_error(me(stack, token), 401, "unauthorized")
