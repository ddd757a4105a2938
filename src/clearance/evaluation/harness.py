"""The quality harness: clearance and logic-v2 on the same labelled sets, in one run.

What is measured (``benchmarks/bench_quality.py`` prints it, ``make bench-quality``):

* **perturbation classes**: real listed names (OFAC SDN 2024 and UN),
  perturbed one class at a time, screened against every loaded list. A
  query is found when the listed entity, or another record of the same party
  (see :func:`~clearance.evaluation.datasets.same_party_groups`), scores at
  or above the threshold among the results;
* **hard negatives**: alerts (any result at or above the threshold) per 1,000
  names that are on no list;
* **cross-list pairs**: one authority's record screened by its name against
  another authority's record of the same party;
* **ZTE**: the variants of domain.md §1.2 against the ZTE fixture, and an
  unrelated company at "717 Zhongxing Lu" that must not hit;
* **calibration and spread** of clearance's scores, a threshold table, a
  Platt fit proposing ``calibration_a``/``calibration_b``, and a suggested
  default threshold.

logic-v2 runs on the same queries: for each one it scores the expected
entity (and its other records) directly, as if its retrieval were perfect,
plus the top ``lv2_candidates`` candidates clearance's index retrieves; a
negative alerts when any of those scores reaches logic-v2's threshold (0.7,
yente's default).
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clearance.evaluation import datasets as ds
from clearance.evaluation import negatives as neg
from clearance.evaluation.logic_v2 import DEFAULT_THRESHOLD as LV2_THRESHOLD
from clearance.evaluation.logic_v2 import LogicV2Scorer
from clearance.evaluation.perturb import (
    ADVERSARIAL,
    BASELINE,
    BENIGN,
    CLASSES,
    DEGRADED,
    GROUP_TARGETS,
)
from clearance.matching import DEFAULT_CONFIG, MatchConfig, Query, compare, prepare_query
from clearance.model import Entity

GROUPS = (BASELINE, BENIGN, ADVERSARIAL, DEGRADED)
THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
BINS = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0001))
NEGATIVE_TARGET = 5.0
"""Alerts per 1,000 hard negatives at the default threshold (issue target)."""

ZTE_VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("Zhongxing Telecommunications Equipment Corporation", "zte-corporation", "as listed"),
    ("ZTE Corporation", "zte-corporation", "short name"),
    ("ZTE Corp.", "zte-corporation", "short name, abbreviated legal form"),
    ("Zhongzing Telecommunications Equipment Corporation", "zte-corporation",
     "typo in law-firm copies"),
    ("Z HONGXING TELECOMMUNICATIONS EQUIPMENT CORPORATION", "zte-corporation",
     "OCR: split word"),
    ("Zhongxing Telecommuni cations Equipment Corporation", "zte-corporation",
     "OCR: split word"),
    ("Zhongxing Telecommunications Equjpment Corporation", "zte-corporation", "OCR: i/j"),
    ("Zhongxing Telecommunication Equipment Corp", "zte-corporation",
     "singular (Wikipedia's former name)"),
    ("Zhongxing Telecom Equipment Co.", "zte-corporation", "abbreviations"),
    ("中兴通讯", "zte-corporation", "Chinese short name"),
    ("中兴通讯股份有限公司", "zte-corporation", "Chinese legal name"),
    ("中興通訊", "zte-corporation", "traditional characters"),
    ("ZTE Kangxun Telecommunications Ltd.", "zte-kangxun", "as listed"),
    ("ZTE Kangzun Telecommunications", "zte-kangxun", "typo (IranWatch title)"),
    ("Zte Kangxun Telecom Co Ltd", "zte-kangxun", "casing, abbreviation"),
    ("Shenzen ZTE Kangxun Telecom Co. Ltd.", "zte-kangxun", "Shenzen typo in the a.k.a."),
    ("ZTE Parsian", "zte-parsian", "as listed"),
    ("Z.T.E. Parsian", "zte-parsian", "dotted acronym"),
    ("Beijing 8-Star International Co.", "beijing-8-star", "as listed"),
    ("Beijing Eight Star International", "beijing-8-star", "number spelt out"),
    ("Beijing 8 Star Intl", "beijing-8-star", "punctuation, abbreviation"),
    ("Shi Lirong", "shi-lirong", "as listed"),
    ("SHI, Lirong", "shi-lirong", "surname first with comma"),
    ("Lirong Shi", "shi-lirong", "given name first"),
)
"""domain.md §1.2 fixtures: each must find that entry of the ZTE fixture."""

ZTE_ADDRESS_CASES: tuple[tuple[str, str, str], ...] = (
    ("Acme Widgets Ltd", "717 Zhongxing Lu, Shenzhen", "Organization"),
    ("Acme Widgets Ltd", "717 Zhongxing Lu, Ningbo, China", "Organization"),
    ("Bright Harbour Logistics Co., Ltd.", "ZTE Plaza, Keji Road South, Shenzhen, China",
     "Organization"),
)
"""Unrelated parties whose address names a ZTE street or building: no ZTE hit allowed."""


@dataclass
class RunConfig:
    """What one run measures, and how much of it."""

    seed: int = 7
    per_stratum: int = 300
    negatives: int = 2000
    lv2_candidates: int = 50
    max_cross: int | None = None
    lists: tuple[str, ...] = tuple(s.name for s in ds.LISTS)
    allow_missing: bool = False
    quick: bool = False


@dataclass
class Outcome:
    """One labelled query and what both engines made of it."""

    kind: str
    cls: str
    group: str
    query: str
    schema: str
    expected: str = ""
    expected_id: str = ""
    score: float = 0.0
    log_odds: float | None = None
    lv2: float = 0.0
    top_name: str = ""
    top_score: float = 0.0
    top_id: str = ""
    direct: float = 0.0
    """The expected record's score when compared directly (retrieval bypassed)."""
    lv2_top: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evidence:
    """Scored results of every query, labelled, for calibration and the Platt fit."""

    z: list[float] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    label: list[int] = field(default_factory=list)
    stratum: list[str] = field(default_factory=list)
    lv2_score: list[float] = field(default_factory=list)
    lv2_label: list[int] = field(default_factory=list)
    false_high: list[dict[str, Any]] = field(default_factory=list)
    """A sample of results labelled false that scored 0.9 or more (what spoils calibration)."""


class Harness:
    """Runs every labelled set through clearance's Screener and logic-v2."""

    def __init__(self, entities: list[Entity], config: MatchConfig = DEFAULT_CONFIG,
                 groups: dict[str, frozenset[str]] | None = None,
                 lv2_candidates: int = 50, log: Callable[[str], None] | None = None) -> None:
        from clearance.screening import Screener

        self.entities = entities
        self.by_id = {e.id: e for e in entities}
        self.config = config
        self.screener = Screener(entities, config=config)
        self.groups = groups or {}
        self.lv2 = LogicV2Scorer()
        self.lv2_candidates = lv2_candidates
        self.evidence = Evidence()
        self.log = log or (lambda message: None)
        self._keys = {e.id: {ds.name_key(n.value) for n in e.all_names()} for e in entities}
        self._owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for entity_id, keys in self._keys.items():
            for key in keys:
                self._owners[key].add(entity_id)
        self._row = {p.entity.id: i for i, p in enumerate(self.screener.prepared)}
        self.skipped: Counter[str] = Counter()

    def group(self, entity_id: str) -> frozenset[str]:
        return self.groups.get(entity_id, frozenset({entity_id}))

    # -- one query -------------------------------------------------------------

    def run_query(self, outcome: Outcome, query: Query, expected: frozenset[str] | None,
                  ambiguous_keys: set[tuple[str, ...]] | None = None,
                  ignore: frozenset[str] = frozenset()) -> Outcome:
        """Screen ``query``; ``expected`` the ids that count as found (None: a negative).

        Results on ``ignore`` (a cross-list query's own records) and on other
        parties listed under the same name (``ambiguous_keys``) are neither
        true nor false: they stay out of the calibration evidence.
        """
        results = [r for r in self.screener.screen(query, limit=50 + len(ignore))
                   if r.entity.id not in ignore]
        ambiguous_keys = ambiguous_keys or set()
        best: tuple[float, float | None] = (0.0, None)
        top = None
        for result in results:
            entity_id = result.entity.id
            z = result.explanation.get("log_odds")
            is_true = expected is not None and entity_id in expected
            if is_true:
                if result.score > best[0]:
                    best = (result.score, z)
            elif top is None:
                top = result
            if z is None:
                continue
            if not is_true and self._keys.get(entity_id, set()) & ambiguous_keys:
                continue  # the same name listed for someone else: neither true nor false
            self.evidence.z.append(float(z))
            self.evidence.score.append(result.score)
            self.evidence.label.append(int(is_true))
            self.evidence.stratum.append(_stratum(outcome.schema))
            if not is_true and result.score >= 0.9 and len(self.evidence.false_high) < 200:
                self.evidence.false_high.append({
                    "kind": outcome.kind, "class": outcome.cls, "query": outcome.query,
                    "expected": outcome.expected, "hit": result.entity.name,
                    "hit_id": entity_id, "score": result.score,
                    "matched": result.explanation.get("name", {}).get("matched")})
        outcome.score, outcome.log_odds = best
        if expected is None and results:
            top = results[0]
            outcome.score = top.score
            outcome.log_odds = top.explanation.get("log_odds")
        if top is not None:
            outcome.top_name, outcome.top_score, outcome.top_id = \
                top.entity.name, top.score, top.entity.id
        if expected is not None:
            pq = prepare_query(query)
            outcome.direct = max((compare(pq, self.screener.prepared[self._row[i]], self.config,
                                          self.screener.index.word_weight).score
                                  for i in expected if i in self._row), default=0.0)
        self._run_lv2(outcome, query, expected, ambiguous_keys, ignore)
        return outcome

    def _run_lv2(self, outcome: Outcome, query: Query, expected: frozenset[str] | None,
                 ambiguous_keys: set[tuple[str, ...]], ignore: frozenset[str]) -> None:
        rows = self.screener.index.search(prepare_query(query).forms, self.lv2_candidates) \
            if self.lv2_candidates else []
        candidates = [i for i in (self.screener.prepared[r].entity.id for r in rows)
                      if i not in ignore]
        ids = list(dict.fromkeys([*(expected or ()), *candidates]))
        best_true = best_other = 0.0
        for entity_id in ids:
            entity = self.by_id.get(entity_id)
            if entity is None:
                continue
            score = self.lv2.score(query, entity)
            is_true = expected is not None and entity_id in expected
            if is_true:
                best_true = max(best_true, score)
            else:
                best_other = max(best_other, score)
            if score > 0.0 and (is_true or not self._keys.get(entity_id, set())
                                & ambiguous_keys):
                self.evidence.lv2_score.append(score)
                self.evidence.lv2_label.append(int(is_true))
        outcome.lv2 = best_true if expected is not None else best_other
        outcome.lv2_top = best_other

    # -- the sets ----------------------------------------------------------------

    def positives(self, items: list[ds.Positive]) -> list[Outcome]:
        out = []
        start = time.perf_counter()
        for n, p in enumerate(items, 1):
            expected = self.by_id[p.entity_id]
            group = self.group(p.entity_id)
            if self._owners.get(ds.name_key(p.query), set()) - group:
                # The variant is the name of another listed party: no test of this one.
                self.skipped[p.cls] += 1
                continue
            outcome = Outcome("positive", p.cls, p.group, p.query, p.schema, p.listed_name,
                              p.entity_id, meta={"stratum": p.stratum})
            keys = {ds.name_key(expected.name), ds.name_key(p.query)}
            out.append(self.run_query(outcome, Query(p.query, schema=p.schema), group, keys))
            if n % 1000 == 0:
                self.log(f"  positives {n}/{len(items)} ({time.perf_counter() - start:.0f} s)")
        return out

    def negatives(self, items: list[neg.Negative]) -> list[Outcome]:
        out = []
        for n in items:
            outcome = Outcome("negative", n.kind, "negative", n.name, n.schema,
                              meta={"source": n.source})
            out.append(self.run_query(outcome, Query(n.name, schema=n.schema), None))
        return out

    def cross_list(self, pairs: list[ds.CrossPair], full_record: bool = False) -> list[Outcome]:
        out = []
        for pair in pairs:
            q = pair.query
            query = Query(q.name, schema=ds._query_schema(q.schema))
            label = "name only"
            if full_record:
                label = "name + DOB + countries"
                query.birth_date = q.birth_dates[0] if q.birth_dates else None
                query.countries = sorted({*q.nationalities, *q.citizenships, *q.countries,
                                          *(a.country for a in q.addresses if a.country)})
            outcome = Outcome("cross", pair.kind, label, q.name, query.schema or "",
                              pair.expected.name, pair.expected.id,
                              meta={"evidence": pair.evidence, "query_id": q.id})
            keys = {ds.name_key(pair.expected.name)}
            own = frozenset(i for i in self.group(q.id) if i.split(":", 1)[0] == q.source)
            out.append(self.run_query(outcome, query, pair.expected_ids, keys, own | {q.id}))
        return out

    def zte(self) -> list[dict[str, Any]]:
        rows = []
        for text, key, note in ZTE_VARIANTS:
            expected = f"zte_history:{key}"
            outcome = Outcome("zte", "zte", "zte", text, "", self.by_id[expected].name, expected)
            self.run_query(outcome, Query(text), frozenset({expected}))
            rows.append({"query": text, "note": note, "expected": outcome.expected,
                         "score": outcome.score, "found": outcome.score >= self.config.threshold,
                         "lv2": outcome.lv2, "lv2_found": outcome.lv2 >= LV2_THRESHOLD,
                         "top": outcome.top_name if outcome.top_score > outcome.score else ""})
        for name, address, schema in ZTE_ADDRESS_CASES:
            query = Query(name, schema=schema, address=address)
            results = self.screener.screen(query, limit=50)
            hits = [r for r in results if r.score >= self.config.threshold]
            zte_hits = [r for r in hits if r.entity.source == "zte_history"]
            lv2_hits = [e for e in self.entities if e.source == "zte_history"
                        and self.lv2.score(query, e) >= LV2_THRESHOLD]
            rows.append({"query": f"{name} | address: {address}", "note": "must NOT hit ZTE",
                         "expected": "(no ZTE hit)",
                         "score": max((r.score for r in zte_hits), default=0.0),
                         "found": not zte_hits, "lv2": 0.0, "lv2_found": not lv2_hits,
                         "top": ", ".join(f"{r.entity.name} {r.score:.2f}" for r in hits[:3]),
                         "any_hit": bool(hits)})
        return rows


def _stratum(schema: str) -> str:
    return {"Person": "Person", "Vessel": "Vessel", "Airplane": "Vessel"}.get(schema,
                                                                              "Organization")


# -- metrics -------------------------------------------------------------------

def recall(outcomes: Iterable[Outcome], threshold: float, lv2: bool = False) -> float:
    items = list(outcomes)
    if not items:
        return float("nan")
    hits = sum(1 for o in items if (o.lv2 if lv2 else o.score) >= threshold)
    return hits / len(items)


def alerts_per_1000(outcomes: Iterable[Outcome], threshold: float, lv2: bool = False) -> float:
    items = list(outcomes)
    if not items:
        return float("nan")
    hits = sum(1 for o in items if (o.lv2 if lv2 else o.score) >= threshold)
    return 1000.0 * hits / len(items)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0)))


def platt_fit(z: list[float], label: list[int], l2: float = 1e-4) -> dict[str, float]:
    """Logistic regression of the label on clearance's log-odds: P(true) = sigmoid(a z + b)."""
    x = np.asarray(z, dtype=float)
    y = np.asarray(label, dtype=float)
    if len(x) < 10 or y.min() == y.max():
        return {"a": float("nan"), "b": float("nan"), "n": float(len(x))}
    def logloss(aa: float, bb: float) -> float:
        p = np.clip(_sigmoid(aa * x + bb), 1e-12, 1 - 1e-12)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) \
            + 0.5 * l2 * aa * aa / len(x)

    # Newton's method with step halving (plain Newton can overshoot on separable data).
    a, b = 0.0, 0.0
    loss = logloss(a, b)
    for _ in range(100):
        p = _sigmoid(a * x + b)
        w = np.clip(p * (1 - p), 1e-9, None)
        ga = float(np.sum((p - y) * x)) + l2 * a
        gb = float(np.sum(p - y))
        haa = float(np.sum(w * x * x)) + l2
        hab = float(np.sum(w * x))
        hbb = float(np.sum(w))
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6:
            new_loss = logloss(a - step * da, b - step * db)
            if new_loss <= loss:
                break
            step /= 2
        a, b = a - step * da, b - step * db
        converged = abs(loss - new_loss) < 1e-10
        loss = new_loss
        if converged:
            break

    return {"a": round(a, 4), "b": round(b, 4), "n": float(len(x)),
            "positives": float(y.sum()), "logloss_fitted": round(logloss(a, b), 4)}


def calibration_table(scores: list[float], labels: list[int]) -> list[dict[str, Any]]:
    rows = []
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)
    for lo, hi in BINS:
        mask = (s >= lo) & (s < hi)
        n = int(mask.sum())
        rows.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": n,
                     "true": int(y[mask].sum()) if n else 0,
                     "share_true": float(y[mask].mean()) if n else float("nan"),
                     "mean_score": float(s[mask].mean()) if n else float("nan")})
    return rows


def _group_recalls(positives: list[Outcome], threshold: float, lv2: bool,
                   rescale: Callable[[Outcome], float] | None = None) -> dict[str, float]:
    out = {}
    for group in GROUPS:
        items = [o for o in positives if o.group == group]
        if rescale is not None:
            out[group] = sum(1 for o in items if rescale(o) >= threshold) / max(len(items), 1)
        else:
            out[group] = recall(items, threshold, lv2)
    return out


def suggest_threshold(positives: list[Outcome], negatives: list[Outcome],
                      score: Callable[[Outcome], float]) -> dict[str, Any]:
    """The highest threshold (0.30-0.95) at which every group meets its recall target."""
    best = None
    for i in range(30, 96):
        t = i / 100
        ok = True
        for group in GROUPS:
            items = [o for o in positives if o.group == group]
            if items and sum(1 for o in items if score(o) >= t) / len(items) \
                    < GROUP_TARGETS[group]:
                ok = False
                break
        if ok:
            best = t
    if best is not None:
        alerts = 1000.0 * sum(1 for o in negatives if score(o) >= best) / max(len(negatives), 1)
        return {"threshold": best, "alerts_per_1000": alerts,
                "rule": "highest threshold meeting every group's recall target"}
    # None meets them: the threshold with the best mean recall within the alert budget.
    fallback = None
    for i in range(30, 96):
        t = i / 100
        alerts = 1000.0 * sum(1 for o in negatives if score(o) >= t) / max(len(negatives), 1)
        if alerts > NEGATIVE_TARGET:
            continue
        recalls = [sum(1 for o in positives if o.group == g and score(o) >= t)
                   / max(sum(1 for o in positives if o.group == g), 1)
                   for g in (BENIGN, ADVERSARIAL, DEGRADED)]
        mean = sum(recalls) / len(recalls)
        if fallback is None or mean > fallback["mean_recall"] + 1e-12:
            fallback = {"threshold": t, "alerts_per_1000": alerts, "mean_recall": mean}
    if fallback is None:
        return {"threshold": None, "rule": "no threshold meets the alert budget"}
    return {**fallback, "rule": "no threshold meets every recall target: best mean recall "
            f"(benign, adversarial, degraded) with <= {NEGATIVE_TARGET:g} alerts per 1,000"}


def _rescaled(fit: dict[str, float]) -> Callable[[Outcome], float]:
    """A result's score under the proposed calibration (from its raw log-odds)."""
    a, b = fit.get("a", float("nan")), fit.get("b", float("nan"))

    def score(o: Outcome) -> float:
        if o.log_odds is None or math.isnan(a):
            return 0.0 if o.log_odds is None else o.score
        return 1.0 / (1.0 + math.exp(-(a * o.log_odds + b)))

    return score


def summarise(positives: list[Outcome], negatives: list[Outcome], cross: list[Outcome],
              zte: list[dict[str, Any]], evidence: Evidence, config: MatchConfig
              ) -> dict[str, Any]:
    """Every figure of the report, as plain data."""
    t = config.threshold
    classes = []
    for cls in CLASSES:
        items = [o for o in positives if o.cls == cls.name]
        if not items:
            continue
        ours, theirs = recall(items, t), recall(items, LV2_THRESHOLD, lv2=True)
        classes.append({"class": cls.name, "group": cls.group, "n": len(items),
                        "clearance": ours, "logic_v2": theirs,
                        "target": GROUP_TARGETS[cls.group],
                        "meets_target": ours >= GROUP_TARGETS[cls.group],
                        "beats_logic_v2": ours > theirs or (ours == theirs == 1.0),
                        "by_stratum": {s: recall([o for o in items if o.meta["stratum"] == s], t)
                                       for s in sorted({o.meta["stratum"] for o in items})}})
    groups = []
    for group in GROUPS:
        items = [o for o in positives if o.group == group]
        if items:
            groups.append({"group": group, "n": len(items), "clearance": recall(items, t),
                           "logic_v2": recall(items, LV2_THRESHOLD, lv2=True),
                           "target": GROUP_TARGETS[group]})
    neg_kinds = []
    for kind in [*neg.SHARES, "all"]:
        items = [o for o in negatives if kind == "all" or o.cls == kind]
        if items:
            neg_kinds.append({"kind": kind, "n": len(items),
                              "clearance": alerts_per_1000(items, t),
                              "logic_v2": alerts_per_1000(items, LV2_THRESHOLD, lv2=True)})
    cross_rows = []
    for label in sorted({o.group for o in cross}):
        for kind in [*sorted({o.cls for o in cross}), "all"]:
            items = [o for o in cross if o.group == label and (kind == "all" or o.cls == kind)]
            if items:
                cross_rows.append({"query": label, "kind": kind, "n": len(items),
                                   "clearance": recall(items, t),
                                   "logic_v2": recall(items, LV2_THRESHOLD, lv2=True)})
    true_scores = [o.score for o in positives if o.score > 0]
    spread = {
        "found_true_hits": len(true_scores),
        "share_at_or_above_0.999": (sum(1 for s in true_scores if s >= 0.999)
                                    / max(len(true_scores), 1)),
        "distinct_true_hit_scores": len({round(s, 4) for s in true_scores}),
        "distinct_result_scores": len({round(s, 4) for s in evidence.score}),
        "true_hit_deciles": [float(np.quantile(true_scores, q)) if true_scores else float("nan")
                             for q in (0.1, 0.25, 0.5, 0.75, 0.9)],
        "lv2_share_at_1.0": (sum(1 for o in positives if o.lv2 >= 0.999)
                             / max(sum(1 for o in positives if o.lv2 > 0), 1)),
    }
    cross_name = [o for o in cross if o.group == "name only"]
    threshold_rows = []
    for th in THRESHOLDS:
        for engine, lv2 in (("clearance", False), ("logic-v2", True)):
            g = _group_recalls(positives, th, lv2)
            threshold_rows.append({"threshold": th, "engine": engine, **g,
                                   "cross_list": recall(cross_name, th, lv2),
                                   "alerts_per_1000": alerts_per_1000(negatives, th, lv2)})
    fit = platt_fit(evidence.z, evidence.label)
    fits_by_stratum = {
        stratum: platt_fit([z for z, s in zip(evidence.z, evidence.stratum, strict=True)
                            if s == stratum],
                           [y for y, s in zip(evidence.label, evidence.stratum, strict=True)
                            if s == stratum])
        for stratum in sorted(set(evidence.stratum))}
    rescaled = _rescaled(fit)
    proposed_scores = [1.0 / (1.0 + math.exp(-(fit["a"] * z + fit["b"])))
                       for z in evidence.z] if not math.isnan(fit["a"]) else []
    proposal = {
        **fit,
        "by_stratum": fits_by_stratum,
        "current": {"a": config.calibration_a, "b": config.calibration_b},
        "calibration_after": calibration_table(proposed_scores, evidence.label)
        if proposed_scores else [],
        "recall_at_default_after": _group_recalls(positives, t, False, rescaled),
        "alerts_per_1000_after": 1000.0 * sum(1 for o in negatives if rescaled(o) >= t)
        / max(len(negatives), 1),
        "suggested_threshold_after": suggest_threshold(positives, negatives, rescaled),
    }
    failures: dict[str, list[dict[str, Any]]] = {}
    for cls in CLASSES:
        misses = sorted((o for o in positives if o.cls == cls.name and o.score < t),
                        key=lambda o: o.score)
        failures[cls.name] = [_failure(o) for o in misses[:5]]
    for kind in sorted({o.cls for o in cross}):
        misses = sorted((o for o in cross if o.cls == kind and o.group == "name only"
                         and o.score < t), key=lambda o: o.score)
        failures[f"cross: {kind}"] = [_failure(o) for o in misses[:5]]
    false_alerts = sorted((o for o in negatives if o.score >= t), key=lambda o: -o.score)
    return {
        "threshold": t, "logic_v2_threshold": LV2_THRESHOLD,
        "classes": classes, "groups": groups, "negatives": neg_kinds, "cross_list": cross_rows,
        "zte": zte,
        "calibration": calibration_table(evidence.score, evidence.label),
        "calibration_logic_v2": calibration_table(evidence.lv2_score, evidence.lv2_label),
        "spread": spread, "thresholds": threshold_rows, "platt": proposal,
        "suggested_threshold": suggest_threshold(positives, negatives, lambda o: o.score),
        "failures": failures,
        "false_alerts": [{"query": o.query, "kind": o.cls, "hit": o.top_name,
                          "hit_id": o.top_id, "score": o.score, "lv2": o.lv2}
                         for o in false_alerts[:15]],
        "false_high_evidence": evidence.false_high,
        "lv2_false_alerts": [{"query": o.query, "kind": o.cls, "lv2": o.lv2}
                             for o in sorted(negatives, key=lambda o: -o.lv2)[:10]
                             if o.lv2 >= LV2_THRESHOLD],
    }


def _failure(o: Outcome) -> dict[str, Any]:
    return {"query": o.query, "expected": o.expected, "expected_id": o.expected_id,
            "score": o.score, "direct": o.direct, "log_odds": o.log_odds, "lv2": o.lv2,
            "top": o.top_name, "top_score": o.top_score}


# -- the whole run ---------------------------------------------------------------

def run(root: Path, cfg: RunConfig, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Load the lists, build the sets, run both engines; the report as plain data."""
    say = log or (lambda m: print(m, file=sys.stderr))
    timings: dict[str, float] = {}
    start = time.perf_counter()
    warnings: list[str] = []
    lists = ds.load_lists(root, cfg.lists, cfg.allow_missing, warnings)
    for warning in warnings:
        say(f"WARNING: {warning}")
    entities = [e for items in lists.values() for e in items]
    timings["load"] = time.perf_counter() - start
    say(f"loaded {len(entities)} entities: " + ", ".join(f"{k} {len(v)}"
                                                        for k, v in lists.items()))
    df = ds.word_df(entities)
    links = ds.find_links(lists)
    likely = ds.find_likely_links(lists, df)
    groups = ds.same_party_groups(lists, links + likely)
    pairs, linked = ds.cross_list_pairs(lists, links, groups)
    if cfg.max_cross is not None and len(pairs) > cfg.max_cross:
        rng = np.random.default_rng(cfg.seed)
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), cfg.max_cross, replace=False))]
    pool = [e for name in ds.SAMPLED for e in lists.get(name, [])]
    strata = ds.sample_targets(pool, cfg.seed)
    positives_in = ds.build_positives(strata, cfg.per_stratum, cfg.seed, df)
    t0 = time.perf_counter()
    negatives_in, dropped = neg.generate(entities, cfg.negatives, cfg.seed, df)
    timings["negatives_generation"] = time.perf_counter() - t0
    say(f"{len(positives_in)} perturbed names, {len(negatives_in)} hard negatives "
        f"({sum(dropped.values())} candidates dropped as too close to a listed name), "
        f"{len(pairs)} informative cross-list pairs")
    t0 = time.perf_counter()
    harness = Harness(entities, DEFAULT_CONFIG, groups, cfg.lv2_candidates, say)
    timings["index"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    positives = harness.positives(positives_in)
    timings["positives"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    negatives = harness.negatives(negatives_in)
    timings["negatives"] = time.perf_counter() - t0
    cross = harness.cross_list(pairs) + harness.cross_list(pairs, full_record=True)
    zte = harness.zte()
    timings["total"] = time.perf_counter() - start
    report = summarise(positives, negatives, cross, zte, harness.evidence, DEFAULT_CONFIG)
    report["run"] = {
        **asdict(cfg), "entities": {k: len(v) for k, v in lists.items()},
        "warnings": warnings, "positives": len(positives), "negatives": len(negatives),
        "negatives_dropped": dict(dropped),
        "cross_pairs_linked": dict(linked), "cross_pairs_informative": dict(Counter(
            p.kind for p in pairs)),
        "links": dict(Counter(link.kind for link in links + likely)),
        "positives_skipped_as_other_listed_name": dict(harness.skipped),
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "logic_v2_note": (f"logic-v2 scores the expected entity directly (perfect retrieval) "
                          f"plus the top {cfg.lv2_candidates} candidates retrieved by "
                          "clearance's index; threshold 0.7 (yente's default)"),
    }
    report["examples"] = _examples(positives, negatives)
    return report


def _examples(positives: list[Outcome], negatives: list[Outcome]) -> dict[str, list[str]]:
    """A few queries of each class, to see what the classes do."""
    out: dict[str, list[str]] = defaultdict(list)
    for o in positives:
        if len(out[o.cls]) < 3:
            out[o.cls].append(f"{o.expected} -> {o.query}")
    for o in negatives:
        if len(out[f"negative: {o.cls}"]) < 3:
            out[f"negative: {o.cls}"].append(o.query)
    return dict(out)
