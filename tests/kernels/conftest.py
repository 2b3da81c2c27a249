"""Shared synthetic ground truth for the data-kernel tests (exposed as the ``synth`` fixture).

``synth.arc_angles`` draws RDPG latent positions on an arc of radius 0.8 in two
clusters (angles about 0.35 and 1.2 rad), so every edge probability lies in about
[0.2, 0.64]; ``synth.move_items`` rotates chosen items along the arc towards the
other cluster so that their latent position moves by a chord of known length (the
effect size); ``synth.clustered_embeddings`` makes embeddings with cluster structure.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

RADIUS = 0.8


def arc_angles(n: int, rng: np.random.Generator) -> np.ndarray:
    first = rng.random(n) < 0.5
    return np.where(first, rng.normal(0.35, 0.12, n), rng.normal(1.2, 0.12, n))


def arc_positions(angles: np.ndarray) -> np.ndarray:
    return RADIUS * np.c_[np.cos(angles), np.sin(angles)]


def move_items(angles: np.ndarray, moved: np.ndarray, effect: float) -> np.ndarray:
    """Rotate the ``moved`` items towards the other cluster by a chord of length ``effect``."""
    step = 2.0 * np.arcsin(effect / (2.0 * RADIUS))
    out = angles.copy()
    out[moved] += np.where(angles[moved] < 0.775, step, -step)
    return out


def clustered_embeddings(n: int, rng: np.random.Generator, *, clusters: int = 6, width: int = 16) -> np.ndarray:
    centres = rng.normal(size=(clusters, width)) * 2.0
    return centres[rng.integers(0, clusters, n)] + rng.normal(size=(n, width))


@pytest.fixture(scope="session")
def synth() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        arc_angles=arc_angles,
        arc_positions=arc_positions,
        move_items=move_items,
        clustered_embeddings=clustered_embeddings,
        radius=RADIUS,
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
