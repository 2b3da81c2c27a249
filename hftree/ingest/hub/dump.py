"""Fetch a whole-Hub dump (a dataset repository) through ``huggingface_hub`` and import it.

=============  ============================================  ==========================================
``dump``       default repository                            files
=============  ============================================  ==========================================
``hub-stats``  ``cfahlgren1/hub-stats``                      ``models.parquet`` (every commit a snapshot)
``weekly``     ``hfmlsoc/hub_weekly_snapshots``               ``models/<YYYY-MM-DD>/models.parquet``
``cards``      ``librarian-bots/model_cards_with_metadata``  ``data/train-*.parquet``
=============  ============================================  ==========================================

The repository is configurable (``repo=``): these repositories can disappear. ``revision=`` pins a
commit (or branch); ``date=`` picks, for ``hub-stats`` and ``cards``, the newest commit on or before
that day (``HfApi.list_repo_commits``) and, for ``weekly``, the snapshot folder of that week (the
newest one without it). The revision is resolved to a commit id first, and every file is downloaded
at that commit with :func:`huggingface_hub.hf_hub_download`: cached (a second fetch of the same commit
downloads nothing), resumable (a fetch killed half-way continues from the ``.incomplete`` file with a
``Range`` request), through hftree's polite, retrying transport. The commit, its date, the files and
their sizes go into ``manifest["fetch"]``; the snapshot is written atomically, so an interrupted fetch
leaves nothing that loads as a snapshot, and a re-run ends with the same snapshot.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import shutil
import time
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from hftree._version import __version__
from hftree.errors import HubError, ParameterError, SnapshotError, UsageError
from hftree.ingest.hub.transport import RetryPolicy, hf_errors, hf_version, hub_session
from hftree.ingest.snapshot import Snapshot, import_sources, load_snapshot

__all__ = ["DUMPS", "DumpName", "fetch_dump"]

#: The dumps ``fetch_dump`` knows: name -> (default repository, file pattern).
DumpName = Literal["hub-stats", "weekly", "cards"]
DUMPS: dict[str, tuple[str, str]] = {
    "hub-stats": ("cfahlgren1/hub-stats", "models.parquet"),
    "weekly": ("hfmlsoc/hub_weekly_snapshots", "models/*/models.parquet"),
    "cards": ("librarian-bots/model_cards_with_metadata", "data/train-*.parquet"),
}


def _day(date: str | dt.date | None) -> dt.date | None:
    if date is None or isinstance(date, dt.date):
        return date  # type: ignore[return-value]
    try:
        return dt.date.fromisoformat(str(date))
    except ValueError:
        raise ParameterError("date", "a day as YYYY-MM-DD", date) from None


def fetch_dump(
    output: str | os.PathLike[str],
    *,
    dump: str,
    revision: str | None = None,
    date: str | dt.date | None = None,
    repo: str | None = None,
    endpoint: str | None = None,
    token: str | bool | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    retry: RetryPolicy | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> Snapshot:
    """Download a whole-Hub dump (or take a local file) and import it into a snapshot directory.

    Parameters
    ----------
    output : path
        The snapshot directory to write (atomically).
    dump : {"hub-stats", "weekly", "cards"} or path
        Which dump (see :data:`DUMPS`); an existing local file or folder of Parquet files is imported
        the same way, with its path recorded instead of a commit.
    revision : str, optional
        A commit id, branch or tag of the dataset repository (default ``main``).
    date : str or date, optional
        ``YYYY-MM-DD``: the newest commit on or before that day (``weekly``: that week's folder).
    repo : str, optional
        The dataset repository (``owner/name``), when not the default of ``dump``.
    endpoint, token, cache_dir, retry
        As :func:`hftree.ingest.hub.fetch`: the Hub, the access token (default ``HF_TOKEN`` or the
        login), the ``huggingface_hub`` cache, timeouts and retries.
    overwrite : bool
        Replace an existing ``output``.
    progress : bool, optional
        Progress bars on stderr (``huggingface_hub``'s download bar, the import's); default: when
        stderr is a terminal.

    Returns
    -------
    Snapshot
        The saved snapshot; ``manifest["fetch"]`` holds the dump, repository, commit, its date and
        the files.

    Raises
    ------
    ParameterError
        An unknown dump name, or a ``date`` that is not ``YYYY-MM-DD``.
    UsageError
        ``revision`` and ``date`` together.
    HubError
        The repository, revision or files cannot be reached (a re-run resumes the download).
    SnapshotError
        ``output`` exists and ``overwrite`` is false.
    """
    day = _day(date)
    if revision is not None and day is not None:
        raise UsageError("give --revision or --date, not both")
    output = Path(output)
    if output.exists() and not overwrite:
        raise SnapshotError(f"{output} already exists; pass overwrite=True (CLI: --force) to replace it")
    for stale in output.parent.glob(f".{output.name}.tmp-*"):  # a save interrupted by a kill
        shutil.rmtree(stale, ignore_errors=True)
    started = dt.datetime.now(dt.UTC)
    local = Path(dump)
    if dump not in DUMPS:
        if not local.exists():
            raise ParameterError("dump", f"one of {', '.join(DUMPS)} or an existing file", dump)
        files = sorted(local.rglob("*.parquet")) if local.is_dir() else [local]
        snap = import_sources(files, progress=progress)
        info: dict[str, Any] = {"dump": "local", "path": str(local), "files": [str(f) for f in files]}
    else:
        files, info = _download(dump, repo or DUMPS[dump][0], revision, day, endpoint, token, cache_dir,
                                retry or RetryPolicy(), progress)
        snap = import_sources(files, snapshot_time=info["snapshot_time"], progress=progress)
    snap.manifest["fetch"] = {**info, "hftree_version": __version__, "huggingface_hub_version": hf_version(),
                              "started_at": started.isoformat(timespec="seconds"),
                              "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    snap.save(output, overwrite=overwrite)
    return load_snapshot(output)


def _download(dump: str, repo: str, revision: str | None, day: dt.date | None, endpoint: str | None,
              token: str | bool | None, cache_dir: str | os.PathLike[str] | None, retry: RetryPolicy,
              progress: bool | None) -> tuple[list[Path], dict[str, Any]]:
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    from hftree._progress import show_progress

    token = get_token() if token is None else token
    api = HfApi(endpoint=endpoint, token=token, library_name="hftree", library_version=__version__)
    pattern = DUMPS[dump][1]
    with hub_session(retry, api.endpoint, resume_hint="try again later"), hf_errors(token):
        if show_progress(progress):
            enable_progress_bars()  # one bar per dump file: a few, and they are large
        else:
            disable_progress_bars()
        if day is not None and dump != "weekly":
            commits = api.list_repo_commits(repo, repo_type="dataset")
            chosen = [c for c in commits if c.created_at.date() <= day]
            if not chosen:
                raise HubError(f"{repo} has no commit on or before {day} (its first is "
                               f"{min(c.created_at for c in commits).date() if commits else 'none'})")
            revision = max(chosen, key=lambda c: c.created_at).commit_id
        info = api.dataset_info(repo, revision=revision or "main")
        sha = str(info.sha)
        names = [f for f in api.list_repo_files(repo, repo_type="dataset", revision=sha)
                 if fnmatch.fnmatch(f, pattern)]
        snapshot_time = pd.Timestamp(info.last_modified) if info.last_modified else pd.Timestamp.now(tz="UTC")
        if dump == "weekly":
            dates = sorted(f.split("/")[1] for f in names)
            if not dates:
                raise HubError(f"{repo} at {sha[:12]} has no models/<date>/models.parquet")
            want = dates[-1] if day is None else day.isoformat()
            if want not in dates:
                target = dt.date.fromisoformat(want)
                near = sorted(dates, key=lambda d: abs(dt.date.fromisoformat(d) - target))[:3]
                raise HubError(f"{repo} has no weekly snapshot for {want}; the nearest are {', '.join(near)}")
            names = [f"models/{want}/models.parquet"]
            snapshot_time = pd.Timestamp(want, tz="UTC")  # the start of the week, not the observation
        if not names:
            raise HubError(f"{repo} at {sha[:12]} has no file matching {pattern}")
        paths = [_get(repo, name, sha, endpoint, token, cache_dir, retry) for name in sorted(names)]
    files = [{"path": n, "bytes": p.stat().st_size} for n, p in zip(sorted(names), paths, strict=True)]
    return paths, {"dump": dump, "repo": repo, "revision": revision or "main", "commit": sha,
                   "commit_date": None if info.last_modified is None else info.last_modified.isoformat(),
                   "snapshot_time": snapshot_time, "files": files, "authenticated": bool(token)}


def _get(repo: str, name: str, sha: str, endpoint: str | None, token: str | bool | None,
         cache_dir: str | os.PathLike[str] | None, retry: RetryPolicy) -> Path:
    """One file at one commit: from ``huggingface_hub``'s cache if it is there, else downloaded by
    ``huggingface_hub``'s ``http_get`` into ``<cache>/hftree-dumps/<repo>/<commit>/``, appending to the
    partial file an earlier (killed) run left, with a ``Range`` request; a finished file is renamed
    into place and reused by later fetches of that commit."""
    import huggingface_hub
    from huggingface_hub import get_hf_file_metadata, hf_hub_url, try_to_load_from_cache
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    cached = try_to_load_from_cache(repo, name, cache_dir=None if cache_dir is None else Path(cache_dir),
                                    revision=sha, repo_type="dataset")
    if isinstance(cached, str):
        return Path(cached)
    root = Path(cache_dir) if cache_dir is not None else Path(huggingface_hub.constants.HF_HUB_CACHE)
    dest = root / "hftree-dumps" / repo.replace("/", "--") / sha / name
    if dest.exists():
        return dest
    url = hf_hub_url(repo, name, repo_type="dataset", revision=sha, endpoint=endpoint)
    meta = get_hf_file_metadata(url, token=token, endpoint=endpoint)
    etag = "".join(ch for ch in (meta.etag or "") if ch.isalnum())[:40] or "noetag"
    part = dest.with_name(f"{dest.name}.{etag}.part")  # a new version of the file starts afresh
    part.parent.mkdir(parents=True, exist_ok=True)
    headers = build_hf_headers(token=token, library_name="hftree", library_version=__version__)
    for attempt in range(retry.max_retries + 1):
        try:
            with open(part, "r+b" if part.exists() else "wb") as fh:
                fh.seek(0, os.SEEK_END)
                have = fh.tell()
                if meta.size is None or have < meta.size:
                    http_get(meta.location, fh, resume_size=have, headers=headers, expected_size=meta.size,
                             displayed_filename=name)
            if meta.size is not None and part.stat().st_size != meta.size:
                raise OSError(f"{part.stat().st_size} of {meta.size} bytes")
            os.replace(part, dest)
            return dest
        except (ConnectionError, TimeoutError, OSError) as exc:  # dropped mid-body: resume from the part
            if isinstance(exc, HubError) or attempt == retry.max_retries:
                raise HubError(f"downloading {name} from {repo} failed ({exc}); run the same fetch again "
                               "to resume the download") from None
            time.sleep(min(retry.max_backoff, retry.backoff * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


DUMP_NAMES: tuple[str, ...] = get_args(DumpName)
