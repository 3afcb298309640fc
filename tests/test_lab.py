"""`make lab` works for a new user: JupyterLab, started from the project's virtual
environment, opens chapter 1 in headless Chromium, renders its MyST (roles and boxes,
through jupyterlab-myst) and runs its first cells through the UI.

The server runs on a free port with a random token and with empty Jupyter config, data
and runtime directories of its own, so nothing from ~/.jupyter or ~/.local takes part,
and it serves a copy of book/, so the committed notebooks are never touched. The chapter
asks for the kernel ``python3``: the test checks that JupyterLab starts it with the
Python it runs on (the venv), that the kernel imports this checkout's audiotut, and that
the first code cells print, through the UI, what the notebook has stored (which nbval
checks equals a fresh run).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import chromium_context

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01_sampling.ipynb"
CODE_CELLS = 3  # the chapter's first code cells that the test runs through the UI
ARTIFACTS = ROOT / "test-artifacts"
# User settings in the isolated config directory: every cell in the DOM (no windowing),
# no autosave (the test never writes the notebook), and nothing fetched from the internet.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}
# the cell the test adds through the UI: which Python runs the kernel, which audiotut
MARKER = "audiotut-lab-check"
PROBE = f"import sys, audiotut; print({MARKER!r}, sys.prefix, audiotut.__file__, sep='\\n')"
# Limits on waiting, not expectations of speed: on 2 busy cores the server answers in
# ~2 s, the kernel is idle ~5 s after the page opens and the cells run in ~2 s.
START_TIMEOUT_S = 90
KERNEL_TIMEOUT_MS = 90_000
RUN_TIMEOUT_MS = 120_000
# the MIME type JupyterLab renders for an output: the first of these that the output has
MIME_ORDER = ["application/javascript", "text/html", "text/markdown", "text/latex",
              "image/svg+xml", "image/png", "image/jpeg", "image/gif", "application/json",
              "text/plain"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> list | dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _sanitize(text: str) -> str:
    """What nbval ignores (tests/nbval_sanitize.cfg), and trailing whitespace."""
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def _stored_outputs(notebook: Path) -> list[list[tuple[str, str]]]:
    """The first code cells' stored outputs as JupyterLab shows them: (MIME type, text)
    with text only for streams and errors, consecutive streams merged as Lab merges them."""
    cells = [cell for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
             if cell["cell_type"] == "code"][:CODE_CELLS]
    expected = []
    for cell in cells:
        shown: list[tuple[str, str]] = []
        for output in cell["outputs"]:
            if output["output_type"] == "stream":
                mime = f"application/vnd.jupyter.{output['name']}"
                if shown and shown[-1][0] == mime:
                    shown[-1] = (mime, shown[-1][1] + "".join(output["text"]))
                else:
                    shown.append((mime, "".join(output["text"])))
            elif output["output_type"] == "error":
                shown.append(("application/vnd.jupyter.stderr", output["ename"]))
            else:
                mime = next(m for m in MIME_ORDER + list(output["data"]) if m in output["data"])
                shown.append((mime, ""))
        expected.append(shown)
    return expected


def _kernel_processes(runtime: Path) -> list[int]:
    """Processes whose command line names a connection file in the runtime directory."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(runtime).encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def _stop(server: subprocess.Popen, base: str | None, token: str, runtime: Path) -> None:
    """Shut the server down with its kernels (they run in sessions of their own)."""
    if server.poll() is None and base:
        try:
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
            server.wait(timeout=30)
        except (urllib.error.URLError, ConnectionError, subprocess.TimeoutExpired):
            pass
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    for pid in _kernel_processes(runtime):  # a kernel the server left behind
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab from this Python on a copy of book/, as `make lab` starts it."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is missing: pip install -e '.[lab]'")
    home = tmp_path_factory.mktemp("jupyter")
    notebooks = home / "book"
    shutil.copytree(ROOT / "book", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    runtime = home / "runtime"
    settings = home / "config" / "lab" / "user-settings"
    env = dict(os.environ)  # LIBROSA_DATA_DIR, AUDIOTUT_DATA_DIR, ... reach the kernel
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(runtime), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "config" / "lab" / "workspaces"))
    for name in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH"):
        env.pop(name, None)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"  # as `make lab` sets it
    for plugin, values in SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")

    token = secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={_free_port()}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={notebooks}", "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # as `make lab` does: Jupyter refuses root without it
        command.append("--allow-root")
    log_path = home / "server.log"
    started = time.monotonic()
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=notebooks, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    base = None
    try:
        # The server writes its port (it moves on if ours was taken meanwhile) to
        # jpserver-PID.json in the runtime directory; then it answers /api/status.
        info = runtime / f"jpserver-{server.pid}.json"
        while server.poll() is None and time.monotonic() - started < START_TIMEOUT_S:
            if info.exists():
                try:
                    base = f"http://127.0.0.1:{json.loads(info.read_text())['port']}"
                    _get(f"{base}/api/status?token={token}")
                    break
                except (ValueError, KeyError, urllib.error.URLError, ConnectionError):
                    pass
            time.sleep(0.25)
        else:
            pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT_S} s (exit code "
                        f"{server.poll()}):\n{log_path.read_text()[-3000:]}")
        yield {"base": base, "token": token, "dir": notebooks, "runtime": runtime,
               "startup_s": time.monotonic() - started}
    finally:
        _stop(server, base, token, runtime)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, ARTIFACTS / "lab-server.log")


@pytest.fixture
def tab(chromium, tmp_path):
    with chromium_context(chromium, tmp_path / "chromium-profile") as context:
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "screenshots" / "lab-01_sampling.png"))


# every cell of the notebook: (prompt, [(MIME type, text), ...]); text only for streams
CELLS = """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => ({
  code: cell.classList.contains('jp-CodeCell'),
  prompt: (cell.querySelector('.jp-InputArea-prompt') || {innerText: ''}).innerText.trim(),
  outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(output => {
    const mime = output.getAttribute('data-mime-type') || '';
    return [mime, mime.startsWith('application/vnd.jupyter.std') ? output.innerText : ''];
  }),
}))"""


@pytest.mark.browser
def test_lab_runs_chapter_1_with_the_project_kernel(lab, tab, record_property):
    expected = _stored_outputs(lab["dir"] / CHAPTER)
    opened = time.monotonic()
    tab.goto(f"{lab['base']}/lab/tree/{CHAPTER}?token={lab['token']}")
    tab.wait_for_selector(".jp-Notebook .jp-CodeCell")
    # the status bar reads "Python 3 (ipykernel) | Initializing", then "... | Idle"
    tab.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle")).wait_for(
        timeout=KERNEL_TIMEOUT_MS)
    idle_s = time.monotonic() - opened
    sessions = _get(f"{lab['base']}/api/sessions?token={lab['token']}")
    assert [(s["path"], s["kernel"]["name"]) for s in sessions] == [(CHAPTER, "python3")]

    # Edit > Clear Outputs of All Cells: whatever appears from now on, this kernel made
    tab.get_by_role("menuitem", name="Edit", exact=True).click()
    tab.get_by_role("menuitem", name="Clear Outputs of All Cells").click()
    cleared = [cell for cell in tab.evaluate(CELLS) if cell["code"]]
    assert all(not cell["outputs"] and cell["prompt"] == "[ ]:" for cell in cleared), cleared[:3]

    # Shift+Enter from the first code cell: runs a code cell, steps over Markdown cells
    started = time.monotonic()
    tab.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").first.click()
    ran = presses = 0
    while ran < CODE_CELLS:
        ran += tab.locator(".jp-Notebook .jp-Cell.jp-mod-active.jp-CodeCell").count()
        tab.keyboard.press("Shift+Enter")
        presses += 1
        assert presses < 100, "Shift+Enter did not reach the chapter's third code cell"
    # a new cell right after them (the A key in command mode), typed into and run the same way
    tab.keyboard.press("Escape")
    tab.keyboard.press("a")
    tab.locator(".jp-Notebook .jp-Cell.jp-mod-active.jp-CodeCell .cm-content").click()
    tab.keyboard.insert_text(PROBE)
    tab.keyboard.press("Shift+Enter")
    probe = tab.locator(".jp-Notebook .jp-CodeCell .jp-OutputArea-output", has_text=MARKER)
    probe.wait_for(timeout=RUN_TIMEOUT_MS)  # the kernel runs cells in order: all ran
    run_s = time.monotonic() - started

    cells = [cell for cell in tab.evaluate(CELLS) if cell["code"]]
    record_property("measured", f"make lab: JupyterLab answered {lab['startup_s']:.1f} s after "
                    f"starting, the python3 kernel was idle {idle_s:.1f} s after chapter 1 "
                    f"opened, and its first {CODE_CELLS} code cells plus a probe cell ran "
                    f"through the UI in {run_s:.1f} s")
    prompts = [cell["prompt"] for cell in cells[:CODE_CELLS + 1]]
    assert prompts == [f"[{n}]:" for n in range(1, CODE_CELLS + 2)], prompts
    for index, (cell, stored) in enumerate(zip(cells, expected), start=1):
        shown = [(mime, _sanitize(text)) for mime, text in cell["outputs"]]
        stored = [(mime, _sanitize(text)) for mime, text in stored]
        assert shown == stored, f"{CHAPTER}, code cell {index}: Lab shows {shown}, stored {stored}"
    probe_cell = cells[CODE_CELLS]
    assert [mime for mime, _ in probe_cell["outputs"]] == ["application/vnd.jupyter.stdout"]
    marker, prefix, module = probe_cell["outputs"][0][1].strip().splitlines()
    assert marker == MARKER
    assert Path(prefix) == Path(sys.prefix), f"the kernel runs {prefix}, not this venv {sys.prefix}"
    assert Path(module).is_relative_to(ROOT / "audiotut"), f"the kernel imported {module}"


# The rendered Markdown cells: jupyterlab-myst draws each in a ".myst" widget, and its
# admonitions (:::{tip}, ```{admonition}) as aside.myst-admonition.
MARKDOWN = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell'));
  const shown = cells.map(cell => cell.querySelector('.jp-MarkdownOutput, .myst'))
    .filter(output => output !== null);
  return {cells: cells.length, rendered: shown.length,
          myst: shown.filter(output => output.classList.contains('myst')).length,
          boxes: shown.reduce((n, output) =>
            n + output.querySelectorAll('aside.myst-admonition').length, 0),
          text: shown.map(output => output.innerText).join('\\n')};
}"""
ROLES = re.compile(r"\{(?:py:func|py:class|py:mod|py:meth|doc|term|ref)\}`")


@pytest.mark.browser
def test_lab_renders_the_chapters_myst(lab, tab, record_property):
    """Roles ({py:func}, {term}, {doc}) render as their text and boxes as boxes, not as
    literal MyST: the chapters are read in Lab as they are in the book."""
    cells = json.loads((lab["dir"] / CHAPTER).read_text(encoding="utf-8"))["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    roles = len(ROLES.findall(source))
    boxes = len(re.findall(r"^(?::::+|```+)\{(?:admonition|tip|note|warning|important)\}",
                           source, re.M))
    assert roles and boxes, f"{CHAPTER} has {roles} roles and {boxes} boxes: pick another chapter"

    tab.goto(f"{lab['base']}/lab/tree/{CHAPTER}?token={lab['token']}")
    tab.wait_for_selector(".jp-Notebook .jp-MarkdownCell .myst aside.myst-admonition",
                          timeout=KERNEL_TIMEOUT_MS)
    tab.wait_for_function(f"() => ({MARKDOWN})().myst === ({MARKDOWN})().cells",
                          timeout=KERNEL_TIMEOUT_MS)
    shown = tab.evaluate(MARKDOWN)
    record_property("measured", f"JupyterLab, {CHAPTER}: {shown['rendered']} of "
                    f"{shown['cells']} Markdown cells rendered by jupyterlab-myst, "
                    f"{shown['boxes']} of {boxes} boxes, {roles} roles in the source")
    assert shown["myst"] == shown["rendered"] == shown["cells"], shown
    assert shown["boxes"] == boxes, f"{shown['boxes']} of {boxes} boxes rendered"
    # unrendered, a role shows as "{py:func}name" (Markdown takes the backticks)
    literal = sorted(set(re.findall(r"\{(?:py:\w+|doc|term|ref)\}|^:::+\{\w+\}",
                                    shown["text"], re.M)))
    assert not literal, f"MyST shown as literal text in Lab: {literal}"


def test_make_lab_installs_nothing_and_registers_no_kernel():
    """Once the venv is current, `make lab` only starts JupyterLab from the venv, with the
    venv's kernelspecs first: no pip, no kernel registered for the user."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on PATH")
    result = subprocess.run([make, "-n", "-o", ".venv/.installed", "lab"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    commands = result.stdout
    assert "pip" not in commands and "kernelspec" not in commands, commands
    assert "ipykernel install" not in commands, commands
    assert "JUPYTER_PREFER_ENV_PATH=1" in commands and "-m jupyterlab" in commands, commands
