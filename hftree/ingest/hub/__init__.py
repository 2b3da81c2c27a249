"""Fetch model metadata from the Hugging Face Hub into a snapshot: resumable and polite.

All Hub traffic goes through ``huggingface_hub``: :meth:`HfApi.list_models` for
listings and family crawls, :meth:`HfApi.model_info` for family roots,
:func:`hf_hub_download` for README files. hftree only configures the HTTP client
``huggingface_hub`` uses, with a polite, retrying transport
(:mod:`hftree.ingest.hub.transport`).

A fetch works in a *work directory* (default ``.<output>.fetch`` next to the
output): records go to part files written atomically, and ``state.json``
(written atomically after each part) holds the listing cursor -- the ``Link``
URL of the next page -- or the crawl frontier, and the cards already read. An
interrupted fetch (Ctrl-C, ``kill -9``, network loss) continues with
``resume=True`` and ends with the same snapshot as an uninterrupted run. The
snapshot is built by :func:`~hftree.ingest.import_sources` from the fetched
records -- the same normalisation as imported files -- and saved atomically;
the work directory is removed afterwards.

Tokens come from ``token=``, ``HF_TOKEN`` or the ``huggingface_hub`` login and
are only ever passed to ``huggingface_hub``: the manifest records
``authenticated: true``, never the token.

Whole-Hub dumps (dataset repositories of Parquet files) are fetched by
:func:`~hftree.ingest.hub.dump.fetch_dump` (``hftree fetch --dump``).

The steps of a fetch, one module each: :mod:`~hftree.ingest.hub.query` (options and
the query), :mod:`~hftree.ingest.hub.work` (the checkpoint),
:mod:`~hftree.ingest.hub.crawl` (listing and family crawl),
:mod:`~hftree.ingest.hub.cards` (READMEs), :mod:`~hftree.ingest.hub.build` (the
snapshot) and :mod:`~hftree.ingest.hub.run` (all of them in order).
"""

from __future__ import annotations

from hftree.errors import FetchArgumentError, HubError
from hftree.ingest.hub.dump import DUMPS, DumpName, fetch_dump
from hftree.ingest.hub.modelinfo import model_record
from hftree.ingest.hub.query import FETCH_EXPAND, SORT_KEYS, TAG_RELATIONS, FetchOptions, SortKey
from hftree.ingest.hub.run import fetch, fetch_with
from hftree.ingest.hub.transport import RetryPolicy

__all__ = [
    "DUMPS",
    "FETCH_EXPAND",
    "SORT_KEYS",
    "TAG_RELATIONS",
    "DumpName",
    "FetchArgumentError",
    "FetchOptions",
    "HubError",
    "RetryPolicy",
    "SortKey",
    "fetch",
    "fetch_dump",
    "fetch_with",
    "model_record",
]
