"""The waiting room in Chromium: a person joins before the sale opens, waits while the room
admits people ahead of them, is taken to the sale with the pass when their turn comes, and
claims."""
import os
import time
import uuid

import requests
from selenium.webdriver.common.by import By

from conftest import auth, iso, pool
from test_browse import browser  # noqa: F401  (the shared headless Chromium fixture)
from test_shop_browser import log_in, page_text_once


def test_a_person_waits_gets_the_pass_and_claims(stack, browser, admin):  # noqa: F811
    crowd, u = pool(stack, 30), stack.user()  # before the clock starts: logins are slow
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Queue " + uuid.uuid4().hex[:6], "type": "fixed", "value": 1000,
        "total_quantity": 50, "starts_at": iso(6), "ends_at": iso(3600)}, token=admin["access"])
    assert r.status_code == 201, r.text
    cid = r.json()["coupon"]["id"]
    r = stack.post("/api/v1/admin/rooms", {"item": "campaign", "item_id": cid, "rate": 4,
                                           "pass_seconds": 120}, token=admin["access"])
    assert r.status_code == 201, r.text
    room = r.json()["room"]["id"]
    for _, token in crowd:  # they join before the start too
        assert requests.post(stack.url(f"/api/v1/rooms/{room}/join"), headers=auth(token),
                             timeout=30).status_code == 200
    log_in(stack, browser, u)
    browser.get(stack.url(f"/rooms/{room}"))
    assert browser.find_element(By.CSS_SELECTOR, "[data-room-state]").get_attribute("data-room-state") == "out"
    browser.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    assert "The sale has not opened yet" in page_text_once(browser, "The sale has not opened yet")
    browser.save_screenshot(os.path.join(stack.state_dir, "room-prequeue.png"))
    # After the start the page shows a place by itself, then moves on to the sale.
    seen, deadline = set(), time.time() + 40
    while time.time() < deadline and "/coupons/" not in browser.current_url:
        try:
            seen.add(browser.find_element(By.CSS_SELECTOR, "[data-room-state]").get_attribute("data-room-state"))
            if "waiting" in seen and not os.path.exists(os.path.join(stack.state_dir, "room-waiting.png")):
                browser.save_screenshot(os.path.join(stack.state_dir, "room-waiting.png"))
        except Exception:  # the page is being replaced
            pass
        time.sleep(0.2)
    assert browser.current_url.endswith(f"/coupons/{cid}"), (browser.current_url, seen)
    assert "prequeue" in seen
    # The pass came with it, as a cookie: the claim goes through.
    assert browser.get_cookie(f"room_pass_{room}")
    browser.find_element(By.CSS_SELECTOR, "button.btn-claim").click()
    assert "You got it!" in page_text_once(browser, "You got it!")
    assert stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s AND user_id = %s",
                     cid, u["id"])[0]["n"] == 1
