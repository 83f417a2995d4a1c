"""videokb serve end to end in headless Chromium (Debian's chromium + chromium-driver, driven by selenium):
search and play the moment, keyboard navigation, drop a picture, ask and follow a citation.

Screenshots go to $VIDEOKB_SCREENSHOTS (docs/ when refreshing the README's) or the test's tmp dir.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from server_helpers import make_app
from videokb.sample import render_photo

pytestmark = pytest.mark.slow  # the real answerer and a browser; about a minute after the library is ingested


def serve(app):
    """Run ``app`` on a free loopback port in a thread; yields its URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    # Tests start once the search models and the answerer are loaded (the server does it in the background).
    assert app.state.warm.wait(300), "the models did not load"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def base_url(library, tmp_path_factory, shared_cache):
    yield from serve(make_app(library[1], tmp_path_factory.mktemp("serve"), shared_cache / "models", warm_up=True))


@pytest.fixture(scope="module")
def avi_url(corpus, tmp_path_factory, shared_cache):
    """A library of one AVI (MPEG-4 Part 2 + MP3), which a browser cannot play as it is."""
    import subprocess

    from videokb.index.store import Store
    from videokb.ingest import IngestConfig, ingest
    from videokb.ingest.models import ModelConfig

    tmp = tmp_path_factory.mktemp("avi")
    (tmp / "videos").mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(corpus[0].path), "-c:v", "mpeg4", "-c:a", "libmp3lame",
                    str(tmp / "videos" / "bakery.avi")], check=True)
    store = Store(tmp / "db")
    ingest([tmp / "videos"], store, IngestConfig(models=ModelConfig(device="cpu", cache_dir=shared_cache)),
           progress=False)
    yield from serve(make_app(store, tmp, shared_cache / "models", warm_up=True))


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_bin = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_bin:
        pytest.fail("the browser test needs Debian's chromium and chromium-driver "
                    "(apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1440,1000"):
        options.add_argument(arg)
    # An explicit driver path: selenium never looks for (or downloads) a browser or driver.
    driver = webdriver.Chrome(service=Service(executable_path=driver_bin), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("VIDEOKB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def wait(driver, condition, timeout: float = 30, what: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, what)


def player_time(driver) -> float:
    """Where the player is, in the video's time (a clip's offset added)."""
    return driver.execute_script("return document.querySelector('#player').currentTime + window.videokb.offset")


def at_moment(start: float):
    def check(driver):
        ready = driver.execute_script("return document.querySelector('#player').readyState")
        return ready >= 1 and start - 0.3 <= player_time(driver) <= start + 3.0
    return check


def search(driver, base_url, query: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(base_url)
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#video-filter option")) > 1, what="videos listed")
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query, Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".card"), what="result cards")
    return driver.find_elements(By.CSS_SELECTOR, ".card")


def test_search_then_click_plays_from_the_moment(browser, base_url, corpus, shots):
    from selenium.webdriver.common.by import By

    cards = search(browser, base_url, "how much does the sourdough loaf cost")
    first = cards[0]
    assert first.find_element(By.CSS_SELECTOR, ".name").text == "bakery_tour.mp4"
    marks = [m.text.lower() for m in first.find_elements(By.CSS_SELECTOR, ".snippet mark")]
    assert "sourdough" in marks and "loaf" in marks
    wait(browser, lambda d: d.execute_script(
        "return [...document.querySelectorAll('.thumb img')].slice(0, 6).every(i => i.complete)"), what="thumbnails")
    assert first.find_element(By.CSS_SELECTOR, ".thumb img").get_attribute("naturalWidth") != "0"
    browser.save_screenshot(str(shots / "serve-results.png"))
    start = float(first.get_attribute("data-start"))
    first.click()
    wait(browser, at_moment(start), what=f"player at {start}")
    # The strip marks the video's matching moments; the transcript follows playback.
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#strip .mark"), what="the moment strip")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript li.active"), what="transcript follows")
    line = browser.find_elements(By.CSS_SELECTOR, "#transcript li")[-1]
    line.click()  # a click on a line seeks there
    wait(browser, at_moment(float(line.get_attribute("data-start"))), what="seek from the transcript")


def test_keyboard_slash_arrows_enter(browser, base_url):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    cards = search(browser, base_url, "adoption fee")
    assert len(cards) >= 2
    browser.find_element(By.TAG_NAME, "body").click()
    ActionChains(browser).send_keys("/").perform()
    assert browser.switch_to.active_element.get_attribute("id") == "q"
    ActionChains(browser).send_keys(Keys.ARROW_DOWN).perform()
    assert browser.switch_to.active_element.get_attribute("data-index") == "0"
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    second = browser.switch_to.active_element
    assert second.get_attribute("data-index") == "1" and "selected" in second.get_attribute("class")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait(browser, at_moment(float(second.get_attribute("data-start"))), what="Enter plays the selected card")


def test_dropping_a_picture_finds_its_scene(browser, base_url, corpus):
    from selenium.webdriver.common.by import By

    browser.get(base_url)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#video-filter option")) > 1)
    buf = io.BytesIO()
    render_photo("chelsea", (854, 480)).save(buf, "PNG")
    browser.execute_script("""
        const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "cat.png", {type: "image/png"}));
        const zone = document.querySelector('#drop');
        zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    """, base64.b64encode(buf.getvalue()).decode())
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".card"), what="results of the picture")
    first = browser.find_elements(By.CSS_SELECTOR, ".card")[0]
    cat = next(v for v in corpus if v.path.name == "pet_adoption_day.mp4").scenes[1]
    assert first.find_element(By.CSS_SELECTOR, ".name").text == "pet_adoption_day.mp4"
    assert cat.start_s - 0.5 <= float(first.get_attribute("data-start")) < cat.end_s
    assert not browser.find_element(By.ID, "image-chip").get_attribute("hidden")


def test_ask_streams_an_answer_and_a_citation_chip_seeks(browser, base_url, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    search(browser, base_url, "sourdough loaf price")
    browser.execute_script("""
        window.__drafts = 0;
        new MutationObserver(() => { if (document.querySelector('#draft').textContent) window.__drafts++; })
          .observe(document.querySelector('#draft'), {childList: true, characterData: true, subtree: true});
    """)
    browser.find_element(By.ID, "question").send_keys("How much does the sourdough loaf cost?", Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#citations .cite"), timeout=180, what="citations")
    assert browser.execute_script("return window.__drafts") > 0, "the draft never streamed in"
    answer = browser.find_element(By.ID, "answer").text
    assert "4.50" in answer or "four dollars" in answer.lower(), answer
    chip = browser.find_elements(By.CSS_SELECTOR, "#citations .cite")[0]
    assert "bakery_tour.mp4" in chip.text
    chip.click()
    wait(browser, at_moment(float(chip.get_attribute("data-start"))), what="the chip seeks the player")
    time.sleep(0.5)  # let the frame at the moment paint before the screenshot
    browser.save_screenshot(str(shots / "serve-answer.png"))


def test_a_file_the_browser_cannot_play_plays_as_a_clip_from_the_moment(browser, avi_url):
    from selenium.webdriver.common.by import By

    cards = search(browser, avi_url, "blueberry muffins closed mondays")
    first = cards[0]
    start = float(first.get_attribute("data-start"))
    assert first.find_element(By.CSS_SELECTOR, ".name").text == "bakery.avi" and start > 10
    first.click()
    wait(browser, at_moment(start), timeout=60, what=f"clip player at {start}")
    assert "/clip?" in browser.execute_script("return document.querySelector('#player').currentSrc")
    assert browser.execute_script("return window.videokb.offset") > 0  # the clip starts before the moment
    assert "mpeg4" in browser.find_element(By.ID, "player-note").text
