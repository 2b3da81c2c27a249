"""Write a hub-stats-shaped ``models.parquet`` of N synthetic models (seeded), for the dump benchmark.

    python benchmarks/make_hub_dump.py N OUT.parquet [--seed 0] [--row-group 262144]

The columns and their types are those of ``cfahlgren1/hub-stats`` (see ``docs/dumps.md``): ``_id``,
``id``, ``author``, ``createdAt``/``lastModified`` (timestamps; 3 % carry the Hub's placeholder
``2022-03-02T23:29:04Z``), ``downloads`` (30-day window), ``downloadsAllTime`` (null for a third),
``likes``, ``trendingScore``, ``tags`` (library, task, licence, languages, datasets, arXiv, region and the
``base_model:`` lineage tags), ``pipeline_tag``, ``library_name``, ``cardData`` (a JSON *string*: licence,
languages, datasets, ``base_model``, tags and, for most Trainer-style cards, a ``model-index`` block with
evaluation results), ``baseModels`` (``struct<relation, models: list<struct<_id, id>>>``, the Hub's own
lineage, for 28 % of models: adapter 42.6 %, finetune 35.9 %, quantized 19.2 %, merge 2.3 %),
``safetensors`` (``struct<parameters: struct<BF16, F16, F32, I8>, total>``) and ``gguf``
(``struct<total, architecture, context_length, chat_template, bos_token, eos_token>``, 6 %).

Everything is generated with NumPy and Arrow compute, one chunk (a row group) at a time, so 3 M models
take about a minute; the file is never part of the repository (write it under /tmp).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PLACEHOLDER_MS = 1646263744000  # 2022-03-02T23:29:04Z
_RELS = np.array(["adapter", "finetune", "quantized", "merge"], dtype=object)
_REL_P = np.array([0.426, 0.359, 0.192, 0.023])
_LIBS = ["transformers", "peft", "gguf", "diffusers", "sentence-transformers", "timm", "mlx", "onnx", None]
_TASKS = ["text-generation", "text-classification", "token-classification", "image-classification",
          "automatic-speech-recognition", "text-to-image", "feature-extraction", "translation", None]
_LICENSES = ["apache-2.0", "mit", "other", "llama3.1", "cc-by-nc-4.0", "openrail", "gemma", "llama2"]
_LANGS = ["en", "fr", "de", "es", "zh", "ja", "ru", "ar", "ko", "it", "pt", "hi", "vi", "tr", "pl"]
_DATASETS = [f"org{i}/dataset-{i}" for i in range(400)]
_METRICS = ["accuracy", "f1", "precision", "recall", "loss", "wer", "bleu", "rouge1", "exact_match", "acc_norm"]
_WORDS = ["the", "model", "fine", "tuned", "version", "trained", "on", "data", "with", "learning", "rate", "batch",
          "size", "epochs", "evaluation", "results", "language", "generation", "instruction", "chat", "assistant",
          "quantized", "weights", "adapter", "merge", "base", "dataset", "split", "test", "validation", "train",
          "gradient", "optimizer", "adam", "scheduler", "linear", "warmup", "steps", "tokenizer", "vocabulary",
          "context", "length", "precision", "bfloat16", "float16", "int8", "int4", "lora", "rank", "alpha"]
# a larger vocabulary of made-up words (syllable pairs) for free text: widget prompts, dataset arguments
_SYL = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "an", "el", "is", "or", "ub", "ya", "qu", "fe", "do",
        "gi", "ha", "ju", "pe", "xo", "wa", "bi", "ce", "nu", "po", "ri", "so", "te", "vi"]
_WORDS += [a + b + c for a in _SYL for b in _SYL for c in ("", "n", "s")][:3000]
_TEMPLATES = [
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + "
    "message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + "
    "'<|eot_id|>' %}{{ content }}{% endfor %}",
]


def _s(values) -> pa.Array:
    return pa.array(values, pa.string())


def _c(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.string())


def _join(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays / scalars (nulls propagate)."""
    return pc.binary_join_element_wise(*parts, "")


def _pick(rng: np.random.Generator, vocab: list, n: int, p=None) -> pa.Array:
    v = pa.array(vocab, pa.string())
    return v.take(pa.array(rng.choice(len(vocab), size=n, p=p)))


def _lists(rng, n: int, lo: int, hi: int, make) -> pa.ListArray:
    """A list column of ``n`` rows with ``lo..hi`` items each; ``make(k)`` gives the ``k`` flat items."""
    counts = rng.integers(lo, hi + 1, size=n)
    offs = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offs[1:])
    return pa.ListArray.from_arrays(pa.array(offs), make(int(offs[-1])))


def _json_list(lists: pa.ListArray) -> pa.Array:
    """``["a","b"]`` text of each list of (JSON-safe) strings."""
    quoted = _join(_c('"'), lists.flatten(), _c('"')) if len(lists.flatten()) else lists.flatten()
    inner = pa.ListArray.from_arrays(lists.offsets, quoted)
    return _join(_c("["), pc.binary_join(inner, ","), _c("]"))


def _hex(rng, n: int, width: int) -> pa.Array:
    raw = rng.integers(0, 16, size=(n, width), dtype=np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[raw]
    return pa.array(chars.view(f"S{width}").ravel().astype(f"U{width}"), pa.string())


def _words(rng, n: int, lo: int, hi: int) -> pa.Array:
    return pc.binary_join(_lists(rng, n, lo, hi, lambda k: _pick(rng, _WORDS, k)), " ")


def _model_index(rng, ids: pa.Array) -> pa.Array:
    """A ``model-index`` JSON block per row: 1-3 results of 1-5 metrics each."""
    n = len(ids)
    res_counts = rng.integers(1, 7, size=n)
    n_res = int(res_counts.sum())
    met = _lists(rng, n_res, 1, 6, lambda k: _join(
        _c('{"type":"'), _pick(rng, _METRICS, k), _c('","value":'),
        pc.cast(pa.array(np.round(rng.random(k), 6)), pa.string()),
        _c(',"name":"'), _pick(rng, _METRICS, k), _c('","verified":false}')))
    results = _join(
        _c('{"task":{"type":"'), _pick(rng, _TASKS[:-1], n_res), _c('"},"dataset":{"name":"'),
        _pick(rng, _DATASETS, n_res), _c('","type":"'), _pick(rng, _DATASETS, n_res),
        _c('","split":"test","args":"'), _words(rng, n_res, 1, 6), _c('"},"metrics":['),
        pc.binary_join(met, ","), _c("]}"))
    offs = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(res_counts, out=offs[1:])
    per_row = pc.binary_join(pa.ListArray.from_arrays(pa.array(offs), results), ",")
    return _join(_c('[{"name":"'), ids, _c('","results":['), per_row, _c("]}]"))


def chunk(rng: np.random.Generator, start: int, n: int, pool: list[tuple[pa.Array, pa.Array]]) -> pa.Table:
    """Rows ``start .. start + n`` of the dump; ``pool`` holds (id, _id) of earlier chunks (parents)."""
    authors = pc.binary_join_element_wise(_c("user"), pc.cast(pa.array(
        (rng.pareto(1.2, n) * 50).astype(np.int64) % 300_000), pa.string()), "")
    names = _join(_pick(rng, ["llama", "qwen", "gemma", "mistral", "bert", "sd", "whisper", "phi"], n),
                  _c("-"), _hex(rng, n, 8), _c("-"), pc.cast(pa.array(np.arange(start, start + n)), pa.string()))
    ids = _join(authors, _c("/"), names)
    oid = _hex(rng, n, 24)
    pool.append((ids, oid))
    # parents: earlier models (this chunk's first half or an earlier chunk), a few external ones
    has_parent = rng.random(n) < 0.28
    rel = _RELS[rng.choice(4, size=n, p=_REL_P)]
    n_par = np.where(has_parent, np.where(rel == "merge", rng.integers(2, 4, size=n), 1), 0)
    total = int(n_par.sum())
    src_chunk = rng.integers(0, len(pool), size=total)
    par_id = np.empty(total, dtype=object)
    par_oid = np.empty(total, dtype=object)
    for c in np.unique(src_chunk):
        sel = np.flatnonzero(src_chunk == c)
        cid, coid = pool[c]
        lim = len(cid) // 2 if c == len(pool) - 1 else len(cid)
        pick = pa.array(rng.integers(0, max(lim, 1), size=len(sel)))
        par_id[sel] = np.asarray(cid.take(pick).to_pylist(), dtype=object)
        par_oid[sel] = np.asarray(coid.take(pick).to_pylist(), dtype=object)
    ext = rng.random(total) < 0.03
    par_id[ext] = [f"external/base-{i}" for i in rng.integers(0, 5000, size=int(ext.sum()))]
    par_offs = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(n_par, out=par_offs[1:])
    par_ids = pa.array(par_id, pa.string())
    models_struct = pa.StructArray.from_arrays([pa.array(par_oid, pa.string()), par_ids], names=["_id", "id"])
    bm_models = pa.ListArray.from_arrays(pa.array(par_offs), models_struct)
    base_models = pa.StructArray.from_arrays(
        [pa.array(np.where(has_parent, rel, None), pa.string()), bm_models], names=["relation", "models"],
        mask=pa.array(~has_parent))
    # tags: generic ones, lineage tags (the Hub's; 4 % stale: another relation than baseModels says)
    lib = _pick(rng, _LIBS, n)
    task = _pick(rng, _TASKS, n)
    lic = _pick(rng, _LICENSES, n)
    child_rows = np.repeat(np.arange(n), n_par)
    tag_rel = rel[child_rows].copy()
    stale = rng.random(total) < 0.04
    tag_rel[stale] = _RELS[rng.integers(0, 3, size=int(stale.sum()))]
    lineage = _join(_c("base_model:"), pa.array(tag_rel.astype(str), pa.string()), _c(":"), par_ids)
    untyped = _join(_c("base_model:"), par_ids)
    k_generic = rng.integers(2, 9, size=n)
    generic_pool = ["endpoints_compatible", "autotrain_compatible", "text-generation-inference", "safetensors",
                    "pytorch", "region:us", "conversational", "custom_code", "4-bit", "gguf", "arxiv:2106.09685",
                    "arxiv:2305.14314", *(_LANGS[:8]), *(f"dataset:{d}" for d in _DATASETS[:40])]
    generic = _pick(rng, generic_pool, int(k_generic.sum()))
    per_row: list[pa.Array] = []
    # row-major assembly: [library, task, license, generic..., lineage untyped + typed]
    lib_f = pc.fill_null(lib, "transformers")
    task_f = pc.fill_null(task, "other")
    lic_tag = _join(_c("license:"), lic)
    counts = 3 + k_generic + 2 * n_par
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offs[1:])
    pos = np.empty(int(offs[-1]), dtype=np.int64)
    base = offs[:-1]
    idx_fixed = np.arange(n)
    values = pa.concat_arrays([lib_f, task_f, lic_tag, generic, untyped, lineage])
    src = np.concatenate([idx_fixed, n + idx_fixed, 2 * n + idx_fixed])
    dst = np.concatenate([base, base + 1, base + 2])
    g_rows = np.repeat(np.arange(n), k_generic)
    g_rank = np.arange(len(g_rows)) - np.repeat(np.cumsum(k_generic) - k_generic, k_generic)
    l_rank = np.arange(total) - np.repeat(par_offs[:-1], n_par)
    pos_generic = base[g_rows] + 3 + g_rank
    pos_untyped = base[child_rows] + 3 + k_generic[child_rows] + 2 * l_rank
    pos[dst] = src
    pos[pos_generic] = 3 * n + np.arange(len(g_rows))
    pos[pos_untyped] = 3 * n + len(g_rows) + np.arange(total)
    pos[pos_untyped + 1] = 3 * n + len(g_rows) + total + np.arange(total)
    tags = pa.ListArray.from_arrays(pa.array(offs.astype(np.int32)), values.take(pa.array(pos)))
    del per_row
    # cardData: 70 % of models; base_model as in baseModels (1 % of cards name nothing)
    has_card = rng.random(n) < 0.7
    langs = _json_list(_lists(rng, n, 0, 3, lambda k: _pick(rng, _LANGS, k)))
    dsets = _json_list(_lists(rng, n, 0, 2, lambda k: _pick(rng, _DATASETS, k)))
    ctags = _json_list(_lists(rng, n, 0, 4, lambda k: _pick(rng, _WORDS, k)))
    bm_text = _json_list(pa.ListArray.from_arrays(pa.array(par_offs), par_ids))
    bm_field = pc.if_else(pa.array(has_parent & (rng.random(n) < 0.99)),
                          _join(_c(',"base_model":'), bm_text), _c(""))
    with_index = rng.random(n) < 0.6
    index = pc.if_else(pa.array(with_index), _join(_c(',"model-index":'), _model_index(rng, ids)), _c(""))
    widget = pc.if_else(pa.array(rng.random(n) < 0.35),
                        _join(_c(',"widget":[{"text":"'), _words(rng, n, 5, 40), _c('"}]')), _c(""))
    card = _join(_c('{"license":"'), lic, _c('","language":'), langs, _c(',"datasets":'), dsets,
                 _c(',"tags":'), ctags, bm_field, _c(',"library_name":"'), lib_f,
                 _c('","pipeline_tag":"'), task_f, _c('"'), index, widget, _c("}"))
    card = pc.if_else(pa.array(has_card), card, pa.scalar(None, pa.string()))
    # timestamps: 3 % placeholders (repos older than the Hub's creation dates)
    created = rng.integers(1_600_000_000_000, 1_780_000_000_000, size=n)
    created[rng.random(n) < 0.03] = PLACEHOLDER_MS
    modified = np.minimum(created + rng.integers(0, 200 * 86_400_000, size=n), 1_785_000_000_000)
    ts = pa.timestamp("ms", tz="UTC")
    downloads = (rng.pareto(1.1, n) * 3).astype(np.int64)
    all_time = np.where(rng.random(n) < 0.66, downloads * rng.integers(1, 30, size=n), -1)
    # structs
    has_st = rng.random(n) < 0.45
    total_p = (rng.pareto(0.8, n) * 1e8).astype(np.int64) % (10**12)
    zero = pa.nulls(n, pa.int64())
    params = pa.StructArray.from_arrays(
        [pa.array(np.where(rng.random(n) < 0.7, total_p, 0)), pa.array(np.where(rng.random(n) < 0.3, total_p, 0)),
         zero, pa.array(np.where(rng.random(n) < 0.1, total_p // 100, 0))], names=["BF16", "F16", "F32", "I8"])
    safet = pa.StructArray.from_arrays([params, pa.array(total_p)], names=["parameters", "total"],
                                       mask=pa.array(~has_st))
    has_gguf = rng.random(n) < 0.06
    gguf = pa.StructArray.from_arrays(
        [pa.array(total_p), _pick(rng, ["llama", "qwen2", "gemma2", "phi3"], n),
         pa.array(rng.choice([2048, 4096, 8192, 32768, 131072], size=n)), _pick(rng, _TEMPLATES, n),
         _s(["<s>"] * n), _s(["</s>"] * n)],
        names=["total", "architecture", "context_length", "chat_template", "bos_token", "eos_token"],
        mask=pa.array(~has_gguf))
    return pa.table({
        "_id": oid, "id": ids, "author": authors,
        "createdAt": pa.array(created, ts), "lastModified": pa.array(modified, ts),
        "downloads": pa.array(downloads), "downloadsAllTime": pa.array(all_time, mask=all_time < 0),
        "likes": pa.array((rng.pareto(1.5, n)).astype(np.int64)),
        "trendingScore": pa.array(np.round(rng.random(n) * 10, 3)),
        "tags": tags, "pipeline_tag": task, "library_name": lib, "cardData": card,
        "baseModels": base_models, "safetensors": safet, "gguf": gguf,
    })


def write_dump(n: int, out: str | Path, *, seed: int = 0, row_group: int = 262_144) -> Path:
    """Write ``n`` models to ``out`` (Parquet, snappy), one row group per generated chunk."""
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    pool: list[tuple[pa.Array, pa.Array]] = []
    writer = None
    try:
        for start in range(0, n, row_group):
            t = chunk(rng, start, min(row_group, n - start), pool)
            if writer is None:
                writer = pq.ParquetWriter(tmp, t.schema, compression="snappy")
            writer.write_table(t, row_group_size=row_group)
            if len(pool) > 8:
                pool.pop(0)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=int)
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--row-group", type=int, default=262_144)
    args = ap.parse_args()
    t = time.perf_counter()
    path = write_dump(args.models, args.output, seed=args.seed, row_group=args.row_group)
    print(f"wrote {path}: {args.models:,} models, {path.stat().st_size / 1e9:.2f} GB in "
          f"{time.perf_counter() - t:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
