"""Takes the screenshots of `make screenshots` (scripts/screenshots.sh): a shopper and an admin
go through the shop in headless Chromium, and every page they meet is saved as a PNG."""
import io
import os
import shutil
import sys
import tempfile
import time
import uuid

import requests
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

STATE_DIR, BASE, OUT = sys.argv[1:4]
PW = "correct horse battery"


def cli(*args):
    import subprocess
    out = subprocess.run([os.path.join(os.path.dirname(__file__), "..", "bin", "firstcome"), *args],
                         env=dict(os.environ, STATE_DIR=STATE_DIR), capture_output=True, text=True,
                         check=True)
    return out.stdout


def api(method, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = "Bearer " + token
    r = requests.request(method, BASE + path, headers=headers, timeout=30, **kw)
    assert r.status_code < 400, (path, r.status_code, r.text)
    return r.json() if r.headers.get("Content-Type", "").startswith("application/json") else r


def login_token(email):
    return api("POST", "/api/v1/auth/login", json={"email": email, "password": PW})["access_token"]


def browser(width, height):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="firstcome-shots.")
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--force-device-scale-factor=1", f"--window-size={width},{height}",
                 f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.profile = profile
    # The viewport is set directly: a window cannot be narrower than 500 pixels, a phone is.
    d.viewport = (width, height)
    viewport(d, height)
    return d


def viewport(d, height):
    width = d.viewport[0]
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})


def log_in(d, email):
    d.delete_all_cookies()
    d.get(BASE + "/login")
    d.find_element(By.NAME, "email").send_keys(email)
    d.find_element(By.NAME, "password").send_keys(PW)
    d.find_element(By.CSS_SELECTOR, "form.auth-form button[type=submit]").click()
    deadline = time.time() + 10
    while time.time() < deadline and "/login" in d.current_url:
        time.sleep(0.1)


def shot(d, name, path):
    """The page at path (None: the page open now, as it stands) in one picture."""
    if path:
        d.get(BASE + path)
    time.sleep(0.4)  # scripts that format dates and countdowns have run
    height = d.execute_script("return document.documentElement.scrollHeight")
    viewport(d, min(max(height, 600), 6000))  # the whole page in one picture
    time.sleep(0.2)
    png = d.get_screenshot_as_png()
    Image.open(io.BytesIO(png)).save(os.path.join(OUT, name + ".png"), optimize=True)
    viewport(d, d.viewport[1])
    print(f"  {name}: {path or d.current_url}")


def live_storm(admin_token, seconds=12):
    """A coupon event of 100 (COUPON_QUANTITY_CAP) and 160 claimants claiming over about `seconds`, in a thread: the
    live view's charts have something to show. Returns the event's id and the thread."""
    import concurrent.futures as cf
    import threading
    vendor = api("GET", "/api/v1/admin/vendors", admin_token)["items"][0]["id"]
    event = api("POST", "/api/v1/admin/coupons", admin_token, json={
        "vendor_id": vendor, "name": "Midnight flash coupon", "type": "percent", "value": 20,
        "total_quantity": 100, "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z"})["coupon"]
    prefix = "storm" + uuid.uuid4().hex[:6]
    cli("user", "bulk", "--prefix", prefix, "--count", "160", "--password", PW, "--verified")
    with cf.ThreadPoolExecutor(16) as ex:
        tokens = list(ex.map(lambda i: login_token(f"{prefix}-{i}@example.com"), range(1, 161)))

    def claimant(part):
        with requests.Session() as s:
            for t in part:
                s.post(BASE + f"/api/v1/coupons/{event['id']}/claim",
                       headers={"Authorization": "Bearer " + t}, timeout=30)
                time.sleep(seconds / len(part))

    def storm():
        time.sleep(3)  # the page is open and has its first events
        with cf.ThreadPoolExecutor(8) as ex:
            list(ex.map(claimant, [tokens[i::8] for i in range(8)]))

    t = threading.Thread(target=storm, daemon=True)
    t.start()
    return event["id"], t


def room_shots(d, admin_token, email):
    """A waiting room before and after its sale opens: 80 people and the shopper join before the
    start; the shopper's page is taken in the pre-queue and then waiting for their turn."""
    vendor = api("GET", "/api/v1/admin/vendors", admin_token)["items"][0]["id"]
    import datetime as dt
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = api("POST", "/api/v1/admin/coupons", admin_token, json={
        "vendor_id": vendor, "name": "Launch night: 30% off", "type": "percent", "value": 30,
        "total_quantity": 100, "starts_at": start, "ends_at": "2099-01-01T00:00:00Z"})["coupon"]
    room = api("POST", "/api/v1/admin/rooms", admin_token, json={
        "item": "campaign", "item_id": event["id"], "rate": 2, "pass_seconds": 300})["room"]
    prefix = "queue" + uuid.uuid4().hex[:6]
    cli("user", "bulk", "--prefix", prefix, "--count", "80", "--password", PW, "--verified")
    for i in range(1, 81):
        api("POST", f"/api/v1/rooms/{room['id']}/join", login_token(f"{prefix}-{i}@example.com"))
    log_in(d, email)
    d.get(BASE + f"/rooms/{room['id']}")
    d.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    time.sleep(1)
    shot(d, "room-prequeue", None)
    deadline = time.time() + 30
    while time.time() < deadline:
        state = d.find_elements(By.CSS_SELECTOR, "[data-room-state]")
        if state and state[0].get_attribute("data-room-state") in ("waiting", "admitted"):
            break
        time.sleep(0.5)
    shot(d, "room-waiting", None)


def main():
    os.makedirs(OUT, exist_ok=True)
    # A shopper with a history: a claimed coupon, a like, a paid order that moves on, an unpaid one.
    email = f"bora-{uuid.uuid4().hex[:6]}@example.com"
    cli("user", "add", "--email", email, "--password", PW, "--name", "Bora Kim", "--verified")
    admin = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    cli("user", "add", "--email", admin, "--password", PW, "--name", "Operator", "--role", "admin",
        "--verified")
    token, admin_token = login_token(email), login_token(admin)
    products = api("GET", "/api/v1/products?per_page=50")["items"]
    regular = [p for p in products if not p["sale_starts_at"]]
    picture = Image.new("RGB", (1200, 900), (230, 225, 215))
    for x in range(300, 900):
        for y in range(250, 650):
            if (x - 600) ** 2 / 300 ** 2 + (y - 450) ** 2 / 200 ** 2 <= 1:
                picture.putpixel((x, y), (194, 65, 12))
    buf = io.BytesIO()
    picture.save(buf, "PNG")
    api("PUT", f"/api/v1/admin/products/{regular[0]['id']}/picture", admin_token, data=buf.getvalue(),
        headers={"Content-Type": "image/png"})
    coupon = api("GET", "/api/v1/coupons")["items"][0]
    api("POST", f"/api/v1/coupons/{coupon['id']}/claim", token)
    api("PUT", f"/api/v1/products/{regular[1]['id']}/like", token)
    paid = api("POST", "/api/v1/orders", token, json={"items": [{"product_id": regular[0]["id"], "quantity": 1},
                                                               {"product_id": regular[2]["id"], "quantity": 2}]})
    api("POST", f"/api/v1/orders/{paid['order']['id']}/payment", token, json={"card_number": "4242424242424242"})
    api("PUT", f"/api/v1/cart/items/{regular[3]['id']}", token, json={"quantity": 1})
    unpaid = api("POST", "/api/v1/orders", token, json={"items": [{"product_id": regular[4]["id"], "quantity": 1}],
                                                       "coupon_id": coupon["id"]})
    time.sleep(5)  # the paid order is shipped and delivered meanwhile (SHIP_AFTER, DELIVER_AFTER)

    d = browser(1280, 900)
    try:
        pages = [("home", "/"), ("products", "/products"), ("product", f"/products/{regular[0]['id']}"),
                 ("product-no-picture", f"/products/{regular[1]['id']}"),
                 ("flash-sale", f"/products/{[p for p in products if p['sale_starts_at']][0]['id']}"),
                 ("coupons", "/coupons"), ("coupon", f"/coupons/{coupon['id']}"),
                 ("login", "/login"), ("signup", "/signup"), ("forgot-password", "/forgot-password"),
                 ("not-found", "/no-such-page")]
        for name, path in pages:
            shot(d, name, path)
        log_in(d, email)
        for name, path in [("cart", "/cart"), ("pay", f"/orders/{unpaid['order']['id']}/pay"),
                           ("order", f"/orders/{paid['order']['id']}"), ("orders", "/orders"),
                           ("me", "/me"), ("my-coupons", "/me/coupons"),
                           ("notifications", "/me/notifications"), ("likes", "/me/likes"),
                           ("coupon-claimed", f"/coupons/{coupon['id']}")]:
            shot(d, name, path)
        room_shots(d, admin_token, email)
        log_in(d, admin)
        for name, path in [("admin", "/admin"), ("admin-products", "/admin/products"),
                           ("admin-coupons", "/admin/coupons"), ("admin-parked", "/admin/parked")]:
            shot(d, name, path)
        event_id, storm = live_storm(admin_token)
        d.get(BASE + f"/admin/live/coupons/{event_id}")
        storm.join()
        time.sleep(2)
        shot(d, "admin-live", None)
    finally:
        d.quit()
        shutil.rmtree(d.profile, ignore_errors=True)

    p = browser(390, 844)
    try:
        for name, path in [("home", "/"), ("product", f"/products/{regular[0]['id']}"),
                           ("coupon", f"/coupons/{coupon['id']}")]:
            shot(p, name + "-phone", path)
        log_in(p, email)
        for name, path in [("cart", "/cart"), ("pay", f"/orders/{unpaid['order']['id']}/pay"),
                           ("order", f"/orders/{paid['order']['id']}")]:
            shot(p, name + "-phone", path)
    finally:
        p.quit()
        shutil.rmtree(p.profile, ignore_errors=True)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
