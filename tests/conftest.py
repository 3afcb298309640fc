"""Shared fixtures, and the strict mode CI runs under.

Without ``AUDIOTUT_STRICT=1`` a test that needs something absent (the example
recordings, Chromium) skips with a reason that says how to get it. Under
``AUDIOTUT_STRICT=1``, as in ``.ci/run``, every such skip is reported as a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def built_book() -> tuple[Path, subprocess.CompletedProcess]:
    """Build the whole book from scratch, with warnings as errors, into _build/html, and
    then the Korean edition into _build/html/ko (its result is ``korean_build``)."""
    executable = Path(sys.executable).parent / "jupyter-book"
    command = [str(executable) if executable.exists() else shutil.which("jupyter-book") or "jupyter-book",
               "build", "--all", "--warningiserror", "--keep-going", str(ROOT)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    return ROOT / "_build" / "html", result


@pytest.fixture(scope="session")
def browser(chromium, tmp_path_factory):
    """Headless Chromium for the rendered pages of both editions (tests/test_book.py,
    tests/test_i18n.py); the players are checked by playing them, without a click."""
    from helpers import chromium_context

    profile = tmp_path_factory.mktemp("chromium-profile")
    with chromium_context(chromium, profile,
                          extra_args=["--autoplay-policy=no-user-gesture-required"]) as context:
        yield context


@pytest.fixture(scope="session")
def korean_build(built_book) -> tuple[Path, subprocess.CompletedProcess]:
    """The Korean edition, built after the English one as `make book` does."""
    sys.path.insert(0, str(ROOT / "tools"))
    from i18n_build import TARGET, build

    html, english = built_book
    if english.returncode != 0:
        pytest.fail("the English edition did not build; see test_book_builds_without_warnings")
    return TARGET, build(["--all", "--warningiserror", "--keep-going"], capture=True)


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
