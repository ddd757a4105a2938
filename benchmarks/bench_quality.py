"""``make bench-quality``: matching quality on sets built from the real lists, beside logic-v2.

Loads OFAC SDN 2024, UN 2026, CSL 2022, DPL 2023, the OFAC non-SDN list and
the ZTE fixture, then measures clearance and nomenklatura's logic-v2 in the
same run on: real listed names under 18 perturbation classes (recall per
class at each engine's default threshold), hard negatives (alerts per
1,000), cross-list pairs (the same party as different authorities write
it), the ZTE variants, calibration, spread, a threshold table and a Platt
fit for ``MatchConfig.calibration_a/b``. Writes ``out/bench_quality.json``.
See :mod:`clearance.evaluation.harness` for the definitions.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from common import ROOT, data_dir, print_table


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_report(report: dict[str, Any]) -> None:
    run = report["run"]
    t, lt = report["threshold"], report["logic_v2_threshold"]
    print(f"clearance threshold {t} (MatchConfig default), logic-v2 threshold {lt} "
          "(yente default)")
    print(run["logic_v2_note"])
    print("entities loaded: " + ", ".join(f"{k} {v}" for k, v in run["entities"].items()))
    for warning in run["warnings"]:
        print(f"WARNING: {warning}")
    print("same-party links: " + ", ".join(f"{k} {v}" for k, v in run["links"].items()))
    skipped = run["positives_skipped_as_other_listed_name"]
    print(f"perturbed names left out because they are another listed party's name: "
          f"{sum(skipped.values())} {skipped}")

    print_table(f"Recall per perturbation class at the default threshold "
                f"({run['positives']} perturbed real names, up to {run['per_stratum']} per "
                "stratum Person/Organization/Vessel)",
                ["class", "group", "n", "clearance", "logic-v2", "target", "meets target",
                 "beats logic-v2", "clearance by stratum"],
                [[c["class"], c["group"], c["n"], _pct(c["clearance"]), _pct(c["logic_v2"]),
                  _pct(c["target"]), _mark(c["meets_target"]), _mark(c["beats_logic_v2"]),
                  " ".join(f"{k[:3]} {_pct(v)}" for k, v in c["by_stratum"].items())]
                 for c in report["classes"]])
    print_table("Recall per group", ["group", "n", "clearance", "logic-v2", "target"],
                [[g["group"], g["n"], _pct(g["clearance"]), _pct(g["logic_v2"]),
                  _pct(g["target"])] for g in report["groups"]])
    print_table(f"Hard negatives: alerts per 1,000 screened (target <= 5; "
                f"{sum(run['negatives_dropped'].values())} candidates dropped as too close to "
                "a listed name)",
                ["kind", "n", "clearance", "logic-v2"],
                [[n["kind"], n["n"], _num(n["clearance"], 1), _num(n["logic_v2"], 1)]
                 for n in report["negatives"]])
    linked = run["cross_pairs_linked"]
    print_table("Cross-list pairs: recall on real spelling differences (pairs whose names "
                "differ; linked pairs in both directions: "
                + ", ".join(f"{k}: {v}" for k, v in linked.items()) + ")",
                ["query", "link", "n", "clearance", "logic-v2"],
                [[c["query"], c["kind"], c["n"], _pct(c["clearance"]), _pct(c["logic_v2"])]
                 for c in report["cross_list"]])
    print_table("ZTE (domain.md §1.2) against the ZTE fixture and all loaded lists",
                ["query", "variant", "expected", "clearance", "found", "logic-v2", "found",
                 "other hits"],
                [[z["query"], z["note"], z["expected"], _num(z["score"]), _mark(z["found"]),
                  _num(z["lv2"]), _mark(z["lv2_found"]), z["top"]] for z in report["zte"]])
    print_table("Calibration: share of true hits among results per score bin "
                "(positives' expected records true, all other results false; same-name "
                "records of other parties left out)",
                ["score bin", "clearance n", "clearance true", "mean score", "logic-v2 n",
                 "logic-v2 true"],
                [[a["bin"], a["n"], _pct(a["share_true"]), _num(a["mean_score"]), b["n"],
                  _pct(b["share_true"])]
                 for a, b in zip(report["calibration"], report["calibration_logic_v2"],
                                 strict=True)])
    s = report["spread"]
    print_table("Spread of clearance's scores", ["measure", "value"],
                [["expected records found (score > 0)", s["found_true_hits"]],
                 ["share of them scored >= 0.999", _pct(s["share_at_or_above_0.999"])],
                 ["distinct scores among them", s["distinct_true_hit_scores"]],
                 ["distinct scores among all results", s["distinct_result_scores"]],
                 ["deciles 10/25/50/75/90%", " ".join(_num(v) for v in s["true_hit_deciles"])],
                 ["logic-v2: share of found scored 1.0", _pct(s["lv2_share_at_1.0"])]])
    print_table("Threshold table (recall per group, cross-list name only, alerts per 1,000)",
                ["threshold", "engine", "baseline", "benign", "adversarial", "degraded",
                 "cross-list", "alerts/1000"],
                [[r["threshold"], r["engine"], _pct(r["baseline"]), _pct(r["benign"]),
                  _pct(r["adversarial"]), _pct(r["degraded"]), _pct(r["cross_list"]),
                  _num(r["alerts_per_1000"], 1)] for r in report["thresholds"]])
    p = report["platt"]
    after = p["recall_at_default_after"]
    suggested, suggested_after = report["suggested_threshold"], p["suggested_threshold_after"]
    print_table("Platt fit of the label on clearance's raw log-odds (P = sigmoid(a*z + b))",
                ["measure", "value"],
                [["current calibration_a / calibration_b",
                  f"{p['current']['a']} / {p['current']['b']}"],
                 ["proposed calibration_a / calibration_b", f"{p['a']} / {p['b']}"],
                 ["fitted on results (true)", f"{int(p['n'])} ({int(p.get('positives', 0))})"],
                 ["fit per stratum of the query (a / b, n)",
                  "  ".join(f"{k}: {v['a']} / {v['b']} (n={int(v['n'])})"
                            for k, v in p["by_stratum"].items())],
                 ["recall at the default threshold after (base/benign/adv/degr)",
                  " / ".join(_pct(after[g]) for g in ("baseline", "benign", "adversarial",
                                                      "degraded"))],
                 ["alerts per 1,000 after", _num(p["alerts_per_1000_after"], 1)],
                 ["calibration after (bin: share true)",
                  "  ".join(f"{r['bin']}: {_pct(r['share_true'])} (n={r['n']})"
                            for r in p["calibration_after"])],
                 ["suggested default threshold now",
                  f"{suggested.get('threshold')} -> "
                  f"{_num(suggested.get('alerts_per_1000'), 1)} alerts/1000 "
                  f"({suggested.get('rule')})"],
                 ["suggested default threshold after the proposed calibration",
                  f"{suggested_after.get('threshold')} -> "
                  f"{_num(suggested_after.get('alerts_per_1000'), 1)} alerts/1000 "
                  f"({suggested_after.get('rule')})"]])
    rows = []
    for cls, items in report["failures"].items():
        for f in items:
            rows.append([cls, f["query"], f["expected"], _num(f["score"]), _num(f["direct"]),
                         _num(f["log_odds"], 2) if f["log_odds"] is not None else "-",
                         _num(f["lv2"]), f"{f['top']} {_num(f['top_score'])}"])
    print_table("Worst misses of clearance per class (lowest score of the expected record; "
                "'direct': its score compared without retrieval, so screened 0 with direct > 0 "
                "is a retrieval miss)",
                ["class", "query", "expected", "screened", "direct", "log-odds", "logic-v2",
                 "top other hit"], rows)
    print_table("Highest-scoring false alerts on hard negatives (clearance)",
                ["query", "kind", "hit", "score", "logic-v2"],
                [[f["query"], f["kind"], f["hit"], _num(f["score"]), _num(f["lv2"])]
                 for f in report["false_alerts"]])
    print(f"timings (s): {run['timings_s']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small samples (40 per stratum, 400 negatives)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-stratum", type=int, default=None,
                        help="names per class and stratum (default 300, quick 40)")
    parser.add_argument("--negatives", type=int, default=None,
                        help="hard negatives (default 2000, quick 400)")
    parser.add_argument("--lv2-candidates", type=int, default=50,
                        help="clearance-retrieved candidates logic-v2 also scores per query")
    parser.add_argument("--allow-missing", action="store_true",
                        help="run without lists whose format module is missing (not SDN/UN)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench_quality.json")
    args = parser.parse_args()

    from clearance.evaluation.datasets import MissingListError
    from clearance.evaluation.harness import RunConfig, run

    cfg = RunConfig(seed=args.seed,
                    per_stratum=args.per_stratum or (40 if args.quick else 300),
                    negatives=args.negatives or (400 if args.quick else 2000),
                    lv2_candidates=args.lv2_candidates, allow_missing=args.allow_missing,
                    quick=args.quick)
    try:
        report = run(data_dir(), cfg)
    except MissingListError as exc:
        raise SystemExit(f"bench-quality: {exc}") from exc
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
