"""The web app end to end in headless Chromium: sign in, home, player, DJ, profile and the Wrapped story.

Every page is checked for console errors and saved as a screenshot (``TASTEMAKER_SCREENSHOTS`` names the
folder; docs/screenshots holds the ones the docs show).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import DemoWorld, screenshot_dir

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def page(browser: Any, demo_world: DemoWorld, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (so sign-in starts empty); fails the test on any console error but
    those its ``allow_console`` marker expects (a refused request the test makes on purpose)."""
    marker = request.node.get_closest_marker("allow_console")
    allowed = marker.args if marker else ()
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    unexpected = [error for error in errors if not any(pattern in error for pattern in allowed)]
    assert unexpected == [], f"console errors: {unexpected}"


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    folder = screenshot_dir(tmp_path_factory)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        assert path.stat().st_size > 5000  # a rendered page, not a blank one
        return path

    return take


def sign_in(page: Any, demo_world: DemoWorld) -> str:
    """Sign in through the demo-user picker; returns the listener's user id."""
    page.goto(demo_world.url + "/")
    picker = page.get_by_test_id("demo-user").first
    picker.wait_for(timeout=15000)
    user = str(picker.inner_text().split()[0])
    picker.click()
    page.get_by_test_id("discover-weekly").wait_for(timeout=15000)
    return user


def wait_until(check: Callable[[], bool], timeout_s: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.allow_console("status of 401 (Unauthorized)")
def test_sign_in_with_a_token(page: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path]) -> None:
    with demo_world.client() as client:
        user = client.get("/v1/demo").json()["listeners"][0]["user_id"]
        token = client.post(f"/v1/demo/listeners/{user}/token").json()["token"]
    page.goto(demo_world.url + "/")
    page.get_by_label("Token").wait_for()
    shots(page, "sign-in")
    page.get_by_label("Token").fill("tm_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()  # a wrong token is refused with a message, not a crash
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("discover-weekly").wait_for()
    assert page.get_by_test_id("signed-in-user").inner_text().strip() == user


def test_home_shows_discover_weekly_and_mixes(
    page: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path]
) -> None:
    sign_in(page, demo_world)
    rows = page.get_by_test_id("discover-weekly").get_by_test_id("track-row")
    wait_until(lambda: rows.count() == 30, what="30 Discover Weekly tracks")
    mixes = page.get_by_test_id("mix-card")  # its own request: it may arrive after Discover Weekly
    wait_until(lambda: mixes.count() >= 1, what="a Daily Mix card")
    page.get_by_test_id("recently-played").wait_for()
    shots(page, "home")


def test_a_played_track_arrives_in_the_listens(
    page: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path]
) -> None:
    user = sign_in(page, demo_world)
    first = page.get_by_test_id("discover-weekly").get_by_test_id("track-row").first
    track_id = first.get_attribute("data-track-id")
    assert track_id
    first.get_by_role("button", name="Play").first.click()  # aria-label "Play <name>"
    audio = page.get_by_test_id("audio")
    wait_until(lambda: audio.evaluate("a => a.currentTime > 1.0 && !a.paused"), what="audio playing")
    assert "/stream?" in audio.evaluate("a => a.currentSrc")
    # Seeking needs range requests: jump near the end and let the track finish (a full play).
    assert audio.evaluate("a => a.duration") > 10
    audio.evaluate("a => { a.currentTime = a.duration - 1.5; }")
    wait_until(lambda: audio.evaluate("a => a.currentTime > 1.0 && !a.paused"), what="playing after the seek")
    shots(page, "player")
    with demo_world.client() as client:

        def played() -> list[dict[str, Any]]:
            listens = client.get(f"/v1/users/{user}/listens", params={"count": 5}).json()["listens"]
            return [item for item in listens if item["track_id"] == track_id and item["kind"] == "play"]

        wait_until(lambda: bool(played()), timeout_s=30, what="the play in /listens")
        listen = played()[0]
    # ms_played is the time listened (a second or two and the last 1.5 s), not the position it ended at
    assert 1000 < listen["ms_played"] < 30_000
    assert listen["context"] == "discover_weekly"


def test_skipping_in_dj_mode_changes_what_comes_next(
    page: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path]
) -> None:
    sign_in(page, demo_world)
    page.get_by_role("link", name="DJ").click()
    page.get_by_role("button", name="Start DJ").click()
    segment = page.get_by_test_id("dj-segment")
    segment.wait_for()
    assert segment.inner_text().strip()
    upnext = page.get_by_test_id("dj-upnext").get_by_test_id("track-row")
    wait_until(lambda: upnext.count() > 0, what="up next")
    before = upnext.all_inner_texts()
    shots(page, "dj")
    page.get_by_role("button", name="Skip", exact=True).click()
    wait_until(lambda: upnext.all_inner_texts() != before, what="the up-next list to change")


def test_profile_shows_tops_audio_taste_and_personality(
    page: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path]
) -> None:
    sign_in(page, demo_world)
    page.get_by_role("link", name="Profile").click()
    artists = page.get_by_test_id("top-artists")
    artists.wait_for()
    for term in ("Short term", "Medium term", "Long term"):
        page.get_by_role("tab", name=term).click()
        wait_until(lambda: artists.locator("li").count() > 0, what=f"{term} artists")
    genres = page.get_by_test_id("top-genres").locator("li")  # its own request, after the artists'
    wait_until(lambda: genres.count() > 0, what="top genres")
    page.get_by_test_id("audio-taste").wait_for()
    assert page.get_by_test_id("personality-axis").count() == 4
    shots(page, "profile")


def test_wrapped_story_steps_through_every_slide(
    page: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path], tmp_path: Path
) -> None:
    sign_in(page, demo_world)
    page.goto(f"{demo_world.url}/wrapped/{demo_world.year}")
    counter = page.get_by_test_id("slide-count")
    counter.wait_for(timeout=15000)
    total = int(counter.inner_text().split("/")[1])
    assert total >= 5
    shots(page, "wrapped")
    for index in range(2, total + 1):
        page.get_by_role("button", name="Next slide").click()
        wait_until(partial(_on_slide, counter, str(index)), what=f"slide {index}")
        slide = page.get_by_test_id("wrapped-slide")
        assert slide.get_attribute("data-slide-index") == str(index - 1)
        assert slide.locator("svg").count() >= 1  # lottie-web drew the slide
    download_button = page.get_by_role("button", name="Download").first
    if download_button.count() == 0:
        download_button = page.get_by_role("link", name="Download").first
    with page.expect_download() as info:
        download_button.click()
    saved = tmp_path / "card.png"
    info.value.save_as(str(saved))
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _on_slide(counter: Any, number: str) -> bool:
    return bool(counter.inner_text().split("/")[0].strip() == number)


def test_home_fits_a_phone(browser: Any, demo_world: DemoWorld, shots: Callable[[Any, str], Path]) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, demo_world)
        page.get_by_test_id("discover-weekly").get_by_test_id("track-row").first.wait_for()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone"
        shots(page, "home-phone")
    finally:
        context.close()


def test_every_control_has_an_accessible_name(page: Any, demo_world: DemoWorld) -> None:
    sign_in(page, demo_world)
    page.get_by_test_id("discover-weekly").get_by_test_id("track-row").first.wait_for()
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, a[href], input, select, [role=tab]')]
            .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() ||
                            (el.labels && el.labels.length) || el.getAttribute('title')))
            .map(el => el.outerHTML.slice(0, 120))"""
    )
    assert unnamed == []
    assert page.evaluate("() => document.documentElement.lang") == "en"
