"""Shared fixtures: where the seeds, the bundled examples and the corpus sample are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "captures"
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus" / "agora-news-sample"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus sample is not at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def seeds() -> Path:
    if not SEEDS.is_dir():
        return EXAMPLES  # the repository carries copies of both seeds
    return SEEDS
