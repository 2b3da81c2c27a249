"""Evidence from model names: normalised name keys, derivation suffixes and stem blocking.

A child is usually named after its parent: ``TheBloke/Llama-2-7B-Chat-GGUF`` quantizes
``meta-llama/Llama-2-7b-chat-hf``, ``me/gemma-7b-sft-v2`` fine-tunes ``google/gemma-7b``,
``PrunaAI/meta-llama-Llama-2-7b-chat-hf-HQQ-2bit-smashed`` even keeps the parent's account.
Names are compared as *keys*: lower case, runs of ``_ . space`` turned into ``-``, a trailing
``-hf`` dropped. A child's *stem* is its key without trailing derivation tokens (``gguf``,
``awq``, ``lora``, ``q4-k-m``, ``4bit`` …). Candidate parents are found by **blocking**, not by
comparing all pairs: every token n-gram of a child's stem that starts at one of its first
tokens is looked up in a hash table of every model's key (and ``org-name`` key), all in Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "QUANTIZER_ACCOUNTS",
    "KeyTable",
    "NameMatches",
    "key_table",
    "name_keys",
    "name_matches",
    "relation_hints",
]

_QUANT = (r"gguf|ggml|gptq|awq|exl2|exl3|mlx|bnb|nf4|hqq|eetq|aqlm|marlin|smashed|onnx|openvino|"
          r"autoround|quantized|quant|quants|int4|int8|fp8|w\d+a\d+|i1|imat|imatrix|\d+bits?|"
          r"\d+(?:-\d+)?bpw|h\d+|q\d+(?:-k)?(?:-[msl])?|iq\d+(?:-[a-z]+)?|gs\d+|sym|asym")
_ADAPTER = r"lora|qlora|peft|adapters?"
_MERGE = r"merged?|slerp|ties|dare|passthrough|mergekit"
_FORMAT = r"hf|fp16|bf16|fp32|f16|f32|safetensors"
_TOKEN = f"(?:{_QUANT}|{_ADAPTER}|{_MERGE}|{_FORMAT})"
_STEM_RE = rf"^(?P<stem>.+?)(?:-{_TOKEN})*$"

#: Accounts that mostly upload quantizations of other people's models.
QUANTIZER_ACCOUNTS = frozenset({
    "thebloke", "bartowski", "mradermacher", "quantfactory", "maziyarpanahi", "lonestriker",
    "lmstudio-community", "second-state", "richarderkhov", "legraphista", "solidrust", "prunaai",
    "mlx-community", "devquasar", "tensorblock", "triangle104", "featherless-ai-quants",
    "ggml-org", "unsloth", "turboderp", "bullerwins", "fbaldassarri", "nikolaykozloff", "gaianet",
    "matrixportal", "neuralmagic", "redhatai", "intel", "modelcloud", "qwen-quants", "itlwas",
})

#: Relation codes of :data:`hftree.schema.RELATIONS`: finetune 0, adapter 1, quantized 2, merge 3.
_HINT_PATTERNS = (
    (1, rf"(?:^|-)(?:{_ADAPTER})(?:-|$)"),
    (2, rf"(?:^|-)(?:{_QUANT})(?:-|$)"),
    (3, rf"(?:^|-)(?:{_MERGE})(?:-|$)"),
)
_MAX_START = 3  # n-grams start at one of the first tokens of a stem
_MAX_LEN = 8  # and have at most this many tokens
_MIN_KEY = 3  # characters of the shortest key worth a match
_PER_KEY = 4  # models kept per shared key (most downloaded first)


def _arr(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def name_keys(ids: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """``(key, org_key, stem)`` of each model id, computed on whole columns.

    >>> import pyarrow as pa
    >>> k, o, s = name_keys(pa.array(["meta-llama/Llama-2-7b-chat-hf", "TheBloke/Llama-2-7B-Chat-GGUF",
    ...                               "me/llama_2.7b-bnb-4bit-lora"]))
    >>> k.to_pylist()
    ['llama-2-7b-chat', 'llama-2-7b-chat-gguf', 'llama-2-7b-bnb-4bit-lora']
    >>> s.to_pylist()
    ['llama-2-7b-chat', 'llama-2-7b-chat', 'llama-2-7b']
    >>> o.to_pylist()[0]
    'meta-llama-llama-2-7b-chat'
    """
    ids = _arr(ids)
    low = pc.utf8_lower(ids)
    full = pc.replace_substring_regex(low, r"[\s_.]+", "-")
    full = pc.replace_substring_regex(full, r"-+", "-")
    name = pc.replace_substring_regex(full, r"^[^/]*/", "")
    key = pc.replace_substring_regex(name, r"-hf$", "")
    org = pc.replace_substring_regex(pc.replace_substring_regex(full, "/", "-"), r"-hf$", "")
    stem = pc.struct_field(pc.extract_regex(name, _STEM_RE), "stem")
    stem = pc.coalesce(stem, name)
    return key, org, stem


def relation_hints(keys: pa.Array) -> np.ndarray:
    """Per key, a bit set of the derivation tokens it holds: 2 adapter, 4 quantized, 8 merge.

    >>> import pyarrow as pa
    >>> relation_hints(pa.array(["llama-2-7b-gguf", "x-lora", "a-b-slerp", "gemma-7b"])).tolist()
    [4, 2, 8, 0]
    """
    keys = _arr(keys)
    bits = np.zeros(len(keys), dtype=np.int64)
    for code, pattern in _HINT_PATTERNS:
        hit = pc.fill_null(pc.match_substring_regex(keys, pattern), False).to_numpy(zero_copy_only=False)
        bits |= np.asarray(hit, dtype=np.int64) << code
    return bits


@dataclass(frozen=True)
class NameMatches:
    """Name-blocking hits: child row ``child`` contains, as the n-gram starting at token ``start``
    with ``length`` tokens, the key of model row ``parent``; ``chars`` is the n-gram's length in
    characters, ``exact`` whether it is the child's whole stem, ``org`` whether it matched the
    parent's ``org-name`` key, ``shared`` how many models carry that key."""

    child: np.ndarray
    parent: np.ndarray
    start: np.ndarray
    length: np.ndarray
    chars: np.ndarray
    exact: np.ndarray
    org: np.ndarray
    shared: np.ndarray


@dataclass(frozen=True)
class KeyTable:
    """The name keys of every model, hashed once for all lookups: the distinct keys
    (``dictionary``), the model rows carrying each (``order[starts[k]:starts[k] + counts[k]]``,
    most popular first; rows ``>= n_models`` are ``org-name`` keys) and which keys are long enough."""

    dictionary: pa.Array
    order: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    keep_key: np.ndarray
    n_models: int


def key_table(keys: pa.Array, org_keys: pa.Array, popularity: np.ndarray) -> KeyTable:
    """The :class:`KeyTable` of models with ``keys`` / ``org_keys`` (row ``i`` is model ``i``)."""
    all_keys = pa.concat_arrays([_arr(keys), _arr(org_keys)])
    pop = np.concatenate([popularity, popularity]).astype(np.float64)
    enc = pc.dictionary_encode(all_keys)
    code = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    rows = np.flatnonzero(code >= 0)
    order = rows[np.lexsort((rows, -pop[rows], code[rows]))]
    n_keys = len(enc.dictionary)
    counts = np.bincount(code[order], minlength=n_keys)
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    keep_key = np.asarray(pc.greater_equal(pc.utf8_length(enc.dictionary), _MIN_KEY).to_numpy(
        zero_copy_only=False), dtype=bool)
    return KeyTable(enc.dictionary, order, starts, counts, keep_key, len(keys))


def name_matches(child_stems: pa.Array, keys: pa.Array | None, org_keys: pa.Array | None,
                 popularity: np.ndarray | None, *, child_rows: np.ndarray | None = None,
                 table: KeyTable | None = None) -> NameMatches:
    """Every (child, parent) pair whose parent key is a token n-gram of the child's stem.

    ``child_stems`` are the texts to search (a model's stem; may hold nulls), ``keys`` /
    ``org_keys`` the parents' keys (row ``i`` is model ``i``), ``popularity`` orders the models
    that share a key (only the first few are kept); or ``table``, their :func:`key_table` built
    once. ``child_rows`` is the model row of each stem (default: stem ``i`` is model ``i``);
    ``child`` in the result indexes ``child_stems``. A child is never matched to itself.

    >>> import numpy as np, pyarrow as pa
    >>> ids = pa.array(["google/gemma-7b", "me/gemma-7b-sft", "TheBloke/gemma-7b-GGUF"])
    >>> key, org, stem = name_keys(ids)
    >>> m = name_matches(stem, key, org, np.array([100, 1, 5]))
    >>> sorted(zip(m.child.tolist(), m.parent.tolist(), m.exact.tolist()))
    [(1, 0, False), (2, 0, True)]
    """
    stems = _arr(child_stems)
    tokens = pc.split_pattern(stems, "-")
    n_tok = pc.fill_null(pc.list_value_length(tokens), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if table is None:
        if keys is None or org_keys is None or popularity is None:
            raise TypeError("name_matches needs keys, org_keys and popularity, or table")
        table = key_table(keys, org_keys, popularity)
    dictionary, order, starts, counts = table.dictionary, table.order, table.starts, table.counts
    keep_key, n_models = table.keep_key, table.n_models
    rows_of = np.arange(len(stems), dtype=np.int64) if child_rows is None else np.asarray(child_rows, np.int64)
    # every n-gram of every pass, looked up in one hash table (built once)
    grams: list[pa.Array] = []
    meta: dict[str, list[np.ndarray]] = {k: [] for k in ("child", "start", "length")}
    for s in range(_MAX_START):
        for length in range(1, _MAX_LEN + 1):
            rows = np.flatnonzero(n_tok >= s + length)
            if not len(rows):
                break
            grams.append(pc.binary_join(pc.list_slice(tokens.take(pa.array(rows)), s, s + length), "-"))
            meta["child"].append(rows)
            meta["start"].append(np.full(len(rows), s, np.int64))
            meta["length"].append(np.full(len(rows), length, np.int64))
    out: dict[str, np.ndarray] = {k: np.empty(0, np.int64) for k in ("child", "kidx", "start", "length", "chars")}
    if grams:
        gram = pa.chunked_array(grams, type=pa.string())
        pos = pc.index_in(gram, value_set=dictionary)
        ok = np.asarray(pc.is_valid(pos).to_numpy(zero_copy_only=False), dtype=bool)
        kidx = pos.filter(pa.array(ok)).to_numpy().astype(np.int64)
        good = keep_key[kidx]
        hit = np.flatnonzero(ok)[good]
        for k, v in meta.items():
            out[k] = np.concatenate(v)[hit]
        out["kidx"] = kidx[good]
        out["chars"] = pc.utf8_length(dictionary.take(pa.array(out["kidx"]))).to_numpy().astype(np.int64)
    out["exact"] = (out["start"] == 0) & (n_tok[out["child"]] == out["length"])
    cat = out
    # expand each hit to the (at most _PER_KEY) models carrying the key, most popular first
    reps = np.minimum(counts[cat["kidx"]], _PER_KEY)
    idx = np.repeat(np.arange(len(reps)), reps)
    offs = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    member = order[starts[cat["kidx"]][idx] + offs]
    is_org = member >= n_models
    parent = np.where(is_org, member - n_models, member)
    child = cat["child"][idx]
    shared = counts[cat["kidx"]][idx]
    kept = parent != rows_of[child]
    res = {k: v[idx][kept] for k, v in cat.items() if k not in ("child", "kidx")}
    return NameMatches(child[kept], parent[kept], res["start"], res["length"], res["chars"],
                       res["exact"].astype(bool), is_org[kept], shared[kept])
