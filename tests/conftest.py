"""Shared fixtures: where the seed pages and the shared corpus are, and a store with the seeds.

The corpus lives beside the checkout (`../shared/corpus`) and is never copied into the project;
a fresh clone without it skips the corpus tests and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
CORPUS_DIR = ROOT.parent / "shared" / "corpus"


def require_corpus(*parts: str) -> Path:
    """A path inside ../shared/corpus, or a skip naming what is missing (never a silent pass)."""
    path = CORPUS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not available: {path} is absent (it sits beside the checkout "
                    f"as ../shared/corpus)")
    return path


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES_DIR


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return require_corpus()
