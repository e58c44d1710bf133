"""The shop's pages as Chromium lays them out."""
import time
import uuid

from selenium.webdriver.common.by import By

from test_browse import browser  # noqa: F401  (the shared headless Chromium fixture)


def log_in(stack, browser, user):  # noqa: F811
    browser.delete_all_cookies()
    browser.get(stack.url("/login"))
    browser.find_element(By.NAME, "email").send_keys(user["email"])
    browser.find_element(By.NAME, "password").send_keys(user["password"])
    browser.find_element(By.CSS_SELECTOR, "form.auth-form button[type=submit]").click()
    deadline = time.time() + 10
    while time.time() < deadline and "/login" in browser.current_url:
        time.sleep(0.1)


def test_the_pay_page_lays_out_every_order_line_alike(stack, browser, admin):  # noqa: F811
    names = ["Mug", "Hand-thrown stoneware serving bowl with a reactive glaze, large, in the colour "
             "of the sea on a grey morning " + uuid.uuid4().hex[:6]]
    pids = []
    for name in names:
        r = stack.post("/api/v1/admin/products", {"name": name, "description": "", "category": "test",
                                                  "price": 12900, "stock": 20}, token=admin["access"])
        assert r.status_code == 201, r.text
        pids.append(r.json()["product"]["id"])
    u = stack.user()
    r = stack.post("/api/v1/orders", {"items": [{"product_id": p, "quantity": 1} for p in pids]},
                   token=u["access"])
    assert r.status_code == 201, r.text
    log_in(stack, browser, u)
    browser.get(stack.url(f"/orders/{r.json()['order']['id']}/pay"))
    lines = browser.find_elements(By.CSS_SELECTOR, ".pay-items li")
    assert len(lines) == 2
    boxes = []
    for li in lines:
        name = li.find_element(By.CSS_SELECTOR, ".pay-item-name").rect
        price = li.find_element(By.CSS_SELECTOR, ".pay-item-price").rect
        boxes.append((name, price))
        # The price sits on the name's first line, to its right, on every line.
        assert abs(price["y"] - name["y"]) < 8, (name, price)
        assert price["x"] >= name["x"] + name["width"] - 1, (name, price)
    (_, first), (_, second) = boxes
    assert abs((first["x"] + first["width"]) - (second["x"] + second["width"])) < 2, "one price column"
