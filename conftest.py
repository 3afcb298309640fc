"""A virtual sound card for the whole test session: no hardware needed.

Chapter 2 plays and records for real. On a machine without a sound card (CI, a
container) this starts the JACK loopback server of ``tests/virtual_audio.py``
before anything is collected, so the doctests, the unit tests and the notebooks
that nbval runs (whose kernels inherit the environment) all play on the same
device, ``loopback``; it is stopped by its process id when the session ends.
Under pytest-xdist (``make test`` runs two workers) each worker starts a server of
its own, under its own name, and its tests and kernels play on that one.

Without ``jackd`` nothing starts, and the tests that need the device skip with a
reason (a failure under ``AUDIOTUT_STRICT=1``). Set ``AUDIOTUT_VIRTUAL_AUDIO=0``
to test against your own sound card instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

# A chapter saved from the Korean edition to run in Lab (book/get_the_code.md) is a copy
# of a chapter, not a chapter: nbval does not collect it.
collect_ignore_glob = ["book/ko_*.ipynb"]

_spec = importlib.util.spec_from_file_location(
    "audiotut_virtual_audio", Path(__file__).parent / "tests" / "virtual_audio.py")
virtual_audio = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = virtual_audio  # dataclasses look their module up there
_spec.loader.exec_module(virtual_audio)


def _stop_kernel_gracefully() -> None:
    """nbval ends each notebook's kernel with ``shutdown_kernel(now=True)``, a kill.

    A kernel that imported sounddevice holds a PortAudio client of the JACK server,
    and a killed client stalls the synchronous server for 50 s (its log: "XRun =
    50000205 usec"), so the next notebook that touches PortAudio (chapter 3, through
    pyroomacoustics' import of sounddevice) waited 50 s in CI. A graceful shutdown
    lets the kernel exit normally: sounddevice's exit handler closes PortAudio, and
    jupyter_client still kills a kernel that has not exited after its shutdown wait.
    """
    try:
        from nbval.kernel import RunningKernel
    except ImportError:          # nbval not installed: nothing to change
        return

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)
        del self.km

    RunningKernel.stop = stop


def _controller(config) -> bool:
    """Whether this process hands the tests out to pytest-xdist workers (``-n 2``)."""
    return (not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"
            and bool(getattr(config.option, "tx", None)))


#: The thread pools of OpenMP (torch), OpenBLAS and MKL (NumPy, SciPy), and how their
#: idle threads wait.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OMP_WAIT_POLICY": "PASSIVE"}


def _one_thread_per_worker() -> None:
    """Before pytest-xdist starts its workers (they and their kernels inherit this): one
    compute thread each, so two workers share two cores without waiting on each other.
    The printed outputs do not depend on it (``make check-numerics`` runs every chapter
    on one thread). A chapter that asks for two torch threads still gets them, and
    tests/conftest.py keeps such chapters from running at the same time. Variables the
    caller set are kept."""
    for name, value in ONE_THREAD.items():
        os.environ.setdefault(name, value)


def _numba_cache_of_its_own(worker: str) -> None:
    """A pytest-xdist worker (and its kernels) caches librosa's compiled numba functions
    in a folder of its own. Two processes that compile the same cached gufunc at once can
    leave a cache that crashes a process that loads it (numba issue 10128, open): in a
    fresh venv, chapter 5's kernel died with a segmentation fault in the cell that calls
    ``librosa.feature.zero_crossing_rate`` (a cached gufunc), and nbval waited for its
    reply. The folders stay (``_build/numba-cache/gw0``, ...), so later sessions
    compile nothing."""
    folder = Path(__file__).parent / "_build" / "numba-cache" / worker
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(folder))


def pytest_configure(config) -> None:
    _stop_kernel_gracefully()
    config.audiotut_audio, config.audiotut_audio_reason = None, ""
    if os.environ.get("AUDIOTUT_VIRTUAL_AUDIO") == "0":
        config.audiotut_audio_reason = "AUDIOTUT_VIRTUAL_AUDIO=0: using the machine's own devices"
        return
    if _controller(config):     # it runs no test: each worker starts a server of its own
        config.audiotut_audio_reason = "one server per test worker"
        _one_thread_per_worker()
        return
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is not None:
        _numba_cache_of_its_own(worker)
    config.audiotut_audio, config.audiotut_audio_reason = virtual_audio.start(
        first=int((worker or "gw0").removeprefix("gw")))


def pytest_unconfigure(config) -> None:
    if getattr(config, "audiotut_audio", None) is not None:
        virtual_audio.stop(config.audiotut_audio)


def pytest_report_header(config) -> str:
    server = getattr(config, "audiotut_audio", None)
    if server is None and _controller(config):
        return ("virtual sound card: a JACK dummy server per test worker, "
                f"named from {virtual_audio.NAMES[0]!r} on")
    if server is None:
        return f"virtual sound card: none ({getattr(config, 'audiotut_audio_reason', '')})"
    return (f"virtual sound card: JACK dummy server {virtual_audio.SERVER!r} "
            f"(pid {server.process.pid}), {server.sr} Hz, period {server.period}, "
            f"device {server.device!r}")
