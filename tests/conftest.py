"""Shared fixtures, and the strict mode CI runs under.

Without ``AUDIOTUT_STRICT=1`` a test that needs something absent (the example
recordings, Chromium) skips with a reason that says how to get it. Under
``AUDIOTUT_STRICT=1``, as in ``.ci/run``, every such skip is reported as a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRICT = os.environ.get("AUDIOTUT_STRICT") == "1"
CHROMIUM = Path(os.environ.get("AUDIOTUT_CHROMIUM", "/usr/bin/chromium"))


def _strict(report) -> None:
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"AUDIOTUT_STRICT=1 counts a skip as a failure. It skipped because: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _strict(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _strict(outcome.get_result())


@pytest.fixture(scope="session")
def librosa_examples() -> None:
    """librosa's example recordings, from the cache or the network."""
    from audiotut import examples
    from audiotut.errors import ExampleDataError

    try:
        examples.path("trumpet")
        examples.path("trumpet", hq=True)
    except ExampleDataError as error:
        pytest.skip(
            "librosa's example recordings are not available: set LIBROSA_DATA_DIR to a "
            f"directory holding them, or connect to the internet once ({error})"
        )


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's package ('apt-get install chromium') "
            "or point AUDIOTUT_CHROMIUM at a Chromium binary"
        )
    return CHROMIUM


# ------------------------------------------------------------ the book's builds
# The English and Korean editions and the catalogs' templates are built in a background
# thread (at a lower priority) while the other tests run, and the tests of the rendered
# book run last: on a 2-core CI machine the builds then cost almost no time of their own.

BOOK_MODULES = {"test_book.py", "test_i18n.py", "test_lab.py"}
BUILD_FIXTURES = {"built_book", "korean_build", "i18n_templates"}
NICE = 10


class _Builds(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="book builds", daemon=True)
        self.english = self.korean = self.templates = self.error = None

    def run(self) -> None:
        try:
            sys.path.insert(0, str(ROOT / "tools"))
            import i18n
            from i18n_build import build, jupyter_book

            strict = ["--all", "--warningiserror", "--keep-going"]
            self.english = jupyter_book("build", *strict, str(ROOT), capture=True, nice=NICE)
            if self.english.returncode == 0:
                self.korean = build(strict, capture=True, nice=NICE)
            self.templates = i18n.extract(ROOT / "_build" / "gettext-tests", nice=NICE)
        except BaseException as error:  # reported by the fixture that needs the result
            self.error = error


_BUILDS: list[_Builds] = []


def _start() -> _Builds:
    if not _BUILDS:
        _BUILDS.append(_Builds())
        _BUILDS[0].start()
    return _BUILDS[0]


def _builds() -> _Builds:
    builds = _start()
    builds.join(timeout=1800)
    return builds


def pytest_collection_modifyitems(session, config, items) -> None:
    items.sort(key=lambda item: item.path.name in BOOK_MODULES)  # a stable sort: last


def pytest_collection_finish(session) -> None:
    if any(BUILD_FIXTURES & set(getattr(item, "fixturenames", ())) for item in session.items):
        _start()


@pytest.fixture(scope="session")
def built_book() -> tuple[Path, subprocess.CompletedProcess]:
    """The whole book built from scratch, with warnings as errors, into _build/html."""
    builds = _builds()
    if builds.english is None:
        pytest.fail(f"the book was not built: {builds.error!r}")
    return ROOT / "_build" / "html", builds.english


@pytest.fixture(scope="session")
def korean_build(built_book) -> tuple[Path, subprocess.CompletedProcess]:
    """The Korean edition, built after the English one as `make book` does, into
    _build/html/ko."""
    html, english = built_book
    builds = _builds()
    if english.returncode != 0 or builds.korean is None:
        pytest.fail("the English edition did not build; see test_book_builds_without_warnings")
    return html / "ko", builds.korean


@pytest.fixture(scope="session")
def i18n_templates() -> Path:
    """The English messages of every page (.pot files), as `make po` extracts them."""
    builds = _builds()
    if builds.templates is None:
        pytest.fail(f"extracting the messages failed: {builds.error}")
    return builds.templates


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """Headless Chromium for the rendered pages of both editions (tests/test_book.py,
    tests/test_i18n.py); the players are checked by playing them, without a click.
    One per module: Playwright's synchronous API allows one running instance, and
    tests/test_lab.py starts its own."""
    from helpers import chromium_context

    profile = tmp_path_factory.mktemp("chromium-profile")
    with chromium_context(chromium, profile,
                          extra_args=["--autoplay-policy=no-user-gesture-required"]) as context:
        yield context


@pytest.fixture(scope="session")
def loopback_device(pytestconfig) -> dict:
    """The virtual sound card started by the root conftest.py (a JACK loopback)."""
    server = getattr(pytestconfig, "audiotut_audio", None)
    if server is None:
        pytest.skip(f"no virtual sound card: {pytestconfig.audiotut_audio_reason}")
    from audiotut import playback

    try:
        names = [device.name for device in playback.devices()]
    except playback.AudioDeviceError as error:
        pytest.skip(f"PortAudio is missing ({error})")
    if server.device not in names:
        pytest.skip(f"PortAudio does not see the JACK loopback device, only {names}")
    return {"sr": server.sr, "period": server.period, "device": server.device}


_MEASURED: list[str] = []


def pytest_runtest_logreport(report) -> None:
    """Collect what tests measured (record_property("measured", ...)) for the summary."""
    if report.when == "call":
        _MEASURED.extend(str(value) for name, value in report.user_properties if name == "measured")


def pytest_terminal_summary(terminalreporter) -> None:
    if _MEASURED:
        terminalreporter.section("measured")
        for line in _MEASURED:
            terminalreporter.write_line(line)
