"""The admin pages: the dashboard's figures come from MySQL, /admin/products creates and
changes products (the live stock follows), bad input is shown on the form, and only admins
get in."""
import html
import re

import requests

from conftest import csrf_of, page_session, unique_email

PW = "correct horse battery"


def signed_in(stack, role):
    addr = unique_email(role)
    stack.cli("user", "add", "--email", addr, "--password", PW, "--role", role, "--verified")
    return page_session(stack, addr, PW)


def test_only_admins_see_the_admin_pages(stack):
    user = signed_in(stack, "user")
    for path in ("/admin", "/admin/products", "/admin/coupons"):
        assert user.get(stack.base + path).status_code == 403
    assert 'href="/admin"' not in user.get(stack.base + "/").text
    r = requests.get(stack.base + "/admin", allow_redirects=False)
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]


def test_the_dashboard_counts_what_mysql_holds(stack):
    s = signed_in(stack, "admin")
    page = s.get(stack.base + "/admin")
    assert page.status_code == 200 and 'href="/admin"' in page.text
    products = stack.sql("SELECT COUNT(*) AS n FROM products")[0]["n"]
    users = stack.sql("SELECT COUNT(*) AS n FROM users")[0]["n"]
    text = html.unescape(page.text)
    assert re.search(rf'stat-value">{products}</span><span class="stat-label"><a href="/admin/products"', text)
    assert re.search(rf'stat-value">{users}</span><span class="stat-label">users', text)


def test_the_stats_api_carries_every_figure_of_the_dashboard(stack):
    """One domain call serves both: each figure the page shows is in the JSON, equal."""
    s = signed_in(stack, "admin")
    admin = stack.user("admin")
    text = html.unescape(s.get(stack.base + "/admin").text)
    stats = stack.get("/api/v1/admin/stats", headers={"Authorization": "Bearer " + admin["access"]}).json()["stats"]
    shown = {label.strip(): value for value, label in re.findall(
        r'stat-value">([^<]*)</span><span class="stat-label">(?:<a [^>]*>)?([a-z ]+)', text)}
    assert shown == {
        "users": str(stats["users"]), "products": str(stats["products"]),
        "coupon events": str(stats["coupons"]), "coupons issued": f"{stats['issued']} / {stats['quantity']}",
        "paid sales": f"\u20a9{stats['sales']:,}", "vendors": str(stats["vendors"]),
        "parked events": str(stats["parked"])}
    assert f"users ({stats['verified_users']} verified)" in text
    by_status = {o["status"]: int(o["n"]) for o in stats["orders"]}
    assert by_status == {r["status"]: r["n"] for r in stack.sql("SELECT status, COUNT(*) AS n FROM orders GROUP BY status")}


def test_create_and_change_a_product_from_the_page(stack):
    s = signed_in(stack, "admin")
    token = csrf_of(s.get(stack.base + "/admin/products").text)
    name = "Admin page product " + unique_email("p").split("@")[0]
    r = s.post(stack.base + "/admin/products", data={
        "csrf": token, "name": name, "description": "made on the page", "category": "test",
        "price": "1200", "stock": "7", "sale_starts_at": "", "per_user_limit": ""})
    assert r.status_code == 201 and "The product is created." in r.text
    row = stack.sql("SELECT id, price, stock FROM products WHERE name = %s", name)[0]
    assert (row["price"], row["stock"]) == (1200, 7)
    assert stack.get(f"/api/v1/products/{row['id']}").json()["product"]["stock_remaining"] == 7

    # blank fields stay as they are; the live counter moves with the stock
    r = s.post(stack.base + f"/admin/products/{row['id']}",
               data={"csrf": token, "price": "", "stock": "9", "per_user_limit": "2"})
    assert r.status_code == 200 and f"Product {row['id']} is updated." in r.text
    after = stack.sql("SELECT price, stock, per_user_limit FROM products WHERE id = %s", row["id"])[0]
    assert (after["price"], after["stock"], after["per_user_limit"]) == (1200, 9, 2)
    assert stack.get(f"/api/v1/products/{row['id']}").json()["product"]["stock_remaining"] == 9


def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(stack):
    s = signed_in(stack, "admin")
    token = csrf_of(s.get(stack.base + "/admin/products").text)
    before = stack.sql("SELECT COUNT(*) AS n FROM products")[0]["n"]
    r = s.post(stack.base + "/admin/products", data={
        "csrf": token, "name": "Priced in words", "category": "test", "price": "twelve", "stock": "1"})
    assert r.status_code == 422 and 'role="alert"' in r.text and "price" in html.unescape(r.text)
    assert stack.sql("SELECT COUNT(*) AS n FROM products")[0]["n"] == before
    assert s.post(stack.base + "/admin/products/999999999",
                  data={"csrf": token, "price": "1"}).status_code == 404
    assert s.post(stack.base + "/admin/products", data={"name": "x"}).status_code == 403  # no csrf
