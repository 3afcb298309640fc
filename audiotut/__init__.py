"""audiotut: the companion package of the book *Audio for deep learning*.

One module per topic, each naming the chapter that teaches it:

- :mod:`audiotut.io` reads and writes audio files (chapter 1);
- :mod:`audiotut.display` plays and plots them (chapter 1);
- :mod:`audiotut.examples` fetches the book's real recordings (chapter 1);
- :mod:`audiotut.sampling` covers aliasing and quantization (chapter 1);
- :mod:`audiotut.metrics` measures signal-to-noise ratios (chapter 1) and RT60 (chapter 7);
- :mod:`audiotut.playback` plays and records through the sound card (chapter 2);
- :mod:`audiotut.synth` synthesizes tones, noise, speech and rooms (chapter 3);
- :mod:`audiotut.features` describes a spectral front-end once: STFT, mel, MFCC (chapters 4 and 5);
- :mod:`audiotut.spectral` runs the phase experiments and Griffin–Lim (chapter 4);
- :mod:`audiotut.loudness` measures and normalizes levels: peak, RMS, LUFS, true peak (chapter 6);
- :mod:`audiotut.augment` augments audio and spectrograms, reproducibly (chapter 7);
- :mod:`audiotut.gpu` computes the same features in PyTorch, on any device (chapter 8);
- :mod:`audiotut.datasets` reads a folder of recordings as a dataset, and downloads and
  verifies the Free Spoken Digit Dataset (chapter 9);
- :mod:`audiotut.models` holds a small log-mel classifier, its training loop, evaluation and
  checkpoints (chapter 9);
- :mod:`audiotut.utils` holds the one pad/crop rule and seeding for reproducible training
  (chapter 9);
- :mod:`audiotut.stream` computes features block by block and recognizes words live
  (chapter 10).

Arrays are float32 and channel-first like librosa: ``(n,)`` for mono,
``(channels, n)`` otherwise, and the sample rate is always the keyword ``sr``.
"""

from . import (augment, datasets, display, examples, features, gpu, io, loudness, metrics,
               models, playback, sampling, spectral, stream, synth, utils)
from .errors import (
    AudioDeviceError,
    AudioFileError,
    AudiotutError,
    DatasetError,
    ExampleDataError,
    SilentSignalWarning,
)

__version__ = "0.1.0"

__all__ = [
    "AudioDeviceError",
    "AudioFileError",
    "AudiotutError",
    "DatasetError",
    "ExampleDataError",
    "SilentSignalWarning",
    "__version__",
    "augment",
    "datasets",
    "display",
    "examples",
    "features",
    "gpu",
    "io",
    "loudness",
    "metrics",
    "models",
    "playback",
    "sampling",
    "spectral",
    "stream",
    "synth",
    "utils",
]
