"""Deterministic synthetic data: Hangzhou subjects and records of every catalog type, written in
the column form departments send, and a loader that ingests them like a department would."""

from xinyong.synth.generate import (
    DEFAULT_SEED,
    SynthFile,
    SynthManifest,
    generate,
    penalty_rows,
    read_manifest,
)
from xinyong.synth.load import ensure_departments, load_into

__all__ = [
    "DEFAULT_SEED",
    "SynthFile",
    "SynthManifest",
    "ensure_departments",
    "generate",
    "load_into",
    "penalty_rows",
    "read_manifest",
]
