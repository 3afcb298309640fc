"""book/changes_since_talk.md corrects only what the talk said: every entry of its
three talk sections names its source, a short quote of the slides
(``(slide: "…")``, found in the slides' text) or a file of the companion code
(``(companion code: `path`)``, one of the files listed below).

The slides' text lives outside the repository, in ``../shared/talk/slides.txt``
(``AUDIOTUT_TALK_SLIDES`` names another place); without it the test skips, which
``AUDIOTUT_STRICT=1`` (CI) counts as a failure."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from helpers import markdown_bullets

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "changes_since_talk.md"
SLIDES = Path(os.environ.get("AUDIOTUT_TALK_SLIDES",
                             ROOT.parent / "shared" / "talk" / "slides.txt"))
TALK_SECTIONS = ("APIs removed or changed", "Numbers", "Formulas and claims")

# The companion code's files, as listed and read in the GitHub repository
# nuxlear/keras-audio (the talk's last slide names it) on 2026-12-03, with the
# read_file tool of the index of public repositories; the versions read were at
# commits e8d84ad631ff485b1cd7a2c90a77ec6bbcb8edbb (01_basic, most of
# 02_preprocessing), aa410ba5ddfb26766814c252101ff1b0d012af35 and
# 3ed4a681b00ce7ebed4128091c407a1b159dc380 (06_normalize_librosa.py, whose RMS
# gain is in the later one) and b8e255daf8e72eac9e8330b72d4f5a836b218c0d
# (03_augmentation). Older names of the same scripts (without the number) are
# listed too. Add a file only after reading it there.
COMPANION_CODE = frozenset({
    "examples/01_basic/02_play_wave_sounddevice.py",
    "examples/01_basic/04_plot_wave_librosa.py",
    "examples/01_basic/05_save_wave_librosa.py",
    "examples/01_basic/load_wave_librosa.py",
    "examples/01_basic/play_wave_sounddevice.py",
    "examples/01_basic/plot_wave_librosa.py",
    "examples/01_basic/save_wave_librosa.py",
    "examples/02_preprocessing/01_spectrogram_librosa.py",
    "examples/02_preprocessing/02_mag_phase_librosa.py",
    "examples/02_preprocessing/03_mel_spectogram_librosa.py",
    "examples/02_preprocessing/04_mfcc_librosa.py",
    "examples/02_preprocessing/05_inverse_stft_librosa.py",
    "examples/02_preprocessing/06_normalize_librosa.py",
    "examples/02_preprocessing/mag_phase_librosa.py",
    "examples/02_preprocessing/mel_spectogram_librosa.py",
    "examples/02_preprocessing/spectrogram_librosa.py",
    "examples/03_augmentation/01_audio_fx_pysndfx.py",
    "examples/03_augmentation/spec_augment_librosa.py",
})

SLIDE_QUOTE = re.compile(r'slide: "([^"]+)"')
CODE_FILES = re.compile(r"companion code: ((?:`[^`]+`(?:,\s*|\s+and\s+)?)+)")
MIN_QUOTE, MAX_QUOTE = 6, 100       # non-blank characters; a quote, not a copy


def _normalized(text: str) -> str:
    return " ".join(text.split())


def _sections(page: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", page, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}


def attribution_problems(page: str, slides: str) -> list[str]:
    """Every way ``page`` credits the talk with something its sources lack."""
    problems = []
    sections = _sections(page)
    slide_text = _normalized(slides)
    for title in TALK_SECTIONS:
        if title not in sections:
            problems.append(f"no section '## {title}'")
            continue
        for bullet in markdown_bullets(sections[title]):
            files = [name for group in CODE_FILES.findall(bullet)
                     for name in re.findall(r"`([^`]+)`", group)]
            if not SLIDE_QUOTE.search(bullet) and not files:
                problems.append(f"{title}: names no slide or companion-code "
                                f"file: {bullet[:70]}")
    every_bullet = [b for body in sections.values() for b in markdown_bullets(body)]
    for bullet in every_bullet:                     # in every section
        for group in CODE_FILES.findall(bullet):
            for name in re.findall(r"`([^`]+)`", group):
                if name not in COMPANION_CODE:
                    problems.append(f"'{name}' is not a file of the companion "
                                    f"code: {bullet[:50]}")
    quotes = [quote for bullet in every_bullet
              for quote in SLIDE_QUOTE.findall(bullet)]
    for quote in quotes:
        size = len("".join(quote.split()))
        if not MIN_QUOTE <= size <= MAX_QUOTE:
            problems.append(f"slide quote of {size} characters, not "
                            f"{MIN_QUOTE} to {MAX_QUOTE}: {quote[:50]!r}")
        if _normalized(quote) not in slide_text:
            problems.append(f"not on the slides: {quote!r}")
    return problems


@pytest.fixture(scope="module")
def slides() -> str:
    if not SLIDES.is_file():
        pytest.skip(f"the talk's slide text is not at {SLIDES}; put it at "
                    "../shared/talk/slides.txt beside the repository or name it "
                    "with AUDIOTUT_TALK_SLIDES")
    return SLIDES.read_text(encoding="utf-8")


def test_every_talk_entry_quotes_the_slides_or_names_the_companion_code(slides):
    page = PAGE.read_text(encoding="utf-8")
    bullets = [b for title in TALK_SECTIONS
               for b in markdown_bullets(_sections(page).get(title, ""))]
    assert len(bullets) >= 20, f"only {len(bullets)} entries in the talk sections"
    problems = attribution_problems(page, slides)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bullet, why", [
    ("- **eSpeak NG installed as a system package** → a wheel", "names no"),
    ('- **x** (slide: "eSpeak NG installed as a system package") → y',
     "not on the slides"),
    ("- **x** (companion code: `examples/espeak.py`) → y", "not a file"),
    ('- **x** (slide: "sd") → y', "slide quote of 2"),
])
def test_the_check_catches_a_misattribution(slides, bullet, why):
    page = f"## Numbers\n\n{bullet}\n"
    problems = attribution_problems(page, slides)
    assert any(why in problem for problem in problems), problems
