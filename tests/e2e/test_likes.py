"""Likes under concurrency: many people liking one product at once all succeed (no deadlock),
and the count equals the likes stored, however often each one pressed."""
import concurrent.futures as cf
import uuid

import requests


def test_concurrent_likes_on_one_product_count_exactly(stack):
    prefix = "liker" + uuid.uuid4().hex[:6]
    stack.cli("user", "bulk", "--prefix", prefix, "--count", "40", "--password", "secret123", "--verified")
    tokens = [requests.post(stack.url("/api/v1/auth/login"), timeout=30,
                            json={"email": f"{prefix}-{i}@example.com", "password": "secret123"}).json()["access_token"]
              for i in range(1, 41)]
    pid = stack.sql("SELECT id FROM products ORDER BY id LIMIT 1")[0]["id"]
    before = stack.sql("SELECT likes FROM products WHERE id = %s", pid)[0]["likes"]

    def like(token):
        return requests.put(stack.url(f"/api/v1/products/{pid}/like"), timeout=30,
                            headers={"Authorization": "Bearer " + token}).status_code

    with cf.ThreadPoolExecutor(20) as ex:
        codes = list(ex.map(like, tokens * 3))
    assert codes == [204] * 120
    rows = stack.sql("SELECT COUNT(*) AS n FROM likes WHERE product_id = %s", pid)[0]["n"]
    assert stack.sql("SELECT likes FROM products WHERE id = %s", pid)[0]["likes"] == before + 40 == rows

    def unlike(token):
        return requests.delete(stack.url(f"/api/v1/products/{pid}/like"), timeout=30,
                               headers={"Authorization": "Bearer " + token}).status_code

    with cf.ThreadPoolExecutor(20) as ex:
        assert list(ex.map(unlike, tokens * 2)) == [204] * 80
    assert stack.sql("SELECT likes FROM products WHERE id = %s", pid)[0]["likes"] == before


def test_the_likes_list_carries_each_products_live_stock(stack):
    """The JSON list and the /me/likes page come from one domain call: both show the stock
    left, as Redis counts it."""
    u = stack.user()
    pid = stack.sql("SELECT id FROM products ORDER BY id LIMIT 1")[0]["id"]
    assert stack.request("PUT", f"/api/v1/products/{pid}/like",
                         headers={"Authorization": "Bearer " + u["access"]}).status_code == 204
    items = stack.get("/api/v1/me/likes", headers={"Authorization": "Bearer " + u["access"]}).json()["items"]
    assert [i["id"] for i in items] == [pid]
    assert items[0]["stock_remaining"] == int(stack.redis().get(f"{{p:{pid}}}:stock"))
