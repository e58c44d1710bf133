"""Malformed requests get a 4xx with the error shape (or clamped values): never a 500, never a
dropped connection, and nothing stored is touched."""
import socket

import pytest

from conftest import assert_error


def test_negative_page_is_clamped_to_the_first(stack):
    body = stack.get("/api/v1/products?page=-1").json()
    assert body["page"] == 1 and body["items"]


def test_huge_per_page_is_clamped_to_100(stack):
    assert stack.get("/api/v1/products?per_page=100000").json()["per_page"] == 100


def test_zero_per_page_is_clamped_to_one(stack):
    body = stack.get("/api/v1/products?per_page=0").json()
    assert body["per_page"] == 1 and len(body["items"]) == 1


@pytest.mark.parametrize("query,names", [
    ("min_price=abc", "min_price"), ("max_price=1.5", "max_price"), ("min_price=-5", "min_price"),
    ("min_price=500&max_price=100", "min_price"), ("sort=cheapest", "sort"), ("in_stock=maybe", "in_stock"),
    ("page=abc", "page"), ("per_page=ten", "per_page"), ("page=99999999999999999999999", "page"),
    ("q=" + "x" * 101, "q"),
])
def test_invalid_parameters_are_422_naming_the_parameter(stack, query, names):
    err = assert_error(stack.get("/api/v1/products?" + query), 422, "invalid_parameter")
    assert names in err["message"]


@pytest.mark.parametrize("query", ["q=%FF%FE", "q=%C0%AF", "q=%zz", "q=%", "category=%E2%28%A1"])
def test_bad_escapes_and_bad_utf8_are_400(stack, query):
    assert_error(stack.raw_get("/api/v1/products?" + query), 400, "bad_query")


def test_a_one_megabyte_query_string_is_414_in_the_error_shape(stack):
    assert_error(stack.get("/api/v1/products?q=" + "a" * 1_000_000), 414, "uri_too_long")


def test_a_one_megabyte_query_string_on_a_page_is_refused_too(stack):
    assert stack.get("/products?q=" + "a" * 1_000_000).status_code == 414


def test_a_body_over_the_limit_is_413_in_the_error_shape(stack):
    r = stack.request("POST", "/api/v1/products", data=b"x" * 2_000_000,
                      headers={"Content-Type": "application/json"})
    assert_error(r, 413, "body_too_large")


def test_unknown_api_path_is_404_and_wrong_method_405(stack):
    assert_error(stack.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(stack.request("DELETE", "/api/v1/products"), 405, "method_not_allowed")


def test_garbage_request_line_gets_an_answer_not_a_dropped_connection(stack):
    with socket.create_connection(("127.0.0.1", stack.port), timeout=5) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")
    assert b'"code":"bad_request"' in reply


@pytest.mark.parametrize("body,problem", [
    (b'{"email": "a\\u0000b", "password": "p"}', "a string holds \\u0000, which is not accepted"),
    (b'{"email": "a", "email": "b"}', "an object has the same key twice"),
    (b'{"email": "a"', "it ends too early"),
    (b'{"email": "a"} x', "more follows the JSON value"),
    (b'{"email": \xff}', "it is not valid UTF-8"),
    (b'{"n": 1e999999}', "a number is too large"),
    (b"[" * 5000 + b"]" * 5000, "it is nested too deeply"),
    (b"{email: 1}", "its syntax is wrong"),
], ids=["nul", "duplicate", "cut", "trailing", "utf8", "overflow", "deep", "syntax"])
def test_a_body_jansson_refuses_is_explained_in_the_api_s_words(stack, body, problem):
    r = stack.request("POST", "/api/v1/auth/login", data=body,
                      headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "invalid_json")
    assert err["message"].startswith(f"the body is not valid JSON: {problem} (at byte "), err
    assert "JSON_" not in err["message"] and "near" not in err["message"]


def test_bad_input_left_the_catalog_untouched(stack):
    before = stack.sql("SELECT COUNT(*) AS n, SUM(stock) AS s FROM products")[0]
    for q in ["page=-1", "min_price=abc", "q=%FF", "sort=';DROP TABLE products;--"]:
        assert stack.get("/api/v1/products?" + q).status_code < 500
    assert stack.sql("SELECT COUNT(*) AS n, SUM(stock) AS s FROM products")[0] == before
