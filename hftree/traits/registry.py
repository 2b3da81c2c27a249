"""Traits: named functions of the model table, and the registry of built-in and user traits.

A *trait* turns the model table into one value per model: a category (licence,
task, library, architecture, templated card), a set (languages, datasets), a
number (parameters, card length) or a text (the metadata record, the card).
Missing values — ``None``, ``NaN`` or an empty set — mean "the model does not
report this trait"; a pair of models is compared only when both report it.

Add a trait with :func:`register_trait` (or pass a :class:`Trait` directly to
any analysis)::

    >>> import pandas as pd
    >>> n_tags = Trait("n_tags", "numeric", lambda m: m["tags"].map(len))
    >>> n_tags.values(pd.DataFrame({"id": ["a"], "tags": [["x", "y"]]})).tolist()
    [2]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hftree.errors import TraitError
from hftree.licenses import license_classes

__all__ = [
    "ARCHITECTURE_TAGS",
    "DEFAULT_TRAITS",
    "Trait",
    "TraitError",
    "TraitKind",
    "get_trait",
    "list_traits",
    "model_table",
    "register_trait",
]

TraitKind = Literal["categorical", "set", "numeric", "text"]
TRAIT_KINDS: tuple[str, ...] = get_args(TraitKind)


@dataclass(frozen=True)
class Trait:
    """A named function of the model table returning one value per model.

    Parameters
    ----------
    name : str
        Name used in result tables.
    kind : {"categorical", "set", "numeric", "text"}
        How values are compared (equality, Jaccard, ratio, text vectors).
    func : callable
        ``func(models: DataFrame) -> Series or sequence`` of ``len(models)`` values.
    description : str
        One line for :func:`list_traits`.
    requires : tuple of str
        Model-table columns ``func`` reads; a missing one raises :class:`TraitError`
        that names it.
    """

    name: str
    kind: TraitKind
    func: Callable[[pd.DataFrame], Any] = field(repr=False)
    description: str = ""
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in TRAIT_KINDS:
            raise TraitError(f"trait {self.name!r}: kind must be one of {', '.join(TRAIT_KINDS)}, got {self.kind!r}")

    def values(self, models: pd.DataFrame) -> pd.Series:
        """The trait of every row of ``models``, as a Series aligned to its rows."""
        missing = [c for c in self.requires if c not in models.columns]
        if missing:
            hint = (" (card text: pass a Snapshot imported with its cards, or add a 'card' column)"
                    if "card" in missing else "")
            raise TraitError(f"trait {self.name!r} needs the model-table column {missing[0]!r}, "
                             f"which is missing{hint}")
        out = self.func(models)
        if not isinstance(out, pd.Series):
            out = pd.Series(out)
        if len(out) != len(models):
            raise TraitError(f"trait {self.name!r} returned {len(out)} values for {len(models)} models; "
                             "a trait function must return one value per row of the model table")
        return out.reset_index(drop=True)


_REGISTRY: dict[str, Trait] = {}
_ALIASES: dict[str, str] = {}


def register_trait(
    name: str,
    kind: TraitKind,
    func: Callable[[pd.DataFrame], Any] | None = None,
    *,
    description: str = "",
    requires: Sequence[str] = (),
    aliases: Sequence[str] = (),
    replace: bool = False,
) -> Any:
    """Register a trait under ``name`` (usable as a decorator when ``func`` is omitted).

    Raises :class:`TraitError` if the name is taken and ``replace`` is false.

    >>> @register_trait("n_tags_demo", "numeric", replace=True)
    ... def n_tags(models):
    ...     return models["tags"].map(len)
    >>> get_trait("n_tags_demo").kind
    'numeric'
    """

    def deco(f: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], Any]:
        taken = name in _REGISTRY or name in _ALIASES
        if taken and not replace:
            raise TraitError(f"trait {name!r} is already registered; pass replace=True to replace it")
        _REGISTRY[name] = Trait(name, kind, f, description or (f.__doc__ or "").strip().split("\n")[0],
                                tuple(requires))
        for a in aliases:
            _ALIASES[a] = name
        return f

    if func is None:
        return deco
    deco(func)
    return _REGISTRY[name]


def get_trait(trait: str | Trait) -> Trait:
    """The :class:`Trait` named ``trait`` (aliases such as ``licence`` work); a Trait passes through."""
    if isinstance(trait, Trait):
        return trait
    name = _ALIASES.get(trait, trait)
    if name not in _REGISTRY:
        raise TraitError(f"unknown trait {trait!r}; known traits: {', '.join(sorted(_REGISTRY))} "
                         "(register your own with hftree.traits.register_trait)")
    return _REGISTRY[name]


def list_traits() -> pd.DataFrame:
    """The registered traits: name, kind, aliases, model-table columns read, description."""
    rows = []
    for name, t in sorted(_REGISTRY.items()):
        al = sorted(a for a, n in _ALIASES.items() if n == name)
        rows.append({"trait": name, "kind": t.kind, "aliases": ", ".join(al),
                     "reads": ", ".join(t.requires), "description": t.description})
    return pd.DataFrame(rows)


def model_table(data: Any) -> pd.DataFrame:
    """The model table of ``data`` (a Snapshot, a LineageGraph or a DataFrame); a Snapshot's
    card texts become a ``card`` column (``None`` where a model has no card)."""
    models = getattr(data, "models", data)
    if not isinstance(models, pd.DataFrame):
        raise TraitError(f"expected a Snapshot, a LineageGraph or a model table (DataFrame), got {type(data).__name__}")
    cards = getattr(data, "cards", None)
    if isinstance(cards, pd.DataFrame) and "card" not in models.columns and len(cards):
        text = pd.Series(cards["card"].to_numpy(dtype=object), index=cards["id"].to_numpy(dtype=object))
        text = text[~text.index.duplicated()]
        models = models.assign(card=text.reindex(models["id"].to_numpy(dtype=object)).to_numpy(dtype=object))
    return models


# ----------------------------------------------------------------------------- built-in traits

#: Tags that name a model architecture (``config.model_type`` of transformers, GGUF
#: architectures, diffusers pipeline families). The first tag of a model found here is
#: its ``architecture`` unless the record's ``config.model_type`` or ``gguf.architecture`` says otherwise.
ARCHITECTURE_TAGS: frozenset[str] = frozenset(
    """
    albert bart bert bert-generation big_bird bigbird_pegasus biogpt blenderbot bloom camembert
    canine chatglm clip clip_vision_model codegen cohere cohere2 cogvideox convbert convnext ctrl
    cvt data2vec-audio data2vec-text data2vec-vision dbrx deberta deberta-v2 decision_transformer
    deepseek deepseek_v2 deepseek_v3 deit detr dinov2 distilbert donut dpt efficientnet electra
    encoder-decoder ernie esm exaone falcon falcon_mamba flaubert flava flux fnet fsmt funnel gemma
    gemma2 gemma3 gemma3_text git glm glm4 gpt-sw3 gpt2 gpt_bigcode gpt_neo gpt_neox
    gpt_neox_japanese gptj granite granitemoe groupvit hubert ibert idefics idefics2 idefics3
    imagegpt internlm internlm2 jamba jetmoe layoutlm layoutlmv2 layoutlmv3 led levit lilt llama
    llama4 llava llava_next llava_onevision longformer longt5 luke m2m_100 mamba mamba2 marian
    markuplm mask2former maskformer mbart mctct megatron-bert mgp-str minicpm mistral mistral3
    mixtral mllama mobilebert mobilenet_v2 mobilevit moondream mpnet mpt mt5 musicgen mvp nemotron
    nllb nllb-moe nystromformer olmo olmo2 olmoe openai-gpt opt owlv2 owlvit paligemma pegasus
    pegasus_x perceiver persimmon phi phi3 phi4 phimoe pix2struct plbart poolformer pop2piano
    prophetnet pvt qwen qwen2 qwen2_5_vl qwen2_audio qwen2_moe qwen2_vl qwen3 qwen3_moe rag
    recurrent_gemma reformer regnet rembert resnet roberta roberta-prelayernorm roc_bert roformer
    rwkv sam seamless_m4t segformer sew siglip smollm3 speech_to_text speecht5 splinter squeezebert
    stablelm stable-diffusion stable-diffusion-xl starcoder2 swin swin2sr swinv2 switch_transformers
    t5 table-transformer tapas timesformer trocr tvlt umt5 unispeech videomae vilt
    vision-encoder-decoder visual_bert vit vit_mae vit_msn vits wav2vec2 wav2vec2-bert
    wav2vec2-conformer wavlm whisper xclip xglm xlm xlm-roberta xlm-roberta-xl xlnet xmod yolos yoso
    zamba zamba2
    """.split()  # noqa: SIM905 - a word list reads better than 250 quoted strings
)


def _first_tag_in(tags: pd.Series, names: frozenset[str]) -> tuple[np.ndarray, list[str]]:
    """Per row, the first tag that is in ``names``: ``(codes, categories)``, code -1 where
    none — vectorised with Arrow, no Python object per tag."""
    n = len(tags)
    codes = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return codes, []
    if isinstance(tags.dtype, pd.ArrowDtype):
        arr = tags.array.__arrow_array__()
    else:
        arr = pa.chunked_array([pa.array([list(t) if _is_listlike(t) else None for t in tags],
                                         pa.list_(pa.string()))])
    flat = pc.list_flatten(arr)
    if len(flat) == 0:
        return codes, []
    hit = pc.fill_null(pc.is_in(flat, value_set=pa.array(sorted(names))), False)
    rows = pc.filter(pc.list_parent_indices(arr), hit).to_numpy()
    vals = pc.filter(flat, hit)
    vals = vals.combine_chunks() if isinstance(vals, pa.ChunkedArray) else vals
    d = pc.dictionary_encode(vals)
    idx = d.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    codes[rows[first]] = idx[first]
    return codes, [str(v) for v in d.dictionary.to_pylist()]


def _is_listlike(v: Any) -> bool:
    return isinstance(v, (list, tuple, set, frozenset, np.ndarray))


def _architecture(models: pd.DataFrame) -> pd.Categorical:
    if "tags" in models:
        codes, cats = _first_tag_in(models["tags"], ARCHITECTURE_TAGS)
    else:
        codes, cats = np.full(len(models), -1, dtype=np.int64), []
    if "extra" in models:
        # config.model_type / gguf.architecture of records that carry them (vectorised regex, no parsing)
        extra = models["extra"].astype("string")
        cand = extra.str.contains('"(?:model_type|architecture)"', regex=True).fillna(False).to_numpy(dtype=bool)
        idx = np.flatnonzero(cand)
        if len(idx):
            sub = extra.iloc[idx]
            lookup = {c: i for i, c in enumerate(cats)}
            for pat in (r'"architecture"\s*:\s*"([^"]+)"', r'"model_type"\s*:\s*"([^"]+)"'):
                found = sub.str.extract(pat, expand=False).str.lower()
                hit = found.notna().to_numpy()
                for v in pd.unique(found[hit]):
                    if v not in lookup:
                        lookup[v] = len(cats)
                        cats.append(v)
                codes[idx[hit]] = found[hit].map(lookup).to_numpy(dtype=np.int64)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def _metadata_text(models: pd.DataFrame) -> pd.Series:
    """The metadata record as text: ``key: value`` lines of the record's fields (lists
    space-joined), in the spirit of the paper's "full JSON" of each model."""
    skip = {"card", "card_length", "card_template", "created_at_raw"}  # created_at_raw repeats created_at
    parts = []
    for col in models.columns:
        if col in skip:
            continue
        s = models[col]
        if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_list(s.dtype.pyarrow_dtype):
            joined = pc.binary_join(s.array.__arrow_array__().cast(pa.list_(pa.string())), " ")
            text = pd.Series(joined.to_numpy(zero_copy_only=False), dtype="string")
        else:
            text = s.astype("string")
        parts.append((col + ": ") + text.fillna(""))
    if not parts:
        return pd.Series([None] * len(models), dtype=object)
    out = parts[0]
    for p in parts[1:]:
        out = out + "\n" + p
    return out.astype(object)


def _col(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    def f(models: pd.DataFrame) -> pd.Series:
        return models[name]

    return f


def _license_class(models: pd.DataFrame) -> Any:
    cls = pd.Series(license_classes(models["license"], models.get("license_name")), dtype=object)
    return cls.where(cls != "none", None)  # no licence declared: the trait is not reported


register_trait("license", "categorical", _col("license"), requires=("license",), aliases=("licence",),
               description="declared licence id (lower-case; 'other' keeps license_name)")
register_trait("license_class", "categorical", _license_class, requires=("license",),
               aliases=("licence_class",),
               description="permissiveness class of the licence (hftree.licenses.license_class)")
register_trait("languages", "set", _col("languages"), requires=("languages",), aliases=("language",),
               description="set of ISO-639 language codes")
register_trait("task", "categorical", _col("pipeline_tag"), requires=("pipeline_tag",),
               aliases=("pipeline_tag",), description="pipeline_tag")
register_trait("library", "categorical", _col("library_name"), requires=("library_name",),
               aliases=("library_name",), description="library_name")
register_trait("datasets", "set", _col("datasets"), requires=("datasets",), aliases=("dataset",),
               description="set of training datasets declared")
register_trait("architecture", "categorical", _architecture, requires=("tags",), aliases=("model_type",),
               description="model_type from the record's config/gguf block, else the first architecture tag")
register_trait("parameters", "numeric", _col("parameters"), requires=("parameters",),
               description="parameter count (safetensors.total)")
register_trait("card_length", "numeric", _col("card_length"), requires=("card_length",),
               description="characters of the model card")
register_trait("card_template", "categorical", _col("card_template"), requires=("card_template",),
               aliases=("templated",), description="card is auto-generated or an unfilled template")
register_trait("metadata", "text", _metadata_text, aliases=("metadata_text", "record"),
               description="the metadata record as text ('key: value' lines)")
register_trait("card", "text", _col("card"), requires=("card",), aliases=("card_text",),
               description="the model card text (needs cards)")

#: Traits analysed when none are named: every categorical and set trait of the record.
DEFAULT_TRAITS: tuple[str, ...] = ("license", "languages", "task", "library", "datasets", "architecture")
