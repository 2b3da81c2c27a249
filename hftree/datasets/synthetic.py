"""A seeded synthetic Hub, calibrated to published whole-Hub figures.

The generator produces records in the shape of the Hub's ``/api/models``
listing (camelCase fields, ``base_model:<relation>:<id>`` tags and
``cardData``), so everything downstream runs on it exactly as on real dumps.
It is **synthetic**: ids, authors and numbers are invented. Calibration targets
(from ``shared/data/README.md``):

* about 31 % of models declare a base model (573,653 lineage edges for
  1,860,411 models, July 2025);
* relation mix of derived models: adapter 43 %, finetune 34 %, quantized 18.5 %,
  merge 2.5 % (2-3 parents each), untyped 2 %;
* licences by model count: none 64 %, apache-2.0 16 %, mit 6 %, other 4.4 %,
  the rest spread over community and copyleft licences;
* heavy-tailed family sizes through preferential attachment: a model is picked
  as a parent in proportion to (its number of children + its attractiveness).

Everything random flows from one ``random_state``: the same seed gives the same
Hub, record for record.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hftree._atomic import atomic_path
from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.errors import ParameterError

__all__ = ["synthetic_cards", "synthetic_hub", "write_synthetic_hub"]

_LICENSES = np.array(
    [
        None, "apache-2.0", "mit", "other", "cc-by-4.0", "openrail", "llama2", "llama3",
        "llama3.1", "gemma", "cc-by-nc-4.0", "cc-by-sa-4.0", "gpl-3.0", "creativeml-openrail-m",
        "bsd-3-clause", "afl-3.0", "cc-by-nc-sa-4.0", "agpl-3.0",
    ],
    dtype=object,
)
_LICENSE_P = np.array(
    [0.64, 0.16, 0.06, 0.044, 0.017, 0.016, 0.012, 0.01, 0.006, 0.006, 0.006, 0.003,
     0.003, 0.003, 0.0015, 0.0015, 0.0007, 0.0003]
)
_TASKS = np.array(
    [
        None, "text-generation", "text-classification", "text-to-image",
        "automatic-speech-recognition", "token-classification", "image-classification",
        "feature-extraction", "sentence-similarity", "fill-mask", "text2text-generation",
        "reinforcement-learning", "question-answering", "translation", "summarization",
        "image-text-to-text", "text-to-speech",
    ],
    dtype=object,
)
_TASK_P = np.array(
    [0.30, 0.22, 0.09, 0.07, 0.05, 0.035, 0.035, 0.03, 0.025, 0.025, 0.025, 0.04, 0.015,
     0.01, 0.01, 0.01, 0.01]
)
_LIBRARY_OF_TASK = {
    "text-to-image": "diffusers",
    "reinforcement-learning": "stable-baselines3",
    "sentence-similarity": "sentence-transformers",
}
_ARCHS = ("llama", "mistral", "qwen2", "gemma", "bert", "roberta", "gpt2", "t5", "whisper", "vit")
_LANGS = ("en", "zh", "fr", "de", "es", "ja", "ru", "ko", "ar", "hi", "pt", "it", "vi", "tr")
_DATASETS = (
    "imdb", "glue", "squad", "wikitext", "HuggingFaceH4/ultrachat_200k", "tatsu-lab/alpaca",
    "Open-Orca/OpenOrca", "mozilla-foundation/common_voice_11_0", "cnn_dailymail", "conll2003",
)
_QUANTIZERS = ("TheBloke", "mradermacher", "bartowski", "QuantFactory", "unsloth", "lmstudio-community")
_SUFFIX = {
    "finetune": ("-finetuned", "-sft", "-instruct", "-dpo", "-chat", "-v2", "-ft"),
    "adapter": ("-lora", "-qlora", "-peft", "-adapter"),
    "quantized": ("-GGUF", "-AWQ", "-GPTQ", "-4bit", "-8bit", "-i1-GGUF"),
    "merge": ("-merge", "-slerp", "-ties", "-dare"),
    "unknown": ("-custom", "-exp"),
}
_REL_NAMES = np.array(["adapter", "finetune", "quantized", "merge", "unknown"], dtype=object)
_REL_P = np.array([0.43, 0.34, 0.185, 0.025, 0.02])
_MS_PER_DAY = 86_400_000


def synthetic_hub(
    n_models: int = 20_000,
    *,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
    start: str = "2021-01-01",
    end: str = "2025-07-01",
    derived_share: float = 0.29,
) -> Iterator[dict]:
    """Yield ``n_models`` Hub-shaped model records in creation order.

    Parameters
    ----------
    n_models : int
        Number of models.
    random_state : int, Generator or None
        Seed; the same seed yields the same records.
    start, end : str
        Creation dates are spread between these (ISO dates), growing exponentially.
    derived_share : float
        Share of models that declare at least one base model.

    Examples
    --------
    >>> recs = list(synthetic_hub(200, random_state=1))
    >>> len(recs), sorted(recs[0])[:4]
    (200, ['_id', 'author', 'cardData', 'createdAt'])
    >>> recs == list(synthetic_hub(200, random_state=1))
    True
    """
    if isinstance(n_models, bool) or not isinstance(n_models, int | np.integer) or n_models < 0:
        raise ParameterError("n_models", "a whole number >= 0", n_models)
    if not 0 <= derived_share <= 1:
        raise ParameterError("derived_share", "a share between 0 and 1", derived_share)
    rng = check_random_state(random_state)
    n = n_models
    t0 = np.datetime64(start, "ms").astype(np.int64)
    t1 = np.datetime64(end, "ms").astype(np.int64)
    # exponential growth of the Hub: inverse-CDF sampling of creation times, sorted
    rate = 3.0
    u = np.sort(rng.random(n))
    created = t0 + ((np.log1p(u * np.expm1(rate)) / rate) * (t1 - t0)).astype(np.int64)
    modified = created + (rng.exponential(20, n) * _MS_PER_DAY).astype(np.int64)
    modified = np.minimum(modified, t1)

    derived = rng.random(n) < derived_share
    derived[: min(n, 50)] = False  # the earliest models are roots
    rel_idx = rng.choice(len(_REL_NAMES), size=n, p=_REL_P)
    n_authors = max(10, n // 4)
    author_idx = np.minimum(rng.zipf(1.6, n), n_authors) - 1
    quantizer = rng.random(n) < 0.5
    q_idx = rng.integers(0, len(_QUANTIZERS), n)
    lic_idx = rng.choice(len(_LICENSES), size=n, p=_LICENSE_P / _LICENSE_P.sum())
    task_idx = rng.choice(len(_TASKS), size=n, p=_TASK_P / _TASK_P.sum())
    arch_idx = rng.integers(0, len(_ARCHS), n)
    # would-be foundation models: a few roots start with some attractiveness (capped Zipf)
    attract = np.where(rng.random(n) < 0.04, np.minimum(rng.zipf(2.2, n), 200), 0)
    r_pa = rng.random(n)
    r_keep_lic = rng.random(n)
    r_lang = rng.random(n)
    r_card = rng.random(n)
    r_safet = rng.random(n)
    r_tag = rng.random(n)
    r_ds = rng.random(n)
    n_par = rng.integers(2, 4, n)
    sfx = rng.integers(0, 7, n)
    log_dl = rng.normal(0.0, 2.6, n)
    zero_dl = rng.random(n) < 0.55
    params = np.exp(rng.normal(20.5, 2.0, n)).astype(np.int64)
    uni = rng.random((n, 4))

    urn: list[int] = []  # preferential attachment: model i appears (children + attractiveness) times
    license_of: list[str | None] = [None] * n
    task_of: list[str | None] = [None] * n
    arch_of = [""] * n
    langs_of: list[tuple[str, ...]] = [()] * n
    ids: list[str] = [""] * n
    weight_dl = np.zeros(n)
    seen: set[str] = set()

    for i in range(n):
        rel: str | None = str(_REL_NAMES[rel_idx[i]]) if derived[i] and urn else None
        parents: list[int] = []
        if rel is not None:
            k = int(n_par[i]) if rel == "merge" else 1
            for j in range(k):
                p = urn[int(uni[i, j] * len(urn))]
                if p not in parents:
                    parents.append(p)
            if rel == "merge" and len(parents) < 2:
                rel = "finetune"
        first = parents[0] if parents else -1
        # identity
        if rel == "quantized" and quantizer[i]:
            author = _QUANTIZERS[q_idx[i]]
        else:
            author = f"user{author_idx[i]}"
        if first >= 0 and rel is not None:
            stem = ids[first].split("/", 1)[1]
            name = stem[:60] + _SUFFIX[rel][sfx[i] % len(_SUFFIX[rel])]
        else:
            name = f"{_ARCHS[arch_idx[i]]}-model-{i}"
        mid = f"{author}/{name}"
        if mid in seen:
            mid = f"{author}/{name}-{i}"
        seen.add(mid)
        ids[i] = mid
        # inherited traits
        lic: str | None
        task: str | None
        if first >= 0:
            lic = license_of[first] if r_keep_lic[i] < 0.6 else _LICENSES[lic_idx[i] % 4]
            task = task_of[first]
            arch = arch_of[first]
            langs = langs_of[first][:1] if r_lang[i] < 0.3 else langs_of[first]
        else:
            lic = _LICENSES[lic_idx[i]]
            task = _TASKS[task_idx[i]]
            arch = _ARCHS[arch_idx[i]]
            if r_lang[i] < 0.25:
                langs = ("en",)
            elif r_lang[i] < 0.32:
                langs = tuple(_LANGS[: 2 + int(r_lang[i] * 100) % 10])
            else:
                langs = ()
        license_of[i], task_of[i], arch_of[i], langs_of[i] = lic, task, arch, langs
        # popularity: families of attractive roots are downloaded more
        w = weight_dl[first] * 0.5 if first >= 0 else float(attract[i])
        weight_dl[i] = w
        downloads = 0 if zero_dl[i] and w < 1 else int(min(np.exp(log_dl[i] + 1.5 * np.log1p(w)), 5e8))
        likes = int(np.sqrt(downloads) * uni[i, 3] * 0.1) if downloads else 0
        # urn bookkeeping: a chosen parent becomes more likely to be chosen again
        # (sub-linear preferential attachment keeps the largest family near the real Hub's share)
        if r_pa[i] < 0.35:
            urn.extend(parents)
        if rel in (None, "finetune", "merge", "unknown"):
            urn.extend([i] * int(attract[i] if rel is None else (1 if uni[i, 2] < 0.5 else 0)))

        library = _LIBRARY_OF_TASK.get(task, "transformers") if task else None
        if rel == "adapter":
            library = "peft"
        tags: list[str] = []
        if library:
            tags.append(library)
        tags.append("safetensors" if rel != "quantized" else "gguf")
        tags.append(arch)
        if task:
            tags.append(task)
        tags.extend(langs)
        if r_ds[i] < 0.2:
            tags.append("dataset:" + _DATASETS[int(r_ds[i] * 50) % len(_DATASETS)])
        if lic:
            tags.append(f"license:{lic}")
        for p in parents:
            tags.append(f"base_model:{ids[p]}")
            if rel != "unknown":
                tags.append(f"base_model:{rel}:{ids[p]}")
        if r_tag[i] < 0.3:
            tags.append("generated_from_trainer")
        tags.extend(("autotrain_compatible", "endpoints_compatible", "region:us"))

        rec: dict = {
            "_id": f"{i:024x}",
            "id": mid,
            "author": author,
            "createdAt": _iso(created[i]),
            "lastModified": _iso(modified[i]),
            "private": False,
            "downloads": downloads,
            "likes": likes,
            "library_name": library,
            "tags": tags,
            "pipeline_tag": task,
        }
        if r_card[i] < 0.7 or parents:
            card: dict = {}
            if lic:
                card["license"] = lic
                if lic == "other":
                    card["license_name"] = f"{arch}-community-license"
            if langs:
                card["language"] = list(langs) if len(langs) > 1 or r_lang[i] < 0.1 else langs[0]
            if parents:
                bm = [ids[p] for p in parents]
                card["base_model"] = bm[0] if len(bm) == 1 and r_card[i] < 0.8 else bm
            if rel == "merge":
                card["tags"] = ["mergekit", "merge"]
            rec["cardData"] = card
        if r_safet[i] < 0.3 and rel != "quantized":
            rec["safetensors"] = {"parameters": {"BF16": int(params[i])}, "total": int(params[i])}
        yield rec


def synthetic_cards(records: list[dict], *, random_state: RandomState = DEFAULT_RANDOM_STATE) -> Iterator[dict]:
    """Yield ``{"id", "card"}`` README texts for some of ``records``.

    Derived models more often get short auto-generated Trainer cards; roots get
    longer hand-written ones, so card-drift analyses have something to find.

    >>> recs = list(synthetic_hub(50, random_state=2))
    >>> cards = list(synthetic_cards(recs, random_state=2))
    >>> all(set(c) == {"id", "card"} for c in cards)
    True
    """
    rng = check_random_state(random_state)
    for rec in records:
        derived = "base_model" in rec.get("cardData", {})
        u = rng.random()
        if u < 0.2:
            continue  # no README
        name = rec["id"].split("/", 1)[1]
        if derived and u < 0.7:
            base = rec["cardData"]["base_model"]
            base = base[0] if isinstance(base, list) else base
            text = (
                "---\nlibrary_name: transformers\ntags:\n- generated_from_trainer\n---\n\n"
                "<!-- This model card has been generated automatically according to the information"
                " the Trainer had access to. You should probably proofread and complete it, then"
                " remove this comment. -->\n\n"
                f"# {name}\n\nThis model is a fine-tuned version of [{base}]"
                f"(https://huggingface.co/{base}) on an unknown dataset.\n\n"
                "## Training procedure\n\nMore information needed\n"
            )
        else:
            paragraphs = int(rng.integers(3, 12))
            body = "\n\n".join(
                f"## Section {k}\n\n" + " ".join(["This model was trained carefully."] * int(rng.integers(3, 30)))
                for k in range(paragraphs)
            )
            text = f"# {name}\n\n{body}\n"
        yield {"id": rec["id"], "card": text}


def write_synthetic_hub(
    path: str | os.PathLike[str],
    n_models: int,
    *,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
    compresslevel: int = 6,
) -> Path:
    """Write :func:`synthetic_hub` records to JSON Lines (gzipped when ``path`` ends in ``.gz``).

    The file is written through :func:`hftree._atomic.atomic_path` (a temporary name,
    renamed when complete).

    >>> import tempfile, pathlib
    >>> out = write_synthetic_hub(pathlib.Path(tempfile.mkdtemp()) / "hub.jsonl.gz", 5)
    >>> sum(1 for _ in gzip.open(out))
    5
    """
    import orjson

    path = Path(path)
    with atomic_path(path) as tmp:
        opener = (
            (lambda: gzip.open(tmp, "wb", compresslevel=compresslevel))  # noqa: SIM115 - opened by `with` below
            if path.suffix == ".gz"
            else (lambda: open(tmp, "wb"))  # noqa: SIM115
        )
        with opener() as fh:
            buf: list[bytes] = []
            for rec in synthetic_hub(n_models, random_state=random_state):
                buf.append(orjson.dumps(rec))
                if len(buf) >= 10_000:
                    fh.write(b"\n".join(buf) + b"\n")
                    buf.clear()
            if buf:
                fh.write(b"\n".join(buf) + b"\n")
    return path


def _iso(ms: np.int64) -> str:
    return str(np.datetime64(int(ms), "ms")) + "Z"
