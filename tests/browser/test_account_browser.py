"""A person signs up in Chromium, follows the link from the mail, logs in, and sees their name."""
import time

from selenium.webdriver.common.by import By

from conftest import link_token, unique_email
from test_browse import browser  # noqa: F401  (the shared headless Chromium fixture)


def test_signup_follow_the_mailed_link_log_in_and_see_my_name(stack, browser):  # noqa: F811
    addr = unique_email("browser")
    browser.delete_all_cookies()
    browser.get(stack.url("/signup"))
    browser.find_element(By.NAME, "name").send_keys("Bora Kim")
    browser.find_element(By.NAME, "email").send_keys(addr)
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert "Check your mail" in browser.find_element(By.TAG_NAME, "body").text

    _, link = link_token(stack.mailbox().wait_for(addr, "Confirm"), "/verify")
    browser.get(link)
    assert "confirmed" in browser.find_element(By.TAG_NAME, "body").text

    browser.get(stack.url("/login"))
    browser.find_element(By.NAME, "email").send_keys(addr)
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    deadline = time.time() + 10
    while time.time() < deadline and browser.current_url.endswith("/login"):
        time.sleep(0.1)
    browser.get(stack.url("/me"))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Bora Kim" in body
    assert addr in browser.page_source  # shown in the read-only email field
    assert browser.get_cookie("access_token")["httpOnly"] is True
