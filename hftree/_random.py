"""One coercion of ``random_state`` arguments, and the one default.

Every function or estimator of hftree that draws random numbers takes
``random_state: RandomState = 0``: results are reproducible unless the caller
asks otherwise (``None`` draws fresh entropy from the operating system).
"""

from __future__ import annotations

import numpy as np

from hftree.errors import ParameterError

__all__ = ["DEFAULT_RANDOM_STATE", "RandomState", "check_random_state"]

RandomState = int | np.random.Generator | np.random.SeedSequence | None

#: The default seed of every random procedure (bootstraps, permutations, samplers).
DEFAULT_RANDOM_STATE = 0


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """Turn ``None``, an ``int`` seed, a ``SeedSequence`` or a ``Generator`` into a ``Generator``.

    Examples
    --------
    >>> g = check_random_state(0)
    >>> check_random_state(g) is g
    True
    >>> check_random_state(0).integers(100) == check_random_state(0).integers(100)
    np.True_
    >>> check_random_state("seed")
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: random_state: expected None, an int, a SeedSequence or a numpy Generator, got 'seed'
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, bool):  # bool is an int, but True as a seed is a mistake
        raise ParameterError("random_state", "None, an int, a SeedSequence or a numpy Generator", random_state)
    if random_state is None or isinstance(random_state, int | np.integer | np.random.SeedSequence):
        return np.random.default_rng(random_state)
    raise ParameterError("random_state", "None, an int, a SeedSequence or a numpy Generator", random_state)
