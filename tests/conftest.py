"""Shared fixtures, and the strict mode CI runs under.

Without ``AUDIOTUT_STRICT=1`` a test that needs something absent (the example
recordings, Chromium) skips with a reason that says how to get it. Under
``AUDIOTUT_STRICT=1``, as in ``.ci/run``, every such skip is reported as a failure.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import threading
import time
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
# thread while the other tests run, and the tests of the rendered book run last, so the
# builds cost almost no time of their own. Run serially, the thread runs in the pytest
# process, at a lower priority. Under pytest-xdist (`make test` runs two workers) it runs
# in the controller, which runs no test itself, and writes what it built to a report
# file that the workers' fixtures wait for (its path reaches them in `workerinput`).

BOOK_MODULES = {"test_book.py", "test_i18n.py", "test_lab.py"}
BUILD_FIXTURES = {"built_book", "korean_build", "i18n_templates"}
NICE = 10
REPORT_KEY = "audiotut_builds"


class _Builds(threading.Thread):
    def __init__(self, report: Path | None = None, nice: int = NICE) -> None:
        super().__init__(name="book builds", daemon=True)
        self.report, self.nice = report, nice
        self.english = self.korean = self.templates = self.error = None

    def run(self) -> None:
        try:
            sys.path.insert(0, str(ROOT / "tools"))
            import i18n
            from i18n_build import build, jupyter_book

            strict = ["--all", "--warningiserror", "--keep-going"]
            self.english = jupyter_book("build", *strict, str(ROOT), capture=True,
                                        nice=self.nice)
            if self.english.returncode == 0:
                self.korean = build(strict, capture=True, nice=self.nice)
            self.templates = i18n.extract(ROOT / "_build" / "gettext-tests", nice=self.nice)
        except BaseException as error:  # reported by the fixture that needs the result
            self.error = repr(error)
        finally:
            if self.report is not None:
                self._write_report()

    def _write_report(self) -> None:
        def run(result):
            return None if result is None else {
                "args": result.args, "returncode": result.returncode,
                "stdout": result.stdout, "stderr": result.stderr}

        partial = self.report.with_suffix(".partial")
        partial.write_text(json.dumps({
            "english": run(self.english), "korean": run(self.korean),
            "templates": None if self.templates is None else str(self.templates),
            "error": self.error}))
        partial.replace(self.report)         # the waiting workers see all of it or none


class _Reported:
    """What the controller's builds wrote to ``report`` (a worker's view of _Builds)."""

    def __init__(self, report: Path, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while not report.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no report from the book's builds in {report}")
            time.sleep(0.5)
        data = json.loads(report.read_text())

        def run(value):
            return None if value is None else subprocess.CompletedProcess(**value)

        self.english, self.korean = run(data["english"]), run(data["korean"])
        self.templates = None if data["templates"] is None else Path(data["templates"])
        self.error = data["error"]


_BUILDS: list[_Builds] = []


def _start(report: Path | None = None, nice: int = NICE) -> _Builds:
    if not _BUILDS:
        _BUILDS.append(_Builds(report, nice))
        _BUILDS[0].start()
    return _BUILDS[0]


def _builds(config) -> _Builds | _Reported:
    report = getattr(config, "workerinput", {}).get(REPORT_KEY)
    if report is not None:
        return _Reported(Path(report))
    builds = _start()
    builds.join(timeout=1800)
    return builds


def _report_path(config) -> Path:
    """The builds' report, removed before the first worker starts (so a worker never
    reads an earlier session's) and when the session ends."""
    if not hasattr(config, "_audiotut_builds"):
        config._audiotut_builds = ROOT / "_build" / "test-builds.json"
        config._audiotut_builds.parent.mkdir(exist_ok=True)
        config._audiotut_builds.unlink(missing_ok=True)
    return config._audiotut_builds


def pytest_unconfigure(config) -> None:
    report = getattr(config, "_audiotut_builds", None)
    if report is not None:
        report.unlink(missing_ok=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist, in the controller: tell each worker where the builds report."""
    node.workerinput[REPORT_KEY] = str(_report_path(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids) -> None:
    """pytest-xdist, in the controller: build once a worker has collected a book test.
    At the normal priority: the workers keep both cores busy, and the builds must be
    done before the book's tests, which come last."""
    if any(Path(nodeid.split("::")[0]).name in BOOK_MODULES for nodeid in ids):
        _start(_report_path(node.config), nice=0)


#: A chapter that asks torch for more than one thread (``torch.set_num_threads(2)``,
#: ``deterministic(seed, threads=2)``: the same on a laptop and in CI).
MANY_THREADS = re.compile(r"set_num_threads\(([2-9]|\d\d+)\)|threads=([2-9]|\d\d+)\b")


def _group(path: str) -> str:
    """The unit of work that pytest-xdist hands to one worker: a file, so that a
    chapter's cells run in order in one kernel and a module's fixtures are set up once.
    The chapters that train on two torch threads make one unit, so one worker runs them
    one after the other. Such a chapter's two threads wait for each other at every
    operation, and on two cores they share with the other worker each often waits for
    a core: chapter 9 takes 145 s beside one busy process instead of 70 s alone (with
    ``OMP_WAIT_POLICY=PASSIVE``, as the workers run; 446 s with OpenMP's default
    spinning), and it took over 7 minutes beside chapter 8."""
    notebook = ROOT / path
    if notebook.suffix == ".ipynb" and notebook.is_file() and MANY_THREADS.search(
            notebook.read_text(encoding="utf-8")):
        return "chapters training on two threads"
    return path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist, in the controller: ``--dist loadfile`` with the units of
    :func:`_group`, in the order the workers collected (see below), not largest first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        @functools.cache
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid.split("::", 1)[0])

    config.option.loadscopereorder = False
    return Scheduling(config, log)


def pytest_collection_modifyitems(session, config, items) -> None:
    """Run serially, the rendered book's tests come last: they wait for the builds.

    Under pytest-xdist, which hands out whole units (:func:`_group`) in this order,
    the longest come first so that neither worker is left with a long one at the end:
    the chapters, the later (slower) ones leading, then the rendered book's tests (the
    builds are done by then), then the unit tests and doctests, those that play through
    the virtual sound card first (``test_stream.py``'s live test alone takes 15-20 s)."""
    live = {item.path for item in items if "loopback_device" in getattr(item, "fixturenames", ())}

    def order(item) -> tuple:
        name = item.path.name
        if not hasattr(config, "workerinput"):
            return (name in BOOK_MODULES,)
        if item.path.suffix == ".ipynb":
            return (0, -int(name[:2]) if name[:2].isdigit() else 0)
        if name in BOOK_MODULES:
            return (1,)
        return (2, item.path not in live)

    items.sort(key=order)                 # a stable sort: each file's own order holds


def pytest_collection_finish(session) -> None:
    if hasattr(session.config, "workerinput"):
        return                            # the controller builds
    if any(BUILD_FIXTURES & set(getattr(item, "fixturenames", ())) for item in session.items):
        _start()


@pytest.fixture(scope="session")
def built_book(pytestconfig) -> tuple[Path, subprocess.CompletedProcess]:
    """The whole book built from scratch, with warnings as errors, into _build/html."""
    builds = _builds(pytestconfig)
    if builds.english is None:
        pytest.fail(f"the book was not built: {builds.error}")
    return ROOT / "_build" / "html", builds.english


@pytest.fixture(scope="session")
def korean_build(built_book, pytestconfig) -> tuple[Path, subprocess.CompletedProcess]:
    """The Korean edition, built after the English one as `make book` does, into
    _build/html/ko."""
    html, english = built_book
    builds = _builds(pytestconfig)
    if english.returncode != 0 or builds.korean is None:
        pytest.fail("the English edition did not build; see test_book_builds_without_warnings")
    return html / "ko", builds.korean


@pytest.fixture(scope="session")
def i18n_templates(pytestconfig) -> Path:
    """The English messages of every page (.pot files), as `make po` extracts them."""
    builds = _builds(pytestconfig)
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
