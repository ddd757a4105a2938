"""The examiner's report: the audit records of a period as CSV, JSON and one HTML page.

The JSON carries every field of every record, hashes included, and says how
the hashes are computed, so that the chain of the period can be recomputed
independently. The HTML page is self-contained (inline style, no scripts, no
external resources) and readable offline; each record's full payload is in a
collapsible block. All three start with the result of verifying the whole chain
at export time.
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from clearance.audit.trail import AuditRecord, AuditTrail, VerifyReport, day_bounds

FORMATS = ("csv", "json", "html")
HASHING = ("hash = sha256(canonical_json({v: 1, seq, kind, recorded_at, actor, channel, "
           "subject, prev_hash}) + '\\n' + payload), canonical JSON = UTF-8, keys sorted, no "
           "whitespace; prev_hash of the first record is 64 zeros, or after a purge the "
           "last_hash of the signed purge checkpoint. The chain head and purge checkpoints are "
           "signed with HMAC-SHA256 under the deployment's audit key.")
CSV_COLUMNS = ("seq", "recorded_at", "kind", "channel", "actor", "subject", "input", "as_of",
               "threshold", "list_versions", "results", "matches", "alerts", "hash", "prev_hash")


def export(trail: AuditTrail, start: str | None, end: str | None, folder: Path,
           formats: tuple[str, ...] = FORMATS) -> dict[str, Any]:
    """Write ``audit_<from>_<to>.{csv,json,html}`` into ``folder``; return paths and counts."""
    lo, hi = day_bounds(start, end)
    records = list(trail.records(lo, hi))
    report = trail.verify()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"audit_{start or 'start'}_{end or 'now'}"
    meta = {"exported_at": datetime.now(UTC).isoformat(timespec="seconds"), "from": start,
            "to": end, "records": len(records), "kinds": dict(Counter(r.kind for r in records)),
            "chain": {"ok": report.ok, "summary": report.lines()[0],
                      "problems": [p.describe() for p in report.problems],
                      "head_seq": report.head_seq, "head_hash": report.head_hash,
                      "key_id": report.key_id}, "hashing": HASHING}
    paths: dict[str, str] = {}
    if "json" in formats:
        path = folder / f"{stem}.json"
        path.write_bytes(orjson.dumps({**meta, "records": [r.to_dict() for r in records]},
                                      option=orjson.OPT_INDENT_2))
        paths["json"] = str(path)
    if "csv" in formats:
        path = folder / f"{stem}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for record in records:
                writer.writerow(csv_row(record))
        paths["csv"] = str(path)
    if "html" in formats:
        path = folder / f"{stem}.html"
        path.write_text(render_html(records, meta, report), encoding="utf-8")
        paths["html"] = str(path)
    return {**{k: v for k, v in meta.items() if k != "hashing"}, "files": paths}


# Every kind of record the trail holds has its own payload shape: clearance writes
# "screening", "batch", "case_decision" and "purge" (audit, cases), "export_check" (rules)
# and "yente_match" (the HTTP API's /match); anyone may add kinds with AuditTrail.record.
# Each helper below reads the kinds it knows and falls back to nothing for the others,
# so that one unexpected payload never stops an examiner's export.


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _input(record: AuditRecord) -> str:
    p = record.payload
    if record.kind == "screening":
        q = p.get("query") if isinstance(p.get("query"), dict) else {}
        extra = [f"{k}={v}" for k, v in q.items() if k != "name"]
        return "; ".join([str(q.get("name", "")), *extra])
    if record.kind == "batch":
        source = p.get("input") if isinstance(p.get("input"), dict) else {}
        return f"file {source.get('name')} sha256 {source.get('sha256')}"
    if record.kind == "case_decision":
        return f"case {p.get('case_id')}: {p.get('decision')} ({p.get('reason')})"
    if record.kind == "purge":
        return f"purged seq {p.get('first_seq')}..{p.get('last_seq')} ({p.get('count')})"
    if record.kind == "yente_match":
        queries = p.get("queries") if isinstance(p.get("queries"), dict) else {}
        return "; ".join(f"{key}: {_yente_name(q)}" for key, q in queries.items())
    if record.kind == "export_check":
        parties = ", ".join(f"{x.get('role')} {x.get('name')}" for x in _dicts(p.get("parties")))
        return f"transaction {p.get('transaction_id')}: {p.get('decision')}; {parties}"
    return orjson.dumps(p).decode()[:200]


def _yente_name(query: Any) -> str:
    """The name(s) of a yente example entity: ``{"properties": {"name": [...]}}``."""
    props = query.get("properties") if isinstance(query, dict) else None
    names = props.get("name") if isinstance(props, dict) else None
    return " / ".join(map(str, names)) if isinstance(names, list) else str(names or "")


def _versions(record: AuditRecord) -> str:
    # An export check names its list versions "lists"; the other kinds "versions".
    refs = _dicts(record.payload.get("versions")) or (
        _dicts(record.payload.get("lists")) if record.kind == "export_check" else [])
    return "; ".join(f"{v.get('source')}#{v.get('seq')}:{str(v.get('sha256'))[:12]}"
                     for v in refs)


def _results(record: AuditRecord) -> list[dict[str, Any]]:
    """The results of a record, as dicts with name, entity_id, score, match and lists."""
    p = record.payload
    if record.kind == "batch":
        return [r for hit in _dicts(p.get("hits")) for r in _dicts(hit.get("results"))]
    if record.kind == "yente_match":
        per_query = p.get("results") if isinstance(p.get("results"), dict) else {}
        return [{"name": r.get("caption"), "entity_id": r.get("id"), "score": r.get("score"),
                 "match": r.get("match"), "lists": []}
                for results in per_query.values() for r in _dicts(results)]
    if record.kind == "export_check":
        # A party's hits are the list entries it matched (at or above the threshold).
        return [{**hit, "match": True} for party in _dicts(p.get("parties"))
                for hit in _dicts(party.get("hits"))]
    return _dicts(p.get("results"))


def _alerts(record: AuditRecord) -> list[dict[str, Any]]:
    return _dicts(record.payload.get("alerts"))


def _lists(result: dict[str, Any]) -> str:
    lists = result.get("lists")
    return ", ".join(map(str, lists)) if isinstance(lists, list) else ""


def csv_row(record: AuditRecord) -> list[Any]:
    results = _results(record)
    matches = [f"{r.get('name')} [{_lists(r)}] {r.get('score')}"
               for r in results if r.get("match")]
    alerts = [f"case {a.get('case_id')} alert {a.get('alert_id')} {a.get('status')}"
              for a in _alerts(record)]
    return [record.seq, record.recorded_at, record.kind, record.channel, record.actor,
            record.subject or "", _input(record), record.payload.get("as_of") or "",
            record.payload.get("threshold", ""), _versions(record), len(results),
            " | ".join(matches), " | ".join(alerts), record.hash, record.prev_hash]


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f0f0f0}.ok{color:#175e17;font-weight:bold}.bad{color:#a00;font-weight:bold}
.hash{font-family:monospace;font-size:.8em;word-break:break-all}
pre{white-space:pre-wrap;font-size:.8em;background:#fafafa;padding:.5em}
.match{background:#fff3f0}@media print{details{display:none}}
"""


def _result_item(x: dict[str, Any]) -> str:
    e = html.escape
    css = ' class="match"' if x.get("match") else ""
    flag = " MATCH" if x.get("match") else ""
    return (f"<li{css}>{e(str(x.get('name')))} ({e(str(x.get('entity_id')))}) score "
            f"{e(str(x.get('score')))}{flag} {e(_lists(x))}</li>")


def render_html(records: list[AuditRecord], meta: dict[str, Any], report: VerifyReport) -> str:
    e = html.escape
    status = ('<p class="ok">Chain verified: no record changed, deleted, inserted or '
              'reordered.</p>' if report.ok else
              '<p class="bad">Chain verification FAILED:</p><ul>' +
              "".join(f"<li>{e(p.describe())}</li>" for p in report.problems) + "</ul>")
    kinds = ", ".join(f"{e(k)}: {v}" for k, v in sorted(meta["kinds"].items())) or "none"
    rows = []
    for r in records:
        results = _results(r)
        listed = "".join(_result_item(x) for x in results[:20])
        alerts = "".join(f"<li>case {e(str(a.get('case_id')))}, alert "
                         f"{e(str(a.get('alert_id')))}: {e(str(a.get('status')))}</li>"
                         for a in _alerts(r))
        payload = e(orjson.dumps(r.payload, option=orjson.OPT_INDENT_2).decode())
        rows.append(
            f"<tr><td>{r.seq}</td><td>{e(r.recorded_at)}</td><td>{e(r.kind)}</td>"
            f"<td>{e(r.actor)}<br><small>{e(r.channel)}</small></td>"
            f"<td>{e(_input(r))}<br><small>as of {e(str(r.payload.get('as_of') or ''))}, "
            f"threshold {e(str(r.payload.get('threshold', '')))}</small></td>"
            f"<td><small>{e(_versions(r))}</small></td>"
            f"<td><ul>{listed}</ul>{'<ul>' + alerts + '</ul>' if alerts else ''}"
            f"<details><summary>full record</summary><pre>{payload}</pre></details></td>"
            f"<td class='hash'>{e(r.hash)}<br>prev {e(r.prev_hash)}</td></tr>")
    period = f"{meta['from'] or 'the first record'} to {meta['to'] or 'now'}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>clearance audit report {e(period)}</title>
<style>{_STYLE}</style></head><body>
<h1>Screening audit report</h1>
<p>Period: <b>{e(period)}</b> (UTC). Exported {e(meta['exported_at'])}.
{meta['records']} records ({kinds}).</p>
{status}
<p>Chain head: seq {report.head_seq}, hash <span class="hash">{e(report.head_hash)}</span>,
signed with key id {e(str(report.key_id))}.</p>
<p><small>{e(HASHING)}</small></p>
<table><thead><tr><th>seq</th><th>time (UTC)</th><th>kind</th><th>who / channel</th>
<th>input</th><th>list versions (source#seq:sha256)</th><th>results</th><th>hash</th></tr>
</thead><tbody>
{''.join(rows)}
</tbody></table></body></html>
"""
