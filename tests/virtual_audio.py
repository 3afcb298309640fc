"""A virtual sound card: a JACK server with a dummy backend and two loopback channels.

``jackd -S -L 2 -d dummy`` makes PortAudio list a device named ``loopback``: what is
played on its outputs comes back on its inputs one period (1024 samples) later,
bit for bit. The tests (through the root ``conftest.py``) and ``make notebooks``
run under it, so chapter 2 plays and records for real on machines without a sound
card. ``jackd`` is in Debian's ``jackd2`` package, PortAudio in ``libportaudio2``.

As a script it runs a command with the server up and the environment set::

    python tests/virtual_audio.py jupyter-execute book/02_playback_recording.ipynb
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: The names the server tries, in turn; :func:`start` takes the first one no live
#: server holds, so neither a running JACK nor a second test session on the same
#: machine is disturbed. A small fixed pool, not one new name per process: JACK2 keeps
#: its servers in a table of 8 entries (``/dev/shm/jack-shm-registry``) and reclaims a
#: dead server's entry only when a server of the *same name* starts. A jackd killed
#: with SIGKILL (a run stopped by a timeout) leaves its entry behind, and eight such
#: never-reused names would fill the table ("Too many servers already active").
NAMES = tuple(f"audiotut-{index}" for index in range(8))
RATE = 48000
PERIOD = 1024
DEVICE = "loopback"
#: The name :func:`start` got (the first of :data:`NAMES` until then).
SERVER = NAMES[0]

#: Where each server's own messages go (xruns, clients coming and going), kept for
#: debugging: ``jackd-<name>.log``.
LOGS = Path(__file__).resolve().parents[1] / "test-artifacts"

#: What every PortAudio program started under the server needs in its environment.
ENVIRONMENT = {"JACK_DEFAULT_SERVER": SERVER, "JACK_NO_START_SERVER": "1",
               "AUDIOTUT_DEVICE": DEVICE}


@dataclass
class Server:
    """A running JACK server (``process.pid`` is what :func:`stop` signals)."""

    process: subprocess.Popen
    sr: int = RATE
    period: int = PERIOD
    device: str = DEVICE


def _ports(env: dict) -> str:
    try:
        result = subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True,
                                timeout=20)
    except subprocess.TimeoutExpired:  # a busy machine: the server is still starting
        return ""
    return result.stdout if result.returncode == 0 else ""


def start(first: int = 0) -> tuple[Server | None, str]:
    """Start the server and export :data:`ENVIRONMENT`; return it, or None and why not.

    ``first`` is the index in :data:`NAMES` to try first: the parallel test workers
    (pytest-xdist's gw0, gw1, ...) start their servers at the same moment, each under
    a name of its own.
    """
    global SERVER
    missing = [tool for tool in ("jackd", "jack_lsp") if shutil.which(tool) is None]
    if missing:
        return None, (f"{' and '.join(missing)} not found, so there is no virtual sound card: "
                      "install JACK and PortAudio ('apt-get install jackd2 libportaudio2')")
    error = ""
    for name in NAMES[first % len(NAMES):] + NAMES[:first % len(NAMES)]:
        server, error = _start(name)
        if server is not None:
            SERVER = name
            ENVIRONMENT["JACK_DEFAULT_SERVER"] = name
            os.environ.update(ENVIRONMENT)
            return server, ""
        if "already active" not in error:   # a live server of that name: try the next
            break
    return None, f"jackd did not start: {error[-500:] or 'timed out'}"


def _start(name: str) -> tuple[Server | None, str]:
    env = {**os.environ, **ENVIRONMENT, "JACK_DEFAULT_SERVER": name}
    if _ports(env):
        # A live server already has the name: another session's, or one that outlived a
        # killed session (it was started in a session of its own). Its ports would make
        # a failed start below look like a successful one.
        return None, f"`{name}' server already active"
    # A file, not a pipe: jackd logs every xrun, and a full pipe would stall it.
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"jackd-{name}.log").open("w+b")
    process = subprocess.Popen(
        # -S (synchronous): the server waits for its clients each period, so a slow
        # machine makes the loop slower, never wrong (asynchronous mode drops whole
        # periods when a client is late); -t: how long it waits, in ms.
        ["jackd", "--no-realtime", "-S", "-t", "5000", "-n", name, "-L", "2",
         "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD)],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if "loopback:capture_1" in _ports(env):
            # the ports may be another server's that took the name first (two sessions
            # starting at once): a jackd that lost the name exits at once
            time.sleep(0.3)
            if process.poll() is None:
                return Server(process), ""
            break
        time.sleep(0.2)
    _kill(process)
    log.seek(0)
    return None, log.read().decode(errors="replace").strip()


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def stop(server: Server) -> None:
    """Close PortAudio in this process (it aborts if its server vanishes), then stop."""
    sounddevice = sys.modules.get("sounddevice")
    if sounddevice is not None:
        sounddevice._terminate()
    _kill(server.process)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    server, reason = start()
    if server is None:
        print(f"virtual_audio: {reason}; running without it", file=sys.stderr)
    try:
        code = subprocess.call(sys.argv[1:])
    finally:
        if server is not None:
            stop(server)
    sys.exit(code)
