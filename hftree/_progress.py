"""One progress-bar helper, and the one default policy.

Long work (imports, fetches, tracking, embeddings) takes ``progress: bool | None = None``:
``None`` shows a bar on stderr when stderr is a terminal (so cron jobs and pipes stay
quiet), ``True`` always, ``False`` never. Bars go to stderr, never stdout.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar", "show_progress"]


def show_progress(progress: bool | None) -> bool:
    """Whether a bar is shown for ``progress`` (``None``: stderr is a terminal).

    >>> show_progress(True), show_progress(False)
    (True, False)
    """
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def progress_bar(progress: bool | None = None, *, desc: str, total: float | None = None,
                 unit: str = "it", unit_scale: bool = False, **kw: Any) -> Any:
    """A tqdm bar on stderr (disabled, and free, when :func:`show_progress` says no).

    >>> bar = progress_bar(False, desc="reading", total=3)
    >>> bar.update(3); bar.close()
    """
    from tqdm.auto import tqdm  # tqdm loads quickly, but only long work needs it

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit_scale, file=sys.stderr,
                disable=not show_progress(progress), leave=False, mininterval=0.5, dynamic_ncols=True, **kw)
