"""The catalog contract: GET /api/v1/products (search, filters, sorting, paging) and
GET /api/v1/products/{id}, checked against what MySQL and Redis hold."""
import pytest

from conftest import assert_error

LIST_KEYS = {"id", "name", "category", "price", "stock_remaining", "likes", "sale_starts_at"}


def all_products(stack):
    return stack.sql("SELECT id, name, category, price, stock, likes, created_at FROM products")


def test_list_has_the_documented_shape_and_defaults(stack):
    body = stack.get("/api/v1/products").json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["page"] == 1 and body["per_page"] == 20
    assert body["total"] == len(all_products(stack))
    assert body["items"], "the demo data has products"
    for item in body["items"]:
        assert LIST_KEYS <= set(item), item
        assert isinstance(item["price"], int) and isinstance(item["stock_remaining"], int)


def test_default_order_is_newest_first(stack):
    expected = [p["id"] for p in sorted(all_products(stack), key=lambda p: (p["created_at"], p["id"]), reverse=True)]
    got = [p["id"] for p in stack.get("/api/v1/products?per_page=100").json()["items"]]
    assert got == expected


@pytest.mark.parametrize("sort,key,reverse", [("price_asc", "price", False), ("price_desc", "price", True)])
def test_sort_by_price(stack, sort, key, reverse):
    items = stack.get(f"/api/v1/products?sort={sort}&per_page=100").json()["items"]
    prices = [i["price"] for i in items]
    assert prices == sorted(prices, reverse=reverse)
    assert len(items) == len(all_products(stack))


def test_popular_puts_the_most_liked_first(stack):
    target = all_products(stack)[-1]["id"]
    stack.sql("UPDATE products SET likes = 1000 WHERE id = %s", target)
    try:
        items = stack.get("/api/v1/products?sort=popular").json()["items"]
        assert items[0]["id"] == target and items[0]["likes"] == 1000
    finally:
        stack.sql("UPDATE products SET likes = 0 WHERE id = %s", target)


def test_category_filter_returns_only_that_category(stack):
    body = stack.get("/api/v1/products?category=books").json()
    expected = {p["id"] for p in all_products(stack) if p["category"] == "books"}
    assert expected and {i["id"] for i in body["items"]} == expected
    assert body["total"] == len(expected)


def test_price_range_is_inclusive(stack):
    body = stack.get("/api/v1/products?min_price=18000&max_price=45000&per_page=100").json()
    expected = {p["id"] for p in all_products(stack) if 18000 <= p["price"] <= 45000}
    assert {i["id"] for i in body["items"]} == expected
    assert any(i["price"] in (18000, 45000) for i in body["items"])


def test_search_matches_names_regardless_of_case(stack):
    body = stack.get("/api/v1/products?q=JEJU").json()
    expected = {p["id"] for p in all_products(stack) if "jeju" in p["name"].lower()}
    assert len(expected) >= 2 and {i["id"] for i in body["items"]} == expected


def test_search_wildcards_are_literal(stack):
    # A demo product is "... 70% off": '%' and '_' match only themselves.
    assert stack.get("/api/v1/products?q=70%25").json()["total"] == 1
    assert stack.get("/api/v1/products?q=7_%25").json()["total"] == 0
    assert stack.get("/api/v1/products?q=_").json()["total"] == 0


def test_pages_partition_the_results(stack):
    total = len(all_products(stack))
    seen = []
    page = 1
    while True:
        body = stack.get(f"/api/v1/products?per_page=5&page={page}").json()
        assert body["total"] == total and body["per_page"] == 5
        if not body["items"]:
            break
        seen += [i["id"] for i in body["items"]]
        page += 1
    assert len(seen) == total and len(set(seen)) == total


def test_in_stock_filter_leaves_out_sold_out_products(stack):
    target = all_products(stack)[0]
    stack.sql("UPDATE products SET stock = 0 WHERE id = %s", target["id"])
    try:
        ids = {i["id"] for i in stack.get("/api/v1/products?in_stock=true&per_page=100").json()["items"]}
        assert target["id"] not in ids and len(ids) == len(all_products(stack)) - 1
    finally:
        stack.sql("UPDATE products SET stock = %s WHERE id = %s", target["stock"], target["id"])


def test_stock_remaining_comes_from_redis(stack):
    pid = all_products(stack)[0]["id"]
    r = stack.redis()
    key = f"{{p:{pid}}}:stock"
    old = r.get(key)
    r.set(key, 7)
    try:
        assert stack.get(f"/api/v1/products/{pid}").json()["product"]["stock_remaining"] == 7
    finally:
        r.set(key, old)


def test_a_missing_redis_counter_is_rebuilt_from_mysql(stack):
    p = all_products(stack)[1]
    r = stack.redis()
    key = f"{{p:{p['id']}}}:stock"
    r.delete(key)
    body = stack.get(f"/api/v1/products/{p['id']}").json()
    assert body["product"]["stock_remaining"] == p["stock"]
    assert r.get(key) == str(p["stock"])


def test_one_product_has_its_details_and_vendor(stack):
    p = stack.sql("SELECT p.id, p.name, p.description, v.name AS vendor FROM products p "
                  "JOIN vendors v ON v.id = p.vendor_id LIMIT 1")[0]
    body = stack.get(f"/api/v1/products/{p['id']}").json()
    prod = body["product"]
    assert prod["id"] == p["id"] and prod["name"] == p["name"]
    assert prod["description"] == p["description"] and prod["vendor_name"] == p["vendor"]
    assert LIST_KEYS <= set(prod)


@pytest.mark.parametrize("path", ["/api/v1/products/0", "/api/v1/products/999999", "/api/v1/products/abc",
                                  "/api/v1/products/-1", "/api/v1/products/1e3"])
def test_unknown_product_is_404(stack, path):
    assert_error(stack.get(path), 404, "not_found")


def test_flash_sale_product_carries_its_start_time(stack):
    row = stack.sql("SELECT id, sale_starts_at FROM products WHERE sale_starts_at IS NOT NULL")[0]
    prod = stack.get(f"/api/v1/products/{row['id']}").json()["product"]
    assert prod["sale_starts_at"] == row["sale_starts_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert prod["per_user_limit"] == 1
