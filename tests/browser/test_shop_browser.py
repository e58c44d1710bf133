"""The shop's pages as Chromium lays them out."""
import time
import uuid

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from test_browse import browser  # noqa: F401  (the shared headless Chromium fixture)


def log_in(stack, browser, user):  # noqa: F811
    browser.delete_all_cookies()
    browser.get(stack.url("/login"))
    submit_login(browser, user)


def submit_login(browser, user):  # noqa: F811
    """Fills the login form on the page open now and waits to be taken on."""
    browser.find_element(By.NAME, "email").send_keys(user["email"])
    browser.find_element(By.NAME, "password").send_keys(user["password"])
    browser.find_element(By.CSS_SELECTOR, "form.auth-form button[type=submit]").click()
    deadline = time.time() + 10
    while time.time() < deadline and "/login" in browser.current_url:
        time.sleep(0.1)


def page_text_once(browser, expected, timeout=10):  # noqa: F811
    """The text of the page once it holds `expected` (or when time runs out): a click on a form's
    button returns before the next page has replaced this one."""
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        try:
            text = browser.find_element(By.TAG_NAME, "body").text
        except StaleElementReferenceException:
            text = ""
        if expected in text:
            break
        time.sleep(0.1)
    return text


def open_campaign(stack, admin, name, value):
    """A fixed-value coupon event of 5, open now."""
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": name + " " + uuid.uuid4().hex[:6], "type": "fixed",
        "value": value, "total_quantity": 5, "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z"}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]


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


def test_checkout_picks_a_coupon_from_the_ones_held(stack, browser, admin):  # noqa: F811
    coupon = open_campaign(stack, admin, "Browser pick", 3000)
    r = stack.post("/api/v1/admin/products", {"name": "Browser pick item", "description": "",
                                              "category": "test", "price": 25000, "stock": 20},
                   token=admin["access"])
    pid = r.json()["product"]["id"]
    u = stack.user()
    assert stack.post(f"/api/v1/coupons/{coupon['id']}/claim", token=u["access"]).status_code == 201
    log_in(stack, browser, u)
    browser.get(stack.url(f"/products/{pid}"))
    browser.find_element(By.CSS_SELECTOR, f'form[action="/cart/items/{pid}"] button[type=submit]').click()
    browser.get(stack.url("/cart"))
    choices = browser.find_elements(By.CSS_SELECTOR, ".coupon-choice")
    assert [c.text.replace("\n", " ") for c in choices] == [f"{coupon['name']} \u2212\u20a93,000", "No coupon"]
    choices[1].click()
    choices[0].click()
    assert choices[0].find_element(By.TAG_NAME, "input").is_selected()
    browser.find_element(By.CSS_SELECTOR, 'form[action="/checkout"] button[type=submit]').click()
    deadline = time.time() + 10
    while time.time() < deadline and "/pay" not in browser.current_url:
        time.sleep(0.1)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "/pay" in browser.current_url and "\u20a922,000" in body and "\u20a93,000" in body


def test_an_admin_uploads_a_product_picture_from_the_products_page(stack, browser, tmp_path):  # noqa: F811
    from PIL import Image
    r = stack.post("/api/v1/admin/products", {"name": "Browser picture " + uuid.uuid4().hex[:6],
                                              "description": "", "category": "test", "price": 5000,
                                              "stock": 5}, token=stack.user("admin")["access"])
    pid = r.json()["product"]["id"]
    picture = tmp_path / "teapot.png"
    Image.new("RGB", (900, 700), (30, 110, 160)).save(picture)
    admin = stack.user("admin")
    log_in(stack, browser, admin)
    browser.get(stack.url(f"/admin/products?q={r.json()['product']['name']}"))
    form = browser.find_element(By.ID, f"product-{pid}")
    form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(picture))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    deadline = time.time() + 15
    while time.time() < deadline and not browser.find_elements(By.CSS_SELECTOR, f"#product-{pid} img.picture-mini"):
        time.sleep(0.2)
    mini = browser.find_element(By.CSS_SELECTOR, f"#product-{pid} img.picture-mini")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", mini) == 480
    card = stack.get(f"/api/v1/products/{pid}").json()["product"]["picture_card"]
    assert mini.get_attribute("src").endswith(card)
    browser.get(stack.url(f"/products/{pid}"))
    big = browser.find_element(By.CSS_SELECTOR, ".product-media img")
    assert browser.execute_script("return arguments[0].naturalWidth", big) == 900

    # A file that is not a picture is refused with the reason shown beside the form.
    text = tmp_path / "notes.png"
    text.write_text("not a picture at all")
    browser.get(stack.url(f"/admin/products?q={r.json()['product']['name']}"))
    form = browser.find_element(By.ID, f"product-{pid}")
    form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(text))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = form.find_element(By.CSS_SELECTOR, ".picture-status")
    deadline = time.time() + 10
    while time.time() < deadline and "not a PNG" not in status.text:
        time.sleep(0.2)
    assert status.text == "the file is not a PNG, JPEG, WebP or GIF image"
    assert stack.get(f"/api/v1/products/{pid}").json()["product"]["picture_card"] == card


def test_a_claim_pressed_after_the_session_ended_comes_back_to_the_coupon_after_logging_in(stack, browser, admin):  # noqa: F811
    cid = open_campaign(stack, admin, "Come back", 2000)["id"]
    u = stack.user()
    log_in(stack, browser, u)
    browser.get(stack.url(f"/coupons/{cid}"))
    for name in ("access_token", "refresh_token"):  # the session ends while the page is open
        browser.delete_cookie(name)
    browser.find_element(By.CSS_SELECTOR, "button.btn-claim").click()
    assert "log in, and you will be back on the page to do it again" in page_text_once(browser, "log in")
    assert "/login" in browser.current_url
    submit_login(browser, u)
    assert browser.current_url.endswith(f"/coupons/{cid}")
    browser.find_element(By.CSS_SELECTOR, "button.btn-claim").click()
    assert "You got it!" in page_text_once(browser, "You got it!")
    # The outcome stands in for the claim box; opened again, the page shows the coupon held.
    assert not [b for b in browser.find_elements(By.CSS_SELECTOR, "button.btn-claim")
                if b.is_displayed() and b.is_enabled()]
    browser.get(stack.url(f"/coupons/{cid}"))
    buttons = browser.find_elements(By.CSS_SELECTOR, "button.btn-claim")
    assert [(b.text, b.is_enabled()) for b in buttons] == [("Claimed", False)]
    assert stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s", cid)[0]["n"] == 1
