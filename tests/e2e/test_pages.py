"""The HTML pages of the catalog: server-rendered from the same domain functions as the API."""
import html
import re

from conftest import ROOT


def test_home_page_lists_the_newest_products(stack):
    r = stack.get("/")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    text = html.unescape(r.text)
    first_page = stack.get("/api/v1/products").json()["items"]
    assert first_page
    for p in first_page:
        assert p["name"] in text


def test_products_page_filters_by_category(stack):
    text = html.unescape(stack.get("/products?category=books").text)
    books = [p["name"] for p in stack.sql("SELECT name FROM products WHERE category = 'books'")]
    others = [p["name"] for p in stack.sql("SELECT name FROM products WHERE category <> 'books'")]
    assert all(b in text for b in books)
    assert not any(o in text for o in others)


def test_product_page_shows_name_price_and_stock(stack):
    p = stack.sql("SELECT id, name, price FROM products WHERE sale_starts_at IS NULL LIMIT 1")[0]
    text = html.unescape(stack.get(f"/products/{p['id']}").text)
    assert p["name"] in text
    assert f"{p['price']:,}" in text
    assert 'id="stock"' in text


def test_missing_product_page_is_a_404_page(stack):
    r = stack.get("/products/999999")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
    assert "999999" in r.text


def test_product_names_are_escaped(stack):
    stack.sql("INSERT INTO products (name, description, category, price, stock) VALUES "
              "('<script>alert(1)</script>', '<b>bold</b>', 'zz-test', 1, 1)")
    try:
        pid = stack.sql("SELECT id FROM products WHERE category = 'zz-test'")[0]["id"]
        for path in ["/", "/products?category=zz-test", f"/products/{pid}"]:
            text = stack.get(path).text
            assert "<script>alert(1)</script>" not in text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<b>bold</b>" not in stack.get(f"/products/{pid}").text
    finally:
        stack.sql("DELETE FROM products WHERE category = 'zz-test'")


def test_static_files_are_served_by_nginx_with_cache_headers(stack):
    r = stack.get("/static/css/site.css")
    assert r.status_code == 200 and "text/css" in r.headers["Content-Type"]
    assert "max-age=604800" in r.headers.get("Cache-Control", "")


def test_every_template_starts_with_the_autoescape_pragma():
    import glob
    import os
    files = glob.glob(os.path.join(ROOT, "templates", "*.tpl"))
    assert files
    for f in files:
        first = open(f).read().lstrip()
        assert re.match(r'\{\{%AUTOESCAPE context="HTML"\}\}', first), f
