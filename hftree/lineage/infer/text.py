"""Evidence from card prose: the Hub ids a README mentions, and what the words before them say.

Only the card's **body** is read: the YAML front matter (where ``base_model:`` is declared)
is stripped first, so what is found here is lineage the card states in prose only. Each
mention of a Hub id — a ``huggingface.co/<org>/<name>`` link, or a bare ``org/name`` that
is a model of the snapshot — becomes a mention row with

* ``trainer``: it is the Trainer line "fine-tuned version of [X](https://huggingface.co/X)";
* ``cue``: the 120 characters before it hold a lineage phrase, and which one (fine-tuned
  from / based on / quantized / GGUF files for / LoRA adapter / merge of …);
* ``merge_list``: it is listed under mergekit's "models were included in the merge";
* ``rank``: its order among the distinct ids the card mentions (0 = first);
* ``span``: the words around it, for the ``evidence`` column.

The work runs in RE2 on whole columns (DuckDB's multi-threaded ``regexp_extract_all``, Arrow's
string kernels): a million cards take seconds. The words "before" a mention are the text since
the previous mention, at most 120 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CUES", "CardMentions", "card_mentions", "strip_front_matter", "strip_front_matters"]

#: YAML front matter at the very top of a card (one pattern for Python's re and for RE2).
FRONT_MATTER = r"^\s*---[ \t]*\r?\n(?s:.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)"
_FRONT = re.compile(FRONT_MATTER)
# path segments of huggingface.co that are not an account
_RESERVED = ("datasets", "spaces", "docs", "blog", "papers", "models", "collections", "organizations",
             "settings", "join", "login", "pricing", "tasks", "learn", "chat", "new", "api", "posts",
             "inference-endpoints", "enterprise", "hub", "transformers", "course", "welcome")
_ID = r"[A-Za-z0-9][\w.\-]*/[\w.\-]*[\w\-]"
_MENTION = r"(?s).{0,120}?(?:huggingface\.co/)?" + _ID
_SPLIT = r"(?s)^(?P<before>.*?)(?P<hf>huggingface\.co/)?(?P<id>" + _ID + ")$"
_TRAINER = r"(?i)fine-tuned version of \[(?:[^\]]*\]\(https?://)?$"
_MERGE_HEAD = (r"(?i)models? (?:were )?(?:included|used) in the merge|models? merged|merge of|"
               r"merged? (?:the following|using)|mergekit")
_NOT_A_MODEL = r"(?i)\.(?:md|png|jpe?g|gif|json|py|gguf|safetensors|bin|txt|ya?ml|ipynb|html?)$"
#: Lineage phrases, by the relation they suggest (codes of :data:`hftree.schema.RELATIONS`); the
#: first class that matches the words before a mention wins.
CUES = (
    (3, r"(?i)\bmerge[ds]?\b|\bmergekit\b|\bslerp\b|\bties\b|\bdare\b"),
    (1, r"(?i)\blora\b|\badapters?\b|\bpeft\b"),
    (2, r"(?i)quantiz|\bquants?\b|\bgguf\b|\bgptq\b|\bawq\b|\bexl2\b|\bbpw\b|model files for|"
        r"original model|model creator|\bimatrix\b"),
    (0, r"(?i)fine-?tun|\btrained (?:from|on top of|on)\b|based (?:on|off)|built (?:on|upon)|"
        r"derived from|continued pre-?train|distill|further train|version of|base[ _]model|"
        r"from_pretrained|starting from|initiali[sz]ed from|checkpoint of"),
)


def strip_front_matter(text: str | None) -> str:
    """The card without its YAML front matter (``---`` … ``---`` at the very top).

    >>> strip_front_matter("---\\nbase_model: a/b\\n---\\n# Title\\n")
    '# Title\\n'
    >>> strip_front_matter("# no metadata")
    '# no metadata'
    """
    if not isinstance(text, str):
        return ""
    return _FRONT.sub("", text, count=1)


def strip_front_matters(texts: pa.Array) -> pa.Array:
    """:func:`strip_front_matter` on a whole string column (RE2; nulls become empty).

    >>> strip_front_matters(pa.array(["---\\nlicense: mit\\n---\\nHi", None])).to_pylist()
    ['Hi', '']
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    return pc.replace_substring_regex(texts, FRONT_MATTER, "", max_replacements=1)


@dataclass(frozen=True)
class CardMentions:
    """One row per (card, mentioned id): see the module notes; ``ids`` as written in the card."""

    row: np.ndarray
    ids: list[str]
    link: np.ndarray
    trainer: np.ndarray
    cue: np.ndarray  # relation code of the cue before the id, -1 none
    merge_list: np.ndarray
    rank: np.ndarray
    count: np.ndarray
    span: list[str]


def _flag(arr: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False),
                      dtype=bool)


def card_mentions(rows: np.ndarray, texts: list[str] | pa.Array, own: list[str] | pa.Array,
                  known: set[str] | None = None) -> CardMentions:
    """The Hub ids mentioned in each card body.

    Parameters
    ----------
    rows : array of int
        The model row of each card.
    texts : list of str or Arrow string array
        Card bodies (front matter already stripped).
    own : list of str or Arrow string array
        The id of each card's model (never reported: a card naming itself is no lineage).
    known : set of str, optional
        Lower-cased model ids of the snapshot; a bare ``org/name`` counts only when it is one
        (``None``: every bare mention is kept, for the caller to resolve on whole columns).

    Examples
    --------
    >>> body = ("This model is a fine-tuned version of [a/base](https://huggingface.co/a/base) "
    ...         "on imdb. See also `c/other`.")
    >>> m = card_mentions(np.array([7]), [body], ["me/ft"], {"c/other", "a/base"})
    >>> m.ids, m.trainer.tolist(), m.rank.tolist(), m.link.tolist()
    (['a/base', 'c/other'], [True, False], [0, 1], [True, False])
    """
    import duckdb

    rows = np.asarray(rows, dtype=np.int64)
    tab = pa.table({"card": np.arange(len(rows), dtype=np.int64),
                    "text": pa.array(texts, pa.large_string()) if not isinstance(texts, pa.Array) else texts})
    con = duckdb.connect()
    try:
        con.register("cards", tab)
        got = con.sql(f"""
            SELECT card, m.pos AS pos, m.s AS s FROM (
              SELECT card, unnest(list_transform(regexp_extract_all(text, '{_MENTION.replace("'", "''")}'),
                                                 lambda x, i: {{'s': x, 'pos': i}})) AS m
              FROM cards WHERE contains(text, '/'))
            ORDER BY card, pos""").to_arrow_table()
    finally:
        con.close()
    card = got.column("card").to_numpy().astype(np.int64)
    parts = pc.extract_regex(got.column("s").combine_chunks(), _SPLIT)
    before = pc.struct_field(parts, "before")
    mid = pc.struct_field(parts, "id")
    is_link = np.asarray(pc.is_valid(pc.struct_field(parts, "hf")).to_numpy(zero_copy_only=False), dtype=bool)
    is_link &= np.asarray(pc.not_equal(pc.fill_null(pc.struct_field(parts, "hf"), ""), "")
                          .to_numpy(zero_copy_only=False), dtype=bool)
    low = pc.utf8_lower(mid)
    own_low = pc.utf8_lower(pa.array(own, pa.string()) if not isinstance(own, pa.Array) else own)
    me = own_low.take(pa.array(card))
    glued = _flag(before, r"[\w/.\-@:]$") & ~is_link  # a bare id inside a longer path or word
    reserved = _flag(low, "^(?:" + "|".join(_RESERVED) + ")/") & is_link
    drop = glued | reserved | _flag(low, _NOT_A_MODEL) | np.asarray(
        pc.fill_null(pc.equal(low, me), True).to_numpy(zero_copy_only=False), dtype=bool)
    if known is not None:
        drop |= ~is_link & ~_flag_in(low, known)
    # the words before a mention: since the previous mention of the card, and that mention too
    # (a link's own words are "](https://", its label's words hold the phrase)
    whole = got.column("s").combine_chunks().cast(pa.large_string())
    prev_same = np.r_[False, card[1:] == card[:-1]] if len(card) else np.empty(0, bool)
    prev = whole.take(pa.array(np.maximum(np.arange(len(card)) - 1, 0)))
    prev = pc.if_else(pa.array(prev_same), prev, pa.scalar("", pa.large_string()))
    context = pc.binary_join_element_wise(prev, before.cast(pa.large_string()), pa.scalar("", pa.large_string()))
    del whole, prev, got  # a million cards' mentions: free the copies as soon as they are read
    trainer = _flag(context, _TRAINER) & ~drop
    cue = np.full(len(card), -1, dtype=np.int64)
    for code, pattern in CUES[::-1]:  # the first class listed wins
        cue[_flag(context, pattern)] = code
    del context
    merge_head = _flag(before, _MERGE_HEAD)
    # a merge header before a mention marks every later mention of that card
    seen_head = np.zeros(len(card), dtype=bool)
    if len(card):
        start = np.r_[True, card[1:] != card[:-1]]
        grp = np.cumsum(start) - 1
        csum = np.cumsum(merge_head)
        base = (csum - merge_head)[start][grp]
        seen_head = csum - base > 0
    keep = np.flatnonzero(~drop)
    card, low_k = card[keep], low.take(pa.array(keep))
    # one row per (card, id): the first mention, with flags gathered over all of them
    enc = pc.dictionary_encode(low_k)
    code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = card * (len(enc.dictionary) + 1) + code
    order = np.lexsort((np.arange(len(key)), key))
    ks = key[order]
    first = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]]) if len(ks) else np.empty(0, np.int64)

    def any_of(flag: np.ndarray) -> np.ndarray:
        return np.logical_or.reduceat(flag[keep][order], first) if len(first) else np.empty(0, bool)

    cue_k = cue[keep][order]
    cue_first = np.maximum.reduceat(np.where(cue_k >= 0, -np.arange(len(cue_k)), -len(cue_k) - 1), first) \
        if len(first) else np.empty(0, np.int64)
    cue_u = np.where(cue_first > -len(cue_k) - 1, cue_k[np.minimum(-cue_first, len(cue_k) - 1)], -1)
    head = order[first]  # position (in keep) of each id's first mention
    out_order = np.argsort(head, kind="stable")
    pos = keep[head[out_order]]
    c_out = card[head[out_order]]
    starts = np.r_[True, c_out[1:] != c_out[:-1]] if len(c_out) else np.empty(0, bool)
    rank = np.arange(len(c_out)) - np.maximum.accumulate(np.where(starts, np.arange(len(c_out)), 0))
    counts = np.diff(np.r_[first, len(ks)])
    tail = pc.utf8_slice_codeunits(before.take(pa.array(pos)), -60)
    span = pc.binary_join_element_wise(tail, mid.take(pa.array(pos)), pa.scalar("", mid.type))
    span = pc.utf8_trim_whitespace(pc.replace_substring_regex(span, r"\s+", " "))
    return CardMentions(
        rows[c_out], mid.take(pa.array(pos)).to_pylist(), any_of(is_link)[out_order], any_of(trainer)[out_order],
        cue_u[out_order], seen_head[pos], rank.astype(np.int64), counts[out_order], span.to_pylist(),
    )


def _flag_in(arr: pa.Array, values: set[str]) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.is_in(arr, value_set=pa.array(sorted(values), pa.string())), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)
