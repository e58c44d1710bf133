"""A person with a browser: headless Chromium (Debian's, driven by Selenium) opens the home page
and a product page and sees what the catalog holds."""
import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="firstcome-chromium.")
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,900", f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_home_page_shows_products_and_the_flash_sale(stack, browser):
    browser.get(stack.url("/"))
    assert "firstcome" in browser.title
    body = browser.find_element(By.TAG_NAME, "body").text
    first_page = stack.get("/api/v1/products").json()["items"]
    flash = [p["name"] for p in first_page if p["sale_starts_at"]]
    others = [p["name"] for p in first_page if not p["sale_starts_at"]]
    assert flash or others
    for name in flash[:2] + others[:3]:
        assert name in body
    css = browser.execute_script(
        "return getComputedStyle(document.body).fontFamily")
    assert css and "Times" not in css, "the site stylesheet is applied"


def test_a_product_page_shows_name_price_and_live_stock(stack, browser):
    p = next(p for p in stack.get("/api/v1/products").json()["items"]
             if not p["sale_starts_at"] and "<" not in p["name"])
    browser.get(stack.url("/"))
    browser.find_element(By.CSS_SELECTOR, f'a[href="/products/{p["id"]}"]').click()
    assert browser.current_url.endswith(f"/products/{p['id']}")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert p["name"] in body
    assert f"{p['price']:,}" in body
    stock = browser.find_element(By.ID, "stock").text
    redis_stock = stack.redis().get(f"{{p:{p['id']}}}:stock")
    assert redis_stock in stock
