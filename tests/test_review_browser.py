"""`coach review` in a real browser: Debian's Chromium driven by Selenium through ChromeDriver,
against the app served by uvicorn over a store the recorder filled. Filter the list, open a call,
jump the audio from a time, give verdicts, reload and find them kept.

Screenshots go to artifacts/review-list.png and artifacts/review-call.png."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from coach.phrasebank import default_root, load
from coach.review.app import create_app
from coach.store.db import Store
from tests.conftest import ROOT
from tests.test_review import fill

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "artifacts"
WAIT_S = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The review app on a free local port, over a SQLite store with three calls."""
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    store = fill(Store.open(url), tmp_path)  # amy and bo with everything, a calm call
    book = load(default_root())
    categories = {  # as `coach review` titles them: both languages
        c.id: f"{c.title.get('en', c.id)} · {c.title.get('zh', '')}"
        for c in book.categories.values()
    }
    config = uvicorn.Config(
        create_app(store, categories, reviewer="qa1"),
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}", url
    server.should_exit = True
    thread.join(WAIT_S)
    store.close()


@pytest.fixture
def browser(tmp_path):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        message = "Debian's chromium and chromium-driver are needed (scripts/setup.sh)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must install them: {message}")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # we run as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    # an explicit driver: Selenium Manager never looks for (or downloads) one
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def screenshot(driver, name: str) -> None:
    """The whole page, from the top, whatever the window's height."""
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        driver.save_screenshot(str(ARTIFACTS / name))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_review_in_a_browser(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    base, url = served
    wait = WebDriverWait(browser, WAIT_S)
    ARTIFACTS.mkdir(exist_ok=True)

    def calls_listed() -> list[str]:
        links = browser.find_elements(By.CSS_SELECTOR, "#calls a.call")
        return [a.get_attribute("href").rsplit("/", 1)[-1] for a in links]

    # the list: every call, then only those with a compliance flag, through the form
    browser.get(base + "/")
    wait.until(ec.presence_of_element_located((By.ID, "calls")))
    assert calls_listed() == ["calm", "b", "a"]
    Select(browser.find_element(By.NAME, "flag")).select_by_value("compliance")
    browser.find_element(By.ID, "apply").click()
    wait.until(ec.url_contains("flag=compliance"))
    wait.until(lambda d: calls_listed() == ["b", "a"])
    assert browser.find_element(By.ID, "total").text == "2"
    chip = browser.find_element(By.CSS_SELECTOR, "#counts a.chip.on")
    assert chip.text == "compliance 2"
    screenshot(browser, "review-list.png")

    # a call: the transcript, both channels
    browser.find_element(By.CSS_SELECTOR, 'a.call[href="/calls/a"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "transcript")))
    said = browser.find_elements(By.CSS_SELECTOR, "#transcript .said")
    assert [s.get_attribute("data-utterance") for s in said] == ["d1", "c1", "d2", "d3"]
    assert said[0].text.startswith("my card number is [card] okay")
    assert "4111" not in browser.page_source
    assert browser.find_element(By.ID, "timeline").is_displayed()

    # a time jumps the audio there (a second before it); the OGG tone must have loaded
    audio = browser.find_element(By.ID, "audio-debtor")
    wait.until(lambda d: d.execute_script("return arguments[0].readyState", audio) >= 1)
    assert browser.execute_script("return arguments[0].duration", audio) == pytest.approx(20, 0.5)
    at = browser.find_element(By.CSS_SELECTOR, '#flags .t[data-t="6.0"]')  # the long silence
    at.click()
    assert float(browser.execute_script("return document.body.dataset.jumped")) == 6.0
    now = wait.until(lambda d: d.execute_script("return arguments[0].currentTime", audio) or None)
    assert 4.5 <= now <= 8.0  # 5 s, and perhaps playing on from there
    assert browser.execute_script("return arguments[0].error", audio) is None

    # a verdict: the weak card on d3 was the wrong category
    box = browser.find_element(By.CSS_SELECTOR, '.verdict.card[data-utterance="d3"]')
    Select(box.find_element(By.CSS_SELECTOR, "select.category")).select_by_value("check_in_mail")
    box.find_element(By.CSS_SELECTOR, 'button[data-verdict="wrong_category"]').click()
    saved = box.find_element(By.CSS_SELECTOR, ".saved")
    wait.until(lambda d: saved.text == "saved: wrong_category → check_in_mail")
    # refused without the right category, said in red; a missed excuse on a card-less line
    box = browser.find_element(By.CSS_SELECTOR, '.verdict.card[data-utterance="d2"]')
    box.find_element(By.CSS_SELECTOR, 'button[data-verdict="wrong_category"]').click()
    refused = box.find_element(By.CSS_SELECTOR, ".saved")
    wait.until(lambda d: refused.text.startswith("not saved:"))
    assert "needs the right category" in refused.text
    missed = browser.find_element(By.CSS_SELECTOR, '.verdict.missed[data-utterance="d1"]')
    Select(missed.find_element(By.CSS_SELECTOR, "select.category")).select_by_value("cash_flow")
    missed.find_element(By.CSS_SELECTOR, "button.v").click()
    wait.until(lambda d: missed.text.endswith("saved: missed_excuse → cash_flow"))
    screenshot(browser, "review-call.png")

    # kept: after a reload the page shows it from the store, and the store has it
    browser.refresh()
    wait.until(ec.presence_of_element_located((By.ID, "transcript")))
    box = browser.find_element(By.CSS_SELECTOR, '.verdict.card[data-utterance="d3"]')
    assert box.find_element(By.CSS_SELECTOR, ".saved").text == (
        "saved: wrong_category → check_in_mail"
    )
    missed = browser.find_element(By.CSS_SELECTOR, '.verdict.missed[data-utterance="d1"]')
    assert missed.find_element(By.CSS_SELECTOR, ".saved").text == "missed excuse → cash_flow"
    store = Store.open(url)
    verdict, other = store.call("a")["verdicts"]
    assert (other["utterance_id"], other["verdict"], other["category"]) == (
        "d1",
        "missed_excuse",
        "cash_flow",
    )
    card = next(s for s in store.call("a")["shown"] if s["utterance_id"] == "d3")
    assert (verdict["utterance_id"], verdict["shown_id"], verdict["verdict"]) == (
        "d3",
        card["id"],
        "wrong_category",
    )
    assert (verdict["category"], verdict["reviewer"]) == ("check_in_mail", "qa1")
    store.close()
