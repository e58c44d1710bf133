"""The operators' live view in Chromium, open while real clients claim a coupon event."""
import concurrent.futures as cf
import os
import threading
import time

import requests
from selenium.webdriver.common.by import By

from conftest import pool
from test_browse import browser  # noqa: F401  (the shared headless Chromium fixture)
from test_shop_browser import log_in


def make_campaign(stack, admin, quantity):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Live storm", "type": "fixed", "value": 1000,
        "total_quantity": quantity, "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z"}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


def test_the_live_view_follows_a_claim_storm(stack, browser, admin):  # noqa: F811
    quantity = 40
    cid = make_campaign(stack, admin, quantity)
    users = pool(stack, 70)
    log_in(stack, browser, admin)
    browser.get(stack.url(f"/admin/live/coupons/{cid}"))
    left = browser.find_element(By.CSS_SELECTOR, '[data-live-value="left"]')
    assert left.text == str(quantity)

    def seen():
        return int(browser.find_element(By.CSS_SELECTOR, "[data-live-events]")
                   .get_attribute("data-live-events-seen") or 0)

    deadline = time.time() + 10
    while seen() < 2 and time.time() < deadline:
        time.sleep(0.1)
    assert seen() >= 2, "the page receives the stream's events"

    statuses = []
    done = threading.Event()

    def claimant(part):
        with requests.Session() as s:
            for _, token in part:
                r = s.post(stack.url(f"/api/v1/coupons/{cid}/claim"),
                           headers={"Authorization": "Bearer " + token}, timeout=30)
                statuses.append(r.status_code)
                time.sleep(0.3)

    def storm():
        with cf.ThreadPoolExecutor(7) as ex:
            list(ex.map(claimant, [users[i::7] for i in range(7)]))
        done.set()

    threading.Thread(target=storm, daemon=True).start()
    # While the claims come in, the page shows a rate above zero and the count falling.
    peak, lows = 0.0, []
    while not done.is_set():
        text = browser.find_element(By.CSS_SELECTOR, '[data-live-value="rate"]').text
        if text not in ("", "–"):
            peak = max(peak, float(text.replace(",", "")))
        lows.append(browser.find_element(By.CSS_SELECTOR, '[data-live-value="left"]').text)
        time.sleep(0.25)
    assert peak > 0, "a claim rate was shown during the storm"
    assert any(x not in (str(quantity), "0") for x in lows), lows
    deadline = time.time() + 6
    while left.text != "0" and time.time() < deadline:
        time.sleep(0.2)
    assert left.text == "0"
    assert statuses.count(201) + statuses.count(202) == quantity
    # The charts have lines, and the outcomes table names both outcomes with their counts.
    points = browser.find_element(By.CSS_SELECTOR, '[data-live-chart="rate"] polyline').get_attribute("points")
    assert len(points.split()) >= 3, points
    rows = {tr.get_attribute("data-outcome"): tr.find_elements(By.TAG_NAME, "td")[1].text
            for tr in browser.find_elements(By.CSS_SELECTOR, '[data-live-table="outcomes"] tr')}
    assert rows == {"claimed": str(quantity), "sold_out": str(70 - quantity)}, rows
    browser.save_screenshot(os.path.join(stack.state_dir, "admin-live.png"))
