"""Docstrings link code to lessons: every public function and class names the chapter
that teaches it, that chapter exists and links back, and functions carry numpydoc
sections with a runnable example (run by --doctest-modules)."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["audiotut.io", "audiotut.display", "audiotut.examples", "audiotut.sampling",
           "audiotut.metrics", "audiotut.errors", "audiotut.playback",
           "audiotut.loudness", "audiotut.synth", "audiotut.features",
           "audiotut.spectral", "audiotut.augment", "audiotut.gpu",
           "audiotut.datasets", "audiotut.models", "audiotut.utils", "audiotut.stream"]
CHAPTER = re.compile(r":doc:`/book/(\d\d_[a-z_]+)`")


def _public():
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            obj = getattr(module, attribute)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield pytest.param(name, attribute, obj, id=f"{name}.{attribute}")


@pytest.mark.parametrize("module_name", MODULES)
def test_module_docstring_names_a_chapter(module_name):
    doc = importlib.import_module(module_name).__doc__ or ""
    assert CHAPTER.search(doc), f"{module_name} has no 'Taught in :doc:`/book/NN_topic`'"


@pytest.mark.parametrize(("module_name", "name", "obj"), list(_public()))
def test_public_api_names_its_chapter_and_the_chapter_links_back(module_name, name, obj):
    doc = inspect.getdoc(obj) or ""
    chapters = CHAPTER.findall(doc)
    assert chapters, f"{module_name}.{name}: no 'Taught in :doc:`/book/NN_topic`' line"
    for chapter in chapters:
        notebook = ROOT / "book" / f"{chapter}.ipynb"
        assert notebook.exists(), f"{module_name}.{name} names {chapter}, which does not exist"
        assert f"audiotut.{module_name.split('.')[1]}.{name}" in notebook.read_text(encoding="utf-8"), (
            f"{chapter} does not mention {module_name}.{name}; link it with {{py:func}}"
        )


@pytest.mark.parametrize(("module_name", "name", "obj"), list(_public()))
def test_functions_have_numpydoc_sections_and_examples(module_name, name, obj):
    if not inspect.isfunction(obj):
        return
    doc = inspect.getdoc(obj) or ""
    for section in ("Returns", "Examples"):
        assert f"\n{section}\n" in doc, f"{module_name}.{name}: no numpydoc '{section}' section"
    if inspect.signature(obj).parameters:
        assert "\nParameters\n" in doc, f"{module_name}.{name}: no 'Parameters' section"
    assert ">>> " in doc, f"{module_name}.{name}: the Examples section has no runnable example"


def test_keyword_only_after_the_signal():
    """Conventions: everything after the first (signal or path) parameter is keyword-only."""
    for param in _public():
        module_name, name, obj = param.values
        if not inspect.isfunction(obj):
            continue
        parameters = list(inspect.signature(obj).parameters.values())
        positional = [p.name for p in parameters
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        allowed = {"save": 2, "snr_db": 2, "measure_lag": 2, "mix": 2, "chirp": 2, "swap_fft2": 2,
                   "swap_stft": 2, "spectral_convergence": 2, "confusion_matrix": 2,
                   "predict": 2, "evaluate": 2, "fit": 2}.get(name, 1)  # two-input functions
        assert len(positional) <= allowed, f"{module_name}.{name}: {positional} are positional"
        assert "sr" not in positional, f"{module_name}.{name}: sr must be keyword-only"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make book" in readme and "make test" in readme


def test_readme_example_for_your_own_project_runs(tmp_path):
    """README's "Use audiotut in your own project" example runs as written, without
    torch (it is what the core install gives): it prints two epochs' shapes and saves."""
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use audiotut in your own project", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(code) == 2, "the section should hold two Python examples"
    assert all(len(block.splitlines()) <= 20 for block in code)
    from helpers import NO_TORCH

    result = subprocess.run([sys.executable, "-c", NO_TORCH + code[0]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1"] and "(40, 45)" in lines[0]
    assert (tmp_path / "seven.wav").stat().st_size > 1000


def test_readme_example_for_your_own_recordings_trains_and_saves(tmp_path):
    """README's second example: a folder of words (here synthesized, 2 classes x 5 voices x
    4 speeds) is read, split, trained on with models.fit, scored and saved."""
    import subprocess
    import sys

    from audiotut import augment, io, synth

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use audiotut in your own project", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    voices = ["en", "en-us", "en-gb-scotland", "en+m3", "en+f3"]
    for word in ("yes", "no"):
        (tmp_path / "my_words" / word).mkdir(parents=True)
        for voice in voices:
            y = synth.speech(word, sr=16000, voice=voice)
            for factor in (0.9, 0.95, 1.05, 1.1):
                io.save(tmp_path / "my_words" / word / f"{voice}_{factor}.wav",
                        augment.change_speed(y, sr=16000, factor=factor), sr=16000)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    accuracy = int(re.search(r"test accuracy (\d+)%", result.stdout).group(1))
    assert accuracy >= 75, result.stdout              # yes/no: far above chance (50 %)
    from audiotut.models import load

    model, classes = load(tmp_path / "my_words.pt")
    assert classes == ["no", "yes"] and model.config.n_mels == 40
    print(f"README own-recordings example: test accuracy {accuracy} % on 8 clips")
