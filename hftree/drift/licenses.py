"""Licence classes, the relicensing rule table, and the licence-change audit.

**Classes** (:func:`license_class`): ``permissive``, ``copyleft``,
``non-commercial``, ``community`` (model-specific licences with use
restrictions: Llama, Gemma, the RAIL family), ``other`` and ``none``, as
classified and cited by :mod:`hftree.licenses` (the one licence vocabulary; a
licence ``other`` is classified by the licence its ``license_name`` names).

**Audit** (:func:`license_audit`): for every parent → child edge where both
declare a licence, the parent's licence family (:data:`LICENSE_RULES`) says
which licences a derivative may carry. The verdicts are ``ok``, ``violation``
(the child declares a licence its parent's terms do not let it relicense to,
e.g. ``llama3 → apache-2.0``), ``undeclared`` (the child declares nothing) and
``unknown`` (a licence hftree has no rule for). The rules are a reading of the
licence texts cited in each rule — an aid to find edges worth a look, not
legal advice. Whether model weights are a "derivative work" under copyright is
itself unsettled; the rules follow the licences' own definitions (Llama, Gemma
and the RAIL licences define derivatives to include fine-tuned models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._results import Result
from hftree.licenses import NAMED_LICENSE_CLASSES, license_class, license_classes, license_key, license_keys
from hftree.lineage.graph import LineageGraph
from hftree.schema import RelationFilter
from hftree.traits.kinship import DEFAULT_RELATIONS, KinshipStructure
from hftree.traits.tables import align_models

__all__ = [
    "LICENSE_RULES",
    "NAMED_LICENSE_CLASSES",
    "LicenseAudit",
    "LicenseRule",
    "license_audit",
    "license_class",
    "license_key",
    "license_rules",
]


@dataclass(frozen=True)
class LicenseRule:
    """Which licences a derivative of a model under ``parents`` may declare.

    ``allowed`` lists licence ids, ``allowed_classes`` whole classes; ``None`` for both
    means any licence (permissive parents). ``terms`` says what the licence requires of
    derivatives, ``source`` where (licence text and section).
    """

    family: str
    parents: frozenset[str]
    allowed: frozenset[str] | None
    allowed_classes: frozenset[str]
    terms: str
    source: str


_LLAMA3 = frozenset({"llama3", "llama3.1", "llama3.2", "llama3.3"})
_RAIL = frozenset({"creativeml-openrail-m", "openrail", "openrail++", "bigscience-openrail-m",
                   "bigcode-openrail-m", "bigscience-bloom-rail-1.0"})
_NC_MODEL = frozenset({"fair-noncommercial-research-license", "apple-amlr", "intel-research", "h-research",
                       "mrl", "deepfloyd-if-license", "exaone"})

#: The relicensing rules, one per licence family (see the module notes).
LICENSE_RULES: tuple[LicenseRule, ...] = (
    LicenseRule("permissive", frozenset({"any permissive licence"}), None, frozenset(),
                "derivatives may carry additional or different terms (notices kept)",
                "Apache License 2.0 §4 (last paragraph); MIT License (grant 'to sublicense'); "
                "BSD licences (redistribution with notices); CC BY 4.0 §3(a)(4) and §2(a)(5)(B) "
                "(adapters choose their own licence)"),
    LicenseRule("llama2", frozenset({"llama2"}), frozenset({"llama2"}), frozenset(),
                "a copy of the Agreement accompanies any distributed derivative work",
                "Llama 2 Community License Agreement (18 July 2023) §1.b.i"),
    LicenseRule("llama3", _LLAMA3, _LLAMA3, frozenset(),
                "derivatives are distributed with a copy of the Agreement, 'Built with Llama' shown, "
                "model names start with 'Llama'",
                "Meta Llama 3 Community License Agreement (18 April 2024) §1.b.i; Llama 3.1 (23 July 2024), "
                "3.2 (25 September 2024), 3.3 (6 December 2024) Community License Agreements §1.b.i"),
    LicenseRule("llama4", frozenset({"llama4"}), frozenset({"llama4"}), frozenset(),
                "derivatives are distributed with a copy of the Agreement",
                "Llama 4 Community License Agreement (5 April 2025) §1.b.i"),
    LicenseRule("gemma", frozenset({"gemma"}), frozenset({"gemma"}), frozenset(),
                "the use restrictions pass on as an enforceable provision, recipients get the Terms",
                "Gemma Terms of Use (21 February 2024) §3.1 and §3.2"),
    LicenseRule("openrail", _RAIL, _RAIL, frozenset(),
                "the use-based restrictions (paragraph 5 / Attachment A) pass on as an enforceable "
                "provision of the derivative's licence",
                "CreativeML Open RAIL-M (22 August 2022), BigScience OpenRAIL-M, BigScience BLOOM RAIL 1.0 "
                "and BigCode OpenRAIL-M v1: Section III, paragraph 4(a)-(b)"),
    LicenseRule("cc-by-nc", frozenset({"cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0"}), frozenset(),
                frozenset({"non-commercial"}),
                "licensed for non-commercial purposes only; an adapter's licence must not prevent "
                "recipients from complying",
                "CC BY-NC 4.0 §1(i), §2(a)(1) and §3(a)(4) (2.0/3.0: §4(b))"),
    LicenseRule("cc-by-nc-sa", frozenset({"cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0"}),
                frozenset({"cc-by-nc-sa-4.0"}), frozenset(),
                "adapted material under a licence with the same elements (BY-NC-SA), this version or later",
                "CC BY-NC-SA 4.0 §3(b)(1) (3.0: §4(b))"),
    LicenseRule("no-derivatives", frozenset({"cc-by-nd-3.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0",
                                             "cc-by-nc-nd-4.0"}), frozenset(), frozenset(),
                "adapted material may be produced but not shared: any published derivative conflicts",
                "CC BY-ND 4.0 and CC BY-NC-ND 4.0 §2(a)(1)(B)"),
    LicenseRule("non-commercial-model", _NC_MODEL, frozenset(), frozenset({"non-commercial"}),
                "use and derivatives restricted to non-commercial or research purposes",
                "the respective licence texts (FAIR Noncommercial Research License, Apple AMLR, Mistral "
                "Research License, DeepFloyd IF License, EXAONE AI Model License 1.1 - NC)"),
    LicenseRule("gpl-3.0", frozenset({"gpl-3.0", "gpl"}), frozenset({"gpl-3.0", "agpl-3.0"}), frozenset(),
                "the work as a whole is licensed under the GPL",
                "GNU GPL v3 §5(c) and §13"),
    LicenseRule("gpl-2.0", frozenset({"gpl-2.0"}), frozenset({"gpl-2.0", "gpl-3.0"}), frozenset(),
                "derived works licensed as a whole under the GPL (v3 only where 'or later' applies)",
                "GNU GPL v2 §2(b) and §9"),
    LicenseRule("agpl-3.0", frozenset({"agpl-3.0"}), frozenset({"agpl-3.0"}), frozenset(),
                "the work as a whole is licensed under the AGPL", "GNU AGPL v3 §5(c)"),
    LicenseRule("lgpl", frozenset({"lgpl", "lgpl-2.1", "lgpl-3.0", "lgpl-lr"}),
                frozenset({"lgpl-2.1", "lgpl-3.0", "lgpl-lr", "gpl-2.0", "gpl-3.0"}), frozenset(),
                "modified versions stay under the LGPL or move to the GPL",
                "GNU LGPL v3 §2; LGPL v2.1 §2 and §3"),
    LicenseRule("cc-by-sa", frozenset({"cc-by-sa-3.0", "cc-by-sa-4.0"}),
                frozenset({"cc-by-sa-4.0", "gpl-3.0"}), frozenset(),
                "adapted material under BY-SA (same elements, this version or later) or a BY-SA "
                "compatible licence (GPLv3, declared compatible by Creative Commons in 2015)",
                "CC BY-SA 4.0 §3(b)(1); CC BY-SA 3.0 §4(b)"),
    LicenseRule("mpl-2.0", frozenset({"mpl-2.0"}),
                frozenset({"mpl-2.0", "gpl-2.0", "gpl-3.0", "lgpl-2.1", "lgpl-3.0", "agpl-3.0"}), frozenset(),
                "modifications stay under the MPL (or its Secondary Licenses when combined)",
                "Mozilla Public License 2.0 §3.1 and §3.3"),
    LicenseRule("gfdl", frozenset({"gfdl"}), frozenset({"gfdl"}), frozenset(),
                "modified versions are released under precisely this License", "GNU FDL 1.3 §4"),
)

_RULE_OF: dict[str, LicenseRule] = {p: r for r in LICENSE_RULES[1:] for p in r.parents}


def license_rules() -> pd.DataFrame:
    """The rule table: family, parent licences, allowed child licences, terms, source."""
    rows = []
    for r in LICENSE_RULES:
        if r.allowed is None:
            allowed = "any licence"
        else:
            parts = sorted(r.allowed) + [f"any {c} licence" for c in sorted(r.allowed_classes)]
            allowed = ", ".join(parts) if parts else "none (no shared derivatives)"
        rows.append({"family": r.family, "parent_licenses": ", ".join(sorted(r.parents)),
                     "child_may_declare": allowed, "terms": r.terms, "source": r.source})
    return pd.DataFrame(rows)


def _verdict(pk: Any, pclass: str, ck: Any, cclass: str) -> tuple[str, str]:
    if not isinstance(ck, str) or not ck:
        return "undeclared", ""
    rule = _RULE_OF.get(pk) if isinstance(pk, str) else None
    if rule is None and pclass == "permissive":
        rule = LICENSE_RULES[0]
    if rule is None:
        return "unknown", ""
    if rule.allowed is None:
        return "ok", rule.family
    if rule.family == "no-derivatives":
        return "violation", rule.family
    if ck == pk or ck in rule.allowed or cclass in rule.allowed_classes:
        return "ok", rule.family
    if ck in ("other", "unknown") or cclass == "other":
        return "unknown", rule.family
    return "violation", rule.family


@dataclass(frozen=True, repr=False)
class LicenseAudit(Result):
    """Result of :func:`license_audit`.

    Attributes
    ----------
    edges : pandas.DataFrame
        Every audited edge: ``root, parent, child, relation, parent_license, child_license,
        parent_class, child_class, rule, verdict`` (an edge in two families appears in each).
    families : pandas.DataFrame
        Per family: edges audited, verdict counts, violation share and the most common
        violating moves.
    rules : pandas.DataFrame
        The rule table (:func:`license_rules`).
    """

    edges: pd.DataFrame
    families: pd.DataFrame
    rules: pd.DataFrame

    title: ClassVar[str] = "Licence audit"

    @property
    def violations(self) -> pd.DataFrame:
        """Edges whose child declares a licence its parent's licence does not allow."""
        return self.edges[self.edges["verdict"] == "violation"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The violating edges."""
        return self.violations

    @property
    def summary(self) -> pd.DataFrame:
        """Number of distinct edges per verdict: columns ``verdict, edges``, most frequent first."""
        e = self.edges.drop_duplicates(["parent", "child"])
        counts = e["verdict"].value_counts()
        return pd.DataFrame({"verdict": counts.index.astype(str), "edges": counts.to_numpy(dtype=np.int64)})

    def _note(self) -> str:
        s = self.summary
        moves = self.violations.drop_duplicates(["parent", "child"])
        top = (moves["parent_license"] + " → " + moves["child_license"]).value_counts().head(5)
        return (f"{int(s['edges'].sum())} edges; {int((self.families['violations'] > 0).sum())} families with "
                "violations" + ("; top moves: " + ", ".join(f"{m} ({n})" for m, n in top.items()) if len(top) else ""))


def license_audit(data: Any, graph: LineageGraph | None = None, *,
                  relation: RelationFilter = DEFAULT_RELATIONS) -> LicenseAudit:
    """Audit licence changes along parent → child edges (see the module notes for the rules).

    Parameters
    ----------
    data : Snapshot or model table (with ``graph``)
    graph : LineageGraph, optional
    relation : str, sequence of str or None
        Edges audited (default every relation but ``merge``; ``None``: every edge).

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> G = toy_graph()
    >>> a = license_audit(G.models, G)
    >>> a.violations[["parent", "child", "parent_license", "child_license"]].values.tolist()
    [['org/base', 'org/base-GGUF', 'llama3', 'apache-2.0'], ['org/base-lora', 'org/base-GGUF', 'llama3', 'apache-2.0']]
    """
    models, G, node_of_row = align_models(data, graph)
    s = KinshipStructure(G, relation)
    lic = models["license"] if "license" in models else pd.Series([None] * len(models))
    names = models.get("license_name")
    key_rows = license_keys(lic, names)
    cls_rows = license_classes(lic, names)
    key = np.full(G.n_nodes, None, dtype=object)
    cls = np.full(G.n_nodes, "none", dtype=object)
    ok = node_of_row >= 0
    key[node_of_row[ok]] = key_rows[ok]
    cls[node_of_row[ok]] = cls_rows[ok]
    par, chi = s.src_of_out, s.out_indices
    has_parent_lic = np.array([isinstance(k, str) for k in key[par]], dtype=bool) if len(par) else \
        np.zeros(0, dtype=bool)
    par, chi = par[has_parent_lic], chi[has_parent_lic]
    # one verdict per distinct (parent licence, child licence, child class)
    pk, pc_, ck, cc = key[par], cls[par], key[chi], cls[chi]
    lut = {t: _verdict(*t) for t in set(zip(pk, pc_, ck, cc, strict=True))}
    verdict_rule = [lut[(a, b, c, d)] for a, b, c, d in zip(pk, pc_, ck, cc, strict=True)]
    verdict = np.array([v for v, _ in verdict_rule], dtype=object)
    rule = np.array([r for _, r in verdict_rule], dtype=object)
    # families: every root whose family contains the child
    root_l, member = s.families()
    node_root = pd.Series(root_l).groupby(member).agg(list) if len(member) else pd.Series(dtype=object)
    roots_of_child = node_root.reindex(chi).to_numpy(dtype=object) if len(chi) else np.empty(0, dtype=object)
    rel_names = np.asarray(G.edge_frame()["relation"].astype(str).to_numpy(), dtype=object)
    eid = _edge_ids(G, par, chi)
    edges = pd.DataFrame({
        "root": [r if isinstance(r, list) else [] for r in roots_of_child],
        "parent": G.ids[par], "child": G.ids[chi], "relation": rel_names[eid] if len(eid) else [],
        "parent_license": pk, "child_license": ck, "parent_class": cls[par], "child_class": cc,
        "rule": rule, "verdict": verdict,
    }).explode("root")
    edges["root"] = G.ids[edges["root"].astype("Int64").fillna(-1).to_numpy().astype(np.int64)]
    edges = edges.reset_index(drop=True)
    return LicenseAudit(edges, _per_family(edges, G, key), license_rules())


def _edge_ids(G: LineageGraph, par: np.ndarray, chi: np.ndarray) -> np.ndarray:
    key = pd.Index(G.parent * G.n_nodes + G.child)
    return key.get_indexer(par * G.n_nodes + chi)


def _per_family(edges: pd.DataFrame, G: LineageGraph, key: np.ndarray) -> pd.DataFrame:
    cols = ["root", "root_license", "edges_audited", "violations", "ok", "undeclared", "unknown",
            "violation_share", "top_violating_moves", "example_children"]
    if edges.empty:
        return pd.DataFrame(columns=cols)
    counts = edges.groupby(["root", "verdict"]).size().unstack(fill_value=0)
    for v in ("violation", "ok", "undeclared", "unknown"):
        if v not in counts:
            counts[v] = 0
    vio = edges[edges["verdict"] == "violation"]
    moves = (vio["parent_license"] + " → " + vio["child_license"]).groupby(vio["root"]).agg(
        lambda s: "; ".join(f"{m} ({n})" for m, n in s.value_counts().head(3).items()))
    examples = vio.groupby("root")["child"].agg(lambda s: ", ".join(s.head(3)))
    roots = counts.index.to_numpy(dtype=object)
    out = pd.DataFrame({
        "root": roots,
        "root_license": [key[G.node(r)] if r in G else None for r in roots],
        "edges_audited": counts.sum(axis=1).to_numpy(),
        "violations": counts["violation"].to_numpy(),
        "ok": counts["ok"].to_numpy(),
        "undeclared": counts["undeclared"].to_numpy(),
        "unknown": counts["unknown"].to_numpy(),
    })
    declared = out["violations"] + out["ok"]
    out["violation_share"] = np.where(declared > 0, out["violations"] / declared.where(declared > 0, 1), np.nan)
    out["top_violating_moves"] = moves.reindex(roots).fillna("").to_numpy()
    out["example_children"] = examples.reindex(roots).fillna("").to_numpy()
    return out.sort_values(["violations", "edges_audited"], ascending=False).reset_index(drop=True)[cols]
