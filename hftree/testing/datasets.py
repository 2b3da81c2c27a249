"""Dataset repositories on the stand-in Hub: the whole-Hub dumps, commit by commit.

A :class:`DatasetRepo` is a list of commits (oldest first), each a full set of files. The routes are
those ``huggingface_hub`` uses for a dataset repository:

``GET /api/datasets/{repo}[/revision/{rev}]``
    ``HfApi.dataset_info``: ``sha``, ``lastModified``, ``siblings``.
``GET /api/datasets/{repo}/commits/{rev}``
    ``HfApi.list_repo_commits``: newest first, from ``rev`` back.
``GET /api/datasets/{repo}/tree/{rev}[/{path}]``
    ``HfApi.list_repo_tree`` / ``list_repo_files``: files (and, unless ``recursive``, folders).
``HEAD|GET /datasets/{repo}/resolve/{rev}/{path}``
    ``hf_hub_download``: ``X-Repo-Commit``, ``ETag``, ``Content-Length``, ``Accept-Ranges``; a
    ``Range: bytes=N-`` request answers ``206`` with the rest of the file (a download resumed after a
    crash or a dropped connection).

``rev`` is ``main`` (the newest commit) or a commit id. The fault plan of the listing tests applies:
``resolve`` faults hit file downloads (a ``reset`` cuts the body half-way), ``info`` faults the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from hftree.testing.handler import Handler

__all__ = ["DatasetRepo", "dataset_route"]


@dataclass
class DatasetRepo:
    """A dataset repository: commits, oldest first; each ``{"sha", "date", "title", "files"}``."""

    repo_id: str
    commits: list[dict[str, Any]] = field(default_factory=list)

    def commit(self, files: Mapping[str, bytes | str | Path], *, date: str | dt.datetime | None = None,
               title: str | None = None, replace: bool = False) -> str:
        """Add a commit changing ``files`` (``replace``: these files only); returns its id."""
        data = {p: (v.read_bytes() if isinstance(v, Path) else v.encode() if isinstance(v, str) else v)
                for p, v in files.items()}
        before = {} if replace or not self.commits else dict(self.commits[-1]["files"])
        before.update(data)
        when = date if isinstance(date, dt.datetime) else (
            dt.datetime.fromisoformat(date.replace("Z", "+00:00")) if date else dt.datetime.now(dt.UTC))
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        sha = hashlib.sha1(f"{self.repo_id}:{len(self.commits)}:{sorted(data)}".encode(),
                           usedforsecurity=False).hexdigest()
        self.commits.append({"sha": sha, "date": when, "title": title or f"Upload {', '.join(sorted(data))}",
                             "files": before})
        return sha

    def at(self, rev: str) -> int | None:
        """Index of the commit ``rev`` names (``main``: the newest), or ``None``."""
        if not self.commits:
            return None
        if rev == "main":
            return len(self.commits) - 1
        return next((i for i, c in enumerate(self.commits) if c["sha"] == rev), None)


def _etag(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def dataset_route(h: Handler, path: str, head: bool) -> None:
    """Answer a dataset request (``/api/datasets/...`` or ``/datasets/.../resolve/...``)."""
    hub = h.hub
    if path.startswith("/api/datasets/"):
        rest = path[len("/api/datasets/"):]
        for marker in ("/revision/", "/commits/", "/tree/"):
            if marker in rest:
                repo, _, tail = rest.partition(marker)
                rev, _, sub = tail.partition("/")
                break
        else:
            repo, marker, rev, sub = rest.rstrip("/"), "", "main", ""
    else:
        repo, _, tail = path[len("/datasets/"):].partition("/resolve/")
        rev, _, sub = tail.partition("/")
        marker = "resolve"
    with hub._lock:
        ds = hub._datasets.get(repo)
        i = ds.at(rev) if ds is not None else None
        commit = None if i is None or ds is None else ds.commits[i]
        history = [] if i is None or ds is None else ds.commits[: i + 1]
    if ds is None:
        h._error(401, "Repository not found", "RepoNotFound", head=head)
        return
    if commit is None:
        h._error(404, f"Invalid rev id: {rev}", "RevisionNotFound", head=head)
        return
    files: dict[str, bytes] = commit["files"]
    if marker == "resolve":
        _file(h, files, sub, commit["sha"], head)
    elif marker == "/commits/":
        body = [{"id": c["sha"], "title": c["title"], "message": "", "authors": [{"user": "bot"}],
                 "date": c["date"].isoformat().replace("+00:00", "Z")} for c in reversed(history)]
        h._send(200, orjson.dumps(body), head=head)
    elif marker == "/tree/":
        prefix = sub.strip("/")
        recursive = "recursive=true" in (h.path.partition("?")[2].lower())
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for p in sorted(files):
            if prefix and not p.startswith(prefix + "/"):
                continue
            rel = p[len(prefix) + 1:] if prefix else p
            if not recursive and "/" in rel:
                folders.add((prefix + "/" if prefix else "") + rel.split("/", 1)[0])
                continue
            entries.append({"type": "file", "oid": _etag(files[p]), "size": len(files[p]), "path": p})
        entries += [{"type": "directory", "oid": _etag(f.encode()), "size": 0, "path": f} for f in sorted(folders)]
        if prefix and not entries:
            h._error(404, f"{prefix} does not exist", "EntryNotFound", head=head)
            return
        h._send(200, orjson.dumps(entries), head=head)
    else:
        info = {"_id": _etag(repo.encode())[:24], "id": repo, "author": repo.split("/")[0], "sha": commit["sha"],
                "lastModified": commit["date"].isoformat().replace("+00:00", "Z"), "private": False,
                "disabled": False, "gated": False, "tags": [], "downloads": 0, "likes": 0,
                "siblings": [{"rfilename": p} for p in sorted(files)]}
        h._send(200, orjson.dumps(info), head=head)


def _file(h: Handler, files: dict[str, bytes], name: str, sha: str, head: bool) -> None:
    data = files.get(name)
    if data is None:
        h._error(404, "Entry not found", "EntryNotFound", head=head)
        return
    headers = {"X-Repo-Commit": sha, "ETag": f'"{_etag(data)}"', "Accept-Ranges": "bytes"}
    rng = h.headers.get("Range")
    if rng and rng.startswith("bytes=") and not head:
        start_s, _, end_s = rng[len("bytes="):].partition("-")
        start = int(start_s or 0)
        end = int(end_s) if end_s else len(data) - 1
        if start >= len(data):
            h._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            return
        with h.hub._lock:
            h.hub.stats.by_kind["range"] += 1
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        _body(h, 206, data[start: end + 1], headers)
        return
    if head:
        h._send(200, data, headers, content_type="application/octet-stream", head=True)
        return
    _body(h, 200, data, headers)


_CHUNK = 16 << 10


def _body(h: Handler, status: int, data: bytes, headers: dict[str, str]) -> None:
    """Send a file in chunks, ``FaultPlan.delay`` apart (a slow download that can be killed half-way);
    a ``reset`` fault drops the connection after half of it."""
    import time

    from hftree.testing.faults import MAX_DELAY

    h._send(status, data, headers, content_type="application/octet-stream", head=True)  # headers only
    cut = len(data) // 2 if getattr(h, "_fault", None) == "reset" and len(data) > 1 else len(data)
    delay = min(h.hub.faults.delay, MAX_DELAY)
    for i in range(0, cut, _CHUNK):
        h.wfile.write(data[i: min(i + _CHUNK, cut)])
        h.wfile.flush()
        if delay:
            time.sleep(delay)
    if cut < len(data):
        h._abort()
