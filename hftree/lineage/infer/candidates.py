"""Candidate parents of every model, from blocking on names, card mentions and metadata.

No pair of models is compared unless a block puts them together:

* **names** — a token n-gram of the child's stem is another model's key
  (:func:`hftree.lineage.infer.names.name_matches`);
* **datasets** — the same lookup on the names of the datasets the model was trained on
  (``…/Chinese-DeepSeek-R1-Distill-data`` names ``deepseek-ai/DeepSeek-R1``);
* **card** — an id the card body mentions (:func:`hftree.lineage.infer.text.card_mentions`);
  linked ids without a record in the snapshot become *external* candidates;
* **metadata** — the same architecture tag and exactly the same parameter count
  (the few most downloaded models of that block).

A candidate is never the model itself, and never a model created after it (when both
creation dates are known; the Hub's placeholder date is no date and was already removed at
import). Each (child, parent) candidate carries one row of :data:`FEATURES`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hftree._hashing import positions_in
from hftree.lineage.infer.names import (
    QUANTIZER_ACCOUNTS,
    KeyTable,
    NameMatches,
    key_table,
    name_keys,
    name_matches,
    relation_hints,
)
from hftree.lineage.infer.text import card_mentions, strip_front_matters

__all__ = ["ARCHITECTURES", "EVIDENCE", "FEATURES", "CandidateContext", "Candidates", "candidate_context",
           "candidates", "candidates_of"]

#: Model-type tags read as the architecture (the listing has no config field).
ARCHITECTURES = frozenset((
    "llama", "mistral", "mixtral", "gemma", "gemma2", "gemma3", "gemma3_text", "qwen2", "qwen2_moe", "qwen3",
    "qwen3_moe", "qwen2_vl", "qwen2_5_vl", "phi", "phi3", "phimoe", "gpt2", "gpt_neox", "gptj",
    "gpt_bigcode", "bert", "roberta", "deberta", "deberta-v2", "distilbert", "xlm-roberta", "electra",
    "albert", "t5", "mt5", "bart", "mbart", "marian", "pegasus", "whisper", "wav2vec2", "hubert", "vit",
    "deit", "swin", "convnext", "clip", "siglip", "stablelm", "falcon", "bloom", "opt", "mpt", "deepseek_v2",
    "deepseek_v3", "cohere", "cohere2", "olmo", "olmo2", "starcoder2", "mamba", "jamba", "internlm2",
    "baichuan", "chatglm", "exaone", "granite", "nemotron", "llava", "llava_next", "idefics3", "mllama",
    "paligemma", "florence2", "smolvlm", "modernbert", "xglm", "persimmon", "recurrent_gemma", "dbrx",
    "arctic", "minicpm",
))
_QUANT_TAGS = frozenset(("gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized",
                         "mlx", "hqq", "aqlm", "compressed-tensors", "autoround"))
_ADAPTER_TAGS = frozenset(("peft", "lora", "adapter", "adapter-transformers", "qlora"))
_MERGE_TAGS = frozenset(("mergekit", "merge", "moe-merge"))

#: The evidence bits of a candidate, in the order of its ``evidence`` text.
EVIDENCE = ("trainer-line", "card-cue", "card-link", "card-mention", "name-exact", "name-stem",
            "dataset-name", "arch+params")
#: The feature columns scored by :class:`hftree.lineage.infer.scoring.InferenceModel`.
FEATURES = (
    "trainer", "link", "bare", "cue", "first", "rank", "count", "merge_list",
    "name_exact", "name_cover", "name_longest", "name_start0", "name_org", "dataset", "meta",
    "arch_match", "arch_mismatch", "params_match", "params_mismatch", "same_author", "external",
    "parent_pop", "key_shared", "parent_derived", "n_cand", "quantizer", "no_card_evidence",
)
_F = {f: i for i, f in enumerate(FEATURES)}
_REL_CODE = {"finetune": 0, "adapter": 1, "quantized": 2, "merge": 3}
_DATASET_START = 3


@dataclass(frozen=True)
class Candidates:
    """Candidate (child, parent) pairs of a model table.

    ``child`` is a model row; ``parent`` a model row or ``-1`` for an external id; ``parent_id``
    the parent's id; ``X`` the :data:`FEATURES`; ``relation`` the relation the evidence
    suggests (a code of :data:`hftree.schema.RELATIONS`); ``bits`` the :data:`EVIDENCE` found;
    ``span`` the card words around the mention (empty without one).
    """

    child: np.ndarray
    parent: np.ndarray
    parent_id: np.ndarray
    X: np.ndarray
    relation: np.ndarray
    bits: np.ndarray
    span: np.ndarray

    def __len__(self) -> int:
        return len(self.child)

    def take(self, idx: np.ndarray) -> Candidates:
        """The candidates at positions ``idx``."""
        return Candidates(self.child[idx], self.parent[idx], self.parent_id[idx], self.X[idx],
                          self.relation[idx], self.bits[idx], self.span[idx])

    @staticmethod
    def concat(parts: list[Candidates]) -> Candidates:
        """The candidates of ``parts`` one after the other (their children must differ)."""
        return Candidates(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                            ("child", "parent", "parent_id", "X", "relation", "bits", "span")))


def _tag_signals(models: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per model: the architecture code (-1 unknown) and derivation bits (2 adapter, 4 quantized, 8 merge)."""
    n = len(models)
    arch = np.full(n, -1, dtype=np.int64)
    bits = np.zeros(n, dtype=np.int64)
    if "tags" in models:
        arr = pa.array(models["tags"], type=pa.list_(pa.string()), from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        vocab = sorted(ARCHITECTURES | _QUANT_TAGS | _ADAPTER_TAGS | _MERGE_TAGS)
        names = sorted(ARCHITECTURES)
        arch_of = np.array([names.index(t) if t in ARCHITECTURES else -1 for t in vocab], dtype=np.int64)
        bit_of = np.array([0 if t in ARCHITECTURES else 2 if t in _ADAPTER_TAGS else 4 if t in _QUANT_TAGS else 8
                           for t in vocab], dtype=np.int64)
        word = pc.fill_null(pc.index_in(pc.list_flatten(arr), value_set=pa.array(vocab)), -1)
        word = word.to_numpy(zero_copy_only=False).astype(np.int64)
        rows = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False).astype(np.int64)
        is_arch = (word >= 0) & (arch_of[np.maximum(word, 0)] >= 0)
        r, first = np.unique(rows[is_arch], return_index=True)  # the first architecture tag of a model wins
        arch[r] = arch_of[word[is_arch][first]]
        other = (word >= 0) & ~is_arch
        np.bitwise_or.at(bits, rows[other], bit_of[word[other]])
    if "library_name" in models:
        lib = models["library_name"].astype(object).to_numpy()
        bits[lib == "peft"] |= 2
        bits[np.isin(lib, ["gguf", "mlx", "llama.cpp"])] |= 4
    return arch, bits


def _pick_relation(bits: np.ndarray) -> np.ndarray:
    """Relation code of derivation bits, adapter before quantized before merge; -1 for none."""
    return np.where(bits & 2, 1, np.where(bits & 4, 2, np.where(bits & 8, 3, -1)))


def _time_ok(child: np.ndarray, parent: np.ndarray, created: np.ndarray) -> np.ndarray:
    """False where the parent was created after the child (both dates known)."""
    pt = np.where(parent >= 0, created[np.maximum(parent, 0)], -1)
    ct = created[child]
    return ~((pt >= 0) & (ct >= 0) & (pt > ct))


def _created_ms(models: pd.DataFrame) -> np.ndarray:
    if "created_at" not in models:
        return np.full(len(models), -1, dtype=np.int64)
    col = pd.to_datetime(models["created_at"], utc=True)
    ms = col.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    ms[col.isna().to_numpy()] = -1
    return ms


def candidates(models: pd.DataFrame, cards: pd.DataFrame | None = None, *,
               evidence: tuple[str, ...] = ("card", "name", "dataset", "meta"),
               children: np.ndarray | None = None) -> Candidates:
    """Every candidate parent of every model of ``models`` (or of the rows ``children``), with its features.

    Parameters
    ----------
    models : DataFrame
        A model table (needs ``id``; ``created_at``, ``tags``, ``parameters``, ``downloads``,
        ``author``, ``datasets``, ``library_name`` are used when present). ``base_model:`` tags
        are never read: they are declarations, not evidence.
    cards : DataFrame, optional
        ``id, card``; the YAML front matter is stripped before the prose is read.
    evidence : tuple of str
        The blocks to use: ``card``, ``name``, ``dataset``, ``meta`` (for ablations).
    children : array of int, optional
        The model rows whose candidates are wanted (parents are still every model); default all.
        A child's candidates do not depend on which other children are asked for.

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": ["org/base", "me/base-GGUF", "me/ft"]})
    >>> cards = pd.DataFrame({"id": ["me/ft"], "card": ["Fine-tuned from [x](https://huggingface.co/org/base)"]})
    >>> c = candidates(models, cards)
    >>> sorted(zip(c.child.tolist(), c.parent_id.tolist(), c.relation.tolist()))
    [(1, 'org/base', 2), (2, 'org/base', 0)]
    >>> candidates(models, cards, children=np.array([2])).parent_id.tolist()
    ['org/base']
    """
    return candidates_of(models, cards, evidence=evidence, children=children)


@dataclass(frozen=True)
class CandidateContext:
    """What every call of :func:`candidates_of` on one model table shares, computed once: the ids,
    their name keys and key table, popularity, dates, tag signals, authors, and each card's model row."""

    ids: pa.Array
    low_ids: pa.Array
    key: pa.Array
    stem: pa.Array
    table: KeyTable
    pop: np.ndarray
    created: np.ndarray
    hint: np.ndarray
    arch: np.ndarray
    tagbits: np.ndarray
    params: np.ndarray
    author_code: np.ndarray
    quantizer: np.ndarray
    card_rows: np.ndarray | None
    meta: tuple[np.ndarray, np.ndarray]


def candidate_context(models: pd.DataFrame, cards: pd.DataFrame | None = None) -> CandidateContext:
    """The :class:`CandidateContext` of ``models`` (and ``cards``)."""
    models = models.reset_index(drop=True)
    n = len(models)
    ids = pa.array(models["id"].astype(object).to_numpy(), pa.string())
    low_ids = pc.utf8_lower(ids)
    downloads = (pd.to_numeric(models["downloads"], errors="coerce").fillna(0).to_numpy(np.float64)
                 if "downloads" in models else np.zeros(n))
    pop = np.log1p(np.maximum(downloads, 0))

    def side() -> tuple[Any, ...]:
        arch, tagbits = _tag_signals(models)
        params = (pd.to_numeric(models["parameters"], errors="coerce").to_numpy(np.float64)
                  if "parameters" in models else np.full(n, np.nan))
        card_rows = (positions_in(pa.array(cards["id"], pa.string(), from_pandas=True), ids)
                     if cards is not None and len(cards) else None)
        return arch, tagbits, params, card_rows, _created_ms(models), *_meta_blocks(arch, params, pop)

    with ThreadPoolExecutor(max_workers=1) as pool:  # tags, dates, cards beside the name keys (both in Arrow)
        fut = pool.submit(side)
        key, org, stem = name_keys(ids)
        table = key_table(key, org, pop)
        hint = relation_hints(key)
        authors = pc.replace_substring_regex(low_ids, r"/.*$", "")
        author_code = pc.dictionary_encode(authors).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        quantizer = np.asarray(pc.is_in(authors, value_set=pa.array(sorted(QUANTIZER_ACCOUNTS))).to_numpy(
            zero_copy_only=False), dtype=bool)
        arch, tagbits, params, card_rows, created, meta_c, meta_p = fut.result()
    return CandidateContext(ids, low_ids, key, stem, table, pop, created, hint, arch, tagbits, params,
                            author_code, quantizer, card_rows, (meta_c, meta_p))


def candidates_of(models: pd.DataFrame, cards: pd.DataFrame | None = None, *,
                  evidence: tuple[str, ...] = ("card", "name", "dataset", "meta"),
                  children: np.ndarray | None = None, card_strips: int = 1,
                  context: CandidateContext | None = None) -> Candidates:
    """:func:`candidates`; ``card_strips`` is how many times the front matter is cut from each card
    (2 on raw cards reproduces :func:`~hftree.lineage.infer.core.hide_declarations` then this);
    ``context`` is :func:`candidate_context` of the same ``models`` and ``cards``, to share it."""
    models = models.reset_index(drop=True)
    n = len(models)
    ctx = candidate_context(models, cards) if context is None else context
    wanted = np.ones(n, dtype=bool)
    if children is not None:
        wanted[:] = False
        wanted[np.asarray(children, dtype=np.int64)] = True
    child_rows = np.flatnonzero(wanted)
    ids, low_ids, stem, table = ctx.ids, ctx.low_ids, ctx.stem, ctx.table

    parts: list[dict[str, np.ndarray]] = []  # each: child, pcode, feature columns, bits
    ext_ids: list[str] = []

    def part(child: np.ndarray, pcode: np.ndarray, feats: dict[str, np.ndarray], bits: np.ndarray,
             span: np.ndarray | None = None, cue: np.ndarray | None = None) -> None:
        parts.append({"child": child, "pcode": pcode, "bits": bits,
                      "span_i": span if span is not None else np.full(len(child), -1, np.int64),
                      "cue_rel": cue if cue is not None else np.full(len(child), -1, np.int64),
                      **{f: feats.get(f, np.zeros(len(child))) for f in FEATURES}})

    spans: list[str] = []
    if "name" in evidence:
        m = name_matches(stem.take(pa.array(child_rows)), None, None, None, child_rows=child_rows, table=table)
        m_child = child_rows[m.child]
        stem_chars = pc.utf8_length(stem).to_numpy(zero_copy_only=False).astype(np.float64)
        cover = m.chars / np.maximum(stem_chars[m_child], 1)
        part(m_child, m.parent, {"name_exact": m.exact.astype(float), "name_cover": cover,
                                 "name_start0": (m.start == 0).astype(float), "name_org": m.org.astype(float),
                                 "key_shared": np.log1p(m.shared)},
             np.where(m.exact, 1 << EVIDENCE.index("name-exact"), 1 << EVIDENCE.index("name-stem")))
    if "dataset" in evidence and "datasets" in models:
        child, dparent, dm = _dataset_matches(models["datasets"], wanted, table)
        ok = (dm.start < _DATASET_START) & (dparent != child) & (dm.length >= 2)
        part(child[ok], dparent[ok], {"dataset": np.ones(int(ok.sum()))},
             np.full(int(ok.sum()), 1 << EVIDENCE.index("dataset-name")))
    if "card" in evidence and cards is not None and len(cards):
        crow = ctx.card_rows if ctx.card_rows is not None else np.empty(0, np.int64)
        ok = np.flatnonzero((crow >= 0) & wanted[np.maximum(crow, 0)])
        bodies = pa.array(cards["card"], pa.large_string(), from_pandas=True)
        bodies = bodies.take(pa.array(ok))
        for _ in range(card_strips):
            bodies = strip_front_matters(bodies)
        cm = card_mentions(crow[ok].astype(np.int64), bodies, ids.take(pa.array(crow[ok])))
        del bodies
        if len(cm.row):
            low = pc.utf8_lower(pa.array(cm.ids, pa.string()))
            prow = pc.fill_null(pc.index_in(low, value_set=low_ids), -1).to_numpy(zero_copy_only=False)
            prow = prow.astype(np.int64)
            keep = ((prow >= 0) | cm.link) & (prow != cm.row)
            sel = np.flatnonzero(keep)
            child = cm.row[sel]
            # rank among the kept mentions of each card
            rank = np.zeros(len(sel), dtype=np.int64)
            if len(sel):
                first = np.r_[True, child[1:] != child[:-1]]
                grp_start = np.maximum.accumulate(np.where(first, np.arange(len(sel)), 0))
                rank = np.arange(len(sel)) - grp_start
            pcode = prow[sel].copy()
            ext = pcode < 0
            if ext.any():
                # an external id is numbered per child, in the order its card names them, spelled as there:
                # a child's candidates never depend on which other cards are read
                enc = pc.dictionary_encode(low.take(pa.array(sel[ext])))
                code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
                pair_code = pd.factorize(child[ext] * (len(enc.dictionary) + 1) + code)[0]
                pcode[ext] = n + pair_code
                first_at = np.unique(pair_code, return_index=True)[1]
                ext_ids = np.array(cm.ids, dtype=object)[sel[ext]][first_at].tolist()
            tr, ln, cue = cm.trainer[sel], cm.link[sel], cm.cue[sel]
            bits = ((tr << EVIDENCE.index("trainer-line")) | ((cue >= 0) << EVIDENCE.index("card-cue"))
                    | (ln << EVIDENCE.index("card-link")) | ((~ln) << EVIDENCE.index("card-mention")))
            spans = [cm.span[i] for i in sel.tolist()]
            part(child, pcode, {"trainer": tr.astype(float), "link": ln.astype(float), "bare": (~ln).astype(float),
                                "cue": (cue >= 0).astype(float), "first": (rank == 0).astype(float),
                                "rank": np.log1p(rank), "count": np.log1p(cm.count[sel]),
                                "merge_list": cm.merge_list[sel].astype(float)},
                 bits.astype(np.int64), np.arange(len(sel), dtype=np.int64), cue)
    if "meta" in evidence:
        mc, mp = ctx.meta
        mk = wanted[mc]
        part(mc[mk], mp[mk], {"meta": np.ones(int(mk.sum()))},
             np.full(int(mk.sum()), 1 << EVIDENCE.index("arch+params")))
    return _assemble(parts, n, ext_ids, spans, ids, ctx.created, ctx.pop, ctx.hint, ctx.arch, ctx.tagbits,
                     ctx.params, ctx.author_code, ctx.quantizer)


def _dataset_matches(col: pd.Series, wanted: np.ndarray, table: KeyTable | None,
                     ) -> tuple[np.ndarray, np.ndarray, NameMatches]:
    """Name matches of the dataset names of the ``wanted`` models: each distinct name is looked
    up once, its hits repeated for every (model, dataset) item naming it."""
    rows, names = _all_items(col)
    sel = np.flatnonzero(wanted[rows]) if len(rows) else np.empty(0, np.int64)
    empty = NameMatches(*(np.empty(0, np.int64) for _ in range(8)))
    if not len(sel) or table is None:
        return np.empty(0, np.int64), np.empty(0, np.int64), empty
    enc = pc.dictionary_encode(names.take(pa.array(sel)))
    code = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    rows = rows[sel]
    _, _, dstem = name_keys(enc.dictionary)
    dm = name_matches(dstem, None, None, None, child_rows=np.full(len(dstem), -1, np.int64), table=table)
    # items of each distinct name, in item order
    valid = np.flatnonzero(code >= 0)
    order = valid[np.argsort(code[valid], kind="stable")]
    counts = np.bincount(code[valid], minlength=len(dstem))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    reps = counts[dm.child]
    idx = np.repeat(np.arange(len(dm.child)), reps)
    offs = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    item = order[starts[dm.child][idx] + offs]
    fields = ("child", "parent", "start", "length", "chars", "exact", "org", "shared")
    out = NameMatches(*(item if f == "child" else getattr(dm, f)[idx] for f in fields))
    return rows[item], out.parent, out


def _all_items(col: pd.Series) -> tuple[np.ndarray, pa.Array]:
    arr = pa.array(col, type=pa.list_(pa.string()), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    flat = pc.list_flatten(arr)
    rows = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    return rows, flat.cast(pa.string())


def _meta_blocks(arch: np.ndarray, params: np.ndarray, pop: np.ndarray, top: int = 3,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(child, parent) pairs of the same architecture and parameter count: the ``top`` most
    downloaded models of each block are candidates of every other model of it."""
    ok = np.flatnonzero((arch >= 0) & np.isfinite(params) & (params > 0))
    if not len(ok):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pcode = pd.factorize(params[ok])[0]
    block = pd.factorize(arch[ok] * (int(pcode.max()) + 1) + pcode)[0]  # numbered as the (arch, params) pairs
    order = np.lexsort((ok, -pop[ok], block))
    rows, blk = ok[order], block[order]
    start = np.r_[True, blk[1:] != blk[:-1]]
    pos = np.arange(len(rows)) - np.maximum.accumulate(np.where(start, np.arange(len(rows)), 0))
    size = np.bincount(blk)
    heads = np.flatnonzero((pos < top) & (size[blk] >= 2))
    if not len(heads):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # every head against every member of its block, in block order
    sz = size[blk[heads]]
    idx = np.repeat(heads - pos[heads], sz) + (np.arange(int(sz.sum())) - np.repeat(np.cumsum(sz) - sz, sz))
    members, head_rows = rows[idx], np.repeat(rows[heads], sz)
    other = members != head_rows
    return members[other], head_rows[other].astype(np.int64)


def _assemble(parts, n, ext_ids, spans, ids, created, pop, hint, arch, tagbits, params, author_code,
              quantizer) -> Candidates:
    empty = Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, object),
                       np.empty((0, len(FEATURES))), np.empty(0, np.int8), np.empty(0, np.int64),
                       np.empty(0, object))
    parts = [p for p in parts if len(p["child"])]
    if not parts:
        return empty
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    child, pcode = cat["child"].astype(np.int64), cat["pcode"].astype(np.int64)
    parent = np.where(pcode < n, pcode, -1)
    keep = _time_ok(child, parent, created) & (pcode != child)
    cat = {k: v[keep] for k, v in cat.items()}
    child, pcode, parent = child[keep], pcode[keep], parent[keep]
    # one candidate per (child, parent): the strongest value of each feature
    gkey = child * (n + len(ext_ids) + 1) + pcode
    order = np.argsort(gkey, kind="stable")
    gs = gkey[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    red = {k: np.maximum.reduceat(cat[k][order], starts) for k in (*FEATURES, "span_i", "cue_rel")}
    red["bits"] = np.bitwise_or.reduceat(cat["bits"][order], starts)
    child, pcode = child[order][starts], pcode[order][starts]
    red["rank"] = np.minimum.reduceat(cat["rank"][order], starts)
    parent = np.where(pcode < n, pcode, -1)
    X = np.column_stack([red[f].astype(np.float64) for f in FEATURES])
    has_p = parent >= 0
    pp = np.maximum(parent, 0)
    # features of the pair
    X[:, _F["external"]] = ~has_p
    X[:, _F["parent_pop"]] = np.where(has_p, pop[pp], 0) / 10
    X[:, _F["arch_match"]] = has_p & (arch[child] >= 0) & (arch[child] == arch[pp])
    X[:, _F["arch_mismatch"]] = has_p & (arch[child] >= 0) & (arch[pp] >= 0) & (arch[child] != arch[pp])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(np.log(params[child] / np.where(has_p, params[pp], np.nan)))
    X[:, _F["params_match"]] = np.nan_to_num(ratio < 0.01)
    X[:, _F["params_mismatch"]] = np.nan_to_num(ratio > 0.1)
    X[:, _F["same_author"]] = has_p & (author_code[child] == author_code[pp])
    X[:, _F["parent_derived"]] = has_p & ((hint[pp] | tagbits[pp]) & 6 > 0)
    X[:, _F["quantizer"]] = quantizer[child]
    n_c = np.bincount(child, minlength=n)
    X[:, _F["n_cand"]] = np.log1p(n_c[child])
    card_any = np.zeros(n, dtype=bool)
    card_any[child[(red["link"] + red["bare"]) > 0]] = True
    X[:, _F["no_card_evidence"]] = ~card_any[child]
    # longest name match of the child
    chars = np.where(X[:, _F["name_cover"]] > 0, X[:, _F["name_cover"]], -1)
    best = np.full(n, -1.0)
    np.maximum.at(best, child, chars)
    X[:, _F["name_longest"]] = (chars > 0) & (chars >= best[child])
    # relation: tags and library, then name tokens the parent lacks, then the card's cue, then the account
    rel = _pick_relation(tagbits[child] & ~np.where(has_p, tagbits[pp], 0))
    rel = np.where(rel >= 0, rel, _pick_relation(hint[child] & ~np.where(has_p, hint[pp], 0)))
    cue = red["cue_rel"]
    rel = np.where(rel >= 0, rel, np.where((cue > 0) & ((cue != 3) | (X[:, _F["merge_list"]] > 0)), cue, -1))
    rel = np.where(rel >= 0, rel, np.where(X[:, _F["quantizer"]] > 0, 2, 0))
    pid = np.empty(len(child), dtype=object)
    pid[has_p] = np.asarray(ids.take(pa.array(parent[has_p])).to_pylist(), dtype=object)
    if (~has_p).any():
        pid[~has_p] = np.asarray(ext_ids, dtype=object)[pcode[~has_p] - n]
    span_i = red["span_i"].astype(np.int64)
    span = np.array([spans[i] if i >= 0 else "" for i in span_i.tolist()], dtype=object)
    return Candidates(child, parent, pid, X, rel.astype(np.int8), red["bits"].astype(np.int64), span)
