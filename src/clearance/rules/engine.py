"""The transaction check: parties screened, items classified, rules applied as of a date.

>>> decision = check(load_transaction("order.yaml"), store=Store.open())
>>> decision.decision, decision.exit_code
('prohibited', 30)

Order of work: (1) each item is subject to the EAR or not (U.S.-origin, or
foreign-made with controlled U.S. content above the de minimis level of the
destination's Country Group); (2) the destination and every place named in
the parties' addresses are checked against the embargo measures in force;
(3) every party is screened against the lists in force on the date and each
hit is read by the rule of its list (DPL, EL, UVL, MEU, SDN, others), then
the ownership rules (OFAC/EU/UK 50 percent; the BIS Affiliates Rule when in
force) are followed through the stored ownership links; (4) foreign direct
product questions are asked, never answered. The decision is the most severe
outcome of all reasons: prohibited > license_required > review > clear.

An uncertain hit (score under ``screening.certain``) never gives a hard
outcome: it gives ``review`` with the outcome it would have if confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clearance.audit import AuditTrail
from clearance.errors import ConfigError
from clearance.matching import Query
from clearance.model import Entity, Listing
from clearance.rules.ownership import Ownership, OwnershipFinding, owned_by_listed
from clearance.rules.ruleset import RuleSet
from clearance.rules.transaction import Item, Party, Transaction, parse_transaction
from clearance.screening import Screener, ScreeningResult
from clearance.store import Store

OUTCOMES = ("clear", "review", "license_required", "prohibited")
"""Decisions, least severe first."""

EXIT_CODES = {"clear": 0, "review": 10, "license_required": 20, "prohibited": 30}
"""``clearance check`` exit codes, one per decision (scripts branch on them)."""

Recorder = Callable[[dict[str, Any]], None]


def audit_recorder(store: Store | None, *, channel: str = "python", actor: str | None = None,
                   trail: AuditTrail | None = None) -> Recorder | None:
    """The recorder the CLI and the HTTP API pass to :func:`check`: each decision becomes an
    ``export_check`` record of the audit trail, in the store's database."""
    if store is None and trail is None:
        return None
    chain = trail or AuditTrail(store.engine)  # type: ignore[union-attr]

    def record(decision: dict[str, Any]) -> None:
        subject = (decision.get("transaction") or {}).get("id")
        chain.record("export_check", decision, actor=actor, channel=channel,
                     subject=str(subject) if subject else None)

    return record


def severity(outcome: str) -> int:
    return OUTCOMES.index(outcome)


@dataclass
class Reason:
    """One reason behind a decision: the rule, its citation, what it matched and the items."""

    rule_id: str
    outcome: str
    citation: str
    summary: str
    tag: str | None = None
    party: dict[str, Any] | None = None
    match: dict[str, Any] | None = None
    items: list[int] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in {
            "rule_id": self.rule_id, "outcome": self.outcome, "citation": self.citation,
            "summary": self.summary, "tag": self.tag, "party": self.party, "match": self.match,
            "items": self.items, "actions": self.actions, "details": self.details,
        }.items() if v not in (None, [], {})}


@dataclass
class Decision:
    """The answer for one transaction, with everything needed to show why."""

    decision: str
    transaction_id: str | None
    date: str
    as_of: str
    checked_at: str
    reasons: list[Reason]
    items: list[dict[str, Any]]
    parties: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    settings: dict[str, Any]
    rules: list[dict[str, str]]
    lists: list[dict[str, Any]]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]

    def reasons_for(self, rule_id: str) -> list[Reason]:
        return [r for r in self.reasons if r.rule_id == rule_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision, "exit_code": self.exit_code,
            "transaction_id": self.transaction_id, "date": self.date, "as_of": self.as_of,
            "checked_at": self.checked_at, "reasons": [r.to_dict() for r in self.reasons],
            "items": self.items, "parties": self.parties, "notes": self.notes,
            "questions": self.questions, "settings": self.settings, "rules": self.rules,
            "lists": self.lists,
        }


def check(transaction: Transaction | dict[str, Any], store: Store | None = None, *,
          screener: Screener | None = None, rules: RuleSet | None = None,
          as_of: str | dt.date | None = None, recorder: Recorder | None = None) -> Decision:
    """Check one transaction; the decision with every reason.

    ``store`` gives the lists (a screener is built for the date unless
    ``screener`` is passed) and the ownership links; ``as_of`` replaces the
    transaction date for lists and rules (e.g. to re-check an old order against
    today's lists). ``recorder`` receives the full decision dict (the audit
    trail hook, see :func:`audit_recorder`).
    """
    tx = transaction if isinstance(transaction, Transaction) else parse_transaction(transaction)
    day = _day(as_of) if as_of else tx.date.isoformat()
    rules = rules or RuleSet.default()
    if screener is None:
        if store is None:
            raise ConfigError("a check needs a store (or a screener) to screen the parties")
        screener = Screener.from_store(store, as_of=day)
    elif screener.as_of != day:
        raise ConfigError(f"the screener is for {screener.as_of}, the check for {day}")
    run = _Check(tx, day, rules, screener, store)
    decision = run.decide()
    if recorder is not None:
        recorder(decision.to_dict())
    return decision


class _Check:
    def __init__(self, tx: Transaction, day: str, rules: RuleSet, screener: Screener,
                 store: Store | None) -> None:
        self.tx = tx
        self.day = day
        self.rules = rules
        self.screener = screener
        self.store = store
        self.ownership = Ownership(store) if store is not None else None
        self.reasons: list[Reason] = []
        self.notes: list[dict[str, Any]] = []
        self.questions: list[dict[str, Any]] = []
        cfg = rules.screening
        self.threshold = float(cfg.get("match_threshold", 0.6))
        self.certain = float(cfg.get("certain", 0.9))
        self.versions = {v.source: v for v in screener.versions}
        self.affiliates = rules.affiliates_status(day)

    # -- the whole check -----------------------------------------------------------

    def decide(self) -> Decision:
        self.destinations = self._goods_destinations()
        items = [self._classify(i, item) for i, item in enumerate(self.tx.items)]
        self.subject = [i for i, a in enumerate(items) if a["subject_to_ear"]]
        self._destinations()
        if not self.screener.versions:
            self.reasons.append(Reason(
                rule_id="no-lists-in-force", outcome="review",
                citation="15 CFR part 732 Supp. No. 3; OFAC compliance framework (screening)",
                summary=f"no list version is in force on {self.day} in this store: the parties "
                        "could not be screened"))
        parties = [self._party(i, p) for i, p in enumerate(self.tx.parties)]
        self._fdp_questions(items)
        for q in self.questions:
            if q.get("escalates"):  # an open question that can change the outcome: a reason
                self.reasons.append(Reason(
                    rule_id=q["rule_id"], outcome="review", citation=q["citation"],
                    summary="foreign direct product question to answer: " + q["question"],
                    party=q.get("party"), items=q["items"],
                    details={"entity_ids": q["entity_ids"]} if q.get("entity_ids") else {}))
        worst = max((severity(r.outcome) for r in self.reasons), default=0)
        return Decision(
            decision=OUTCOMES[worst], transaction_id=self.tx.id,
            date=self.tx.date.isoformat(), as_of=self.day,
            checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
            reasons=sorted(self.reasons, key=lambda r: -severity(r.outcome)),
            items=items, parties=parties, notes=self.notes, questions=self.questions,
            settings={"bis_affiliates_rule": self.affiliates,
                      "match_threshold": self.threshold, "certain_score": self.certain,
                      "us_person": self.tx.us_person, "regimes": self.tx.regimes},
            rules=self.rules.versions(),
            lists=[{"source": v.source, "seq": v.seq, "published": v.published,
                    "sha256": v.sha256} for v in self.screener.versions],
        )

    # -- items ---------------------------------------------------------------------

    def _classify(self, index: int, item: Item) -> dict[str, Any]:
        out: dict[str, Any] = {"index": index, "description": item.description,
                               "eccn": item.eccn, "origin": item.origin, "value": item.value}
        if item.origin == "us":
            out.update(subject_to_ear=True, basis="U.S.-origin item (15 CFR 734.3(a)(1))")
            return out
        # the most restrictive group over the destination and the goods path's places
        groups = sorted({g for code in self.destinations
                         for g in self.rules.groups_of(code, self.day)})
        if item.no_de_minimis_content:
            out.update(subject_to_ear=True, basis="foreign-made with U.S. content that has no "
                       f"de minimis level ({self.rules.no_de_minimis_citation})")
            return out
        rule = self.rules.de_minimis_rule(groups, self.day)
        share = item.us_share or 0.0
        threshold = float(rule["threshold"])
        subject = share > threshold
        out["de_minimis"] = {"share": round(share, 4), "threshold": threshold,
                             "destinations": self.destinations, "country_groups": groups,
                             "rule_id": rule["id"], "citation": rule["citation"],
                             "method": "controlled U.S.-origin content value / item value, "
                                       "as declared (fair market value)"}
        comparison = "above" if subject else "at or under"
        out.update(subject_to_ear=subject,
                   basis=f"foreign-made: {share:g}% controlled U.S. content, {comparison} the "
                         f"{threshold:g}% de minimis level ({rule['citation']})")
        return out

    def _items_for(self, applies_to: str, listing: Listing | None = None) -> tuple[list[int], str]:
        """The items a rule reaches, and how the rule reads its scope."""
        if applies_to == "all_items":
            return list(range(len(self.tx.items))), "all items"
        if applies_to == "meu_items":
            return ([i for i in self.subject if self.rules.in_meu_supplement(
                self.tx.items[i].eccn)], "items of Supplement No. 2 to part 744 [M list]")
        if applies_to == "entry_license_requirement":
            text = (listing.license_requirement if listing else None) or ""
            low = text.lower()
            if "supplement no. 2 to part 744" in low:
                return self._items_for("meu_items")
            if not low.strip():
                return list(self.subject), "no licence requirement text: read as all items " \
                                           "subject to the EAR"
            if "except for food or medicine designated as ear99" in low:
                return ([i for i in self.subject
                         if not self.tx.items[i].ear99_food_or_medicine],
                        "all items subject to the EAR except EAR99 food or medicine (entry: "
                        f"{text.strip()[:300]})")
            return list(self.subject), "all items subject to the EAR (entry: " \
                                       f"{text.strip()[:300]})"
        return list(self.subject), "items subject to the EAR"

    # -- destinations --------------------------------------------------------------

    def _goods_destinations(self) -> list[str]:
        """The destination, then the countries and places of the parties the goods go to."""
        out = [self.tx.destination]
        roles = self.rules.goods_path_roles
        for party in self.tx.parties:
            if party.role not in roles:
                continue
            codes = [party.country] if party.country else []
            codes += [h.code for h in self.rules.find_places(party.address)
                      if h.kind != "ambiguous"]
            out += [c for c in codes if c and c not in out]
        return out

    def _destinations(self) -> None:
        self._apply_destination(self.tx.destination, found=None, party=None, index=None)
        goods_path = self.rules.goods_path_roles
        for index, party in enumerate(self.tx.parties):
            for hit in self.rules.find_places(party.name):
                measures = self.rules.measures(hit.code, self.day)
                if not measures:
                    continue
                self.reasons.append(Reason(
                    rule_id="party-name-names-restricted-place", outcome="review",
                    citation="; ".join(m["citation"] for m in measures),
                    summary=f"{_role(party)} {party.name!r}: the name names {hit.found!r} "
                            f"({hit.name}); establish where the party is",
                    party=_party_ref(index, party),
                    details={"destination": hit.code, "found": hit.found,
                             "place_kind": hit.kind}))
            seen: set[str] = set()
            codes = []
            if party.country:
                codes.append((party.country, None))
            for hit in self.rules.find_places(party.address):
                codes.append((hit.code, hit))
            for code, hit in codes:
                if code in seen or code == self.tx.destination \
                        or not self.rules.measures(code, self.day):
                    continue
                seen.add(code)
                if party.role in goods_path and (hit is None or hit.kind != "ambiguous"):
                    self._apply_destination(code, found=hit, party=party, index=index)
                    continue
                name = self.rules.destination(code)["name"]  # type: ignore[index]
                where = f"{hit.found!r} in its address" if hit else "its country"
                self.reasons.append(Reason(
                    rule_id="party-in-restricted-destination", outcome="review",
                    citation="; ".join(m["citation"] for m in self.rules.measures(code, self.day)),
                    summary=f"{_role(party)} {party.name!r} is located in {name} ({where})"
                            + (": the place may be inside the region" if hit and
                               hit.kind == "ambiguous" else ""),
                    party=_party_ref(index, party),
                    details={"destination": code, "found": hit.found if hit else None,
                             "place_kind": hit.kind if hit else "country"}))

    def _apply_destination(self, code: str, found: Any, party: Party | None,
                           index: int | None) -> None:
        measures = self.rules.measures(code, self.day)
        if not measures:
            return
        name = self.rules.destination(code)["name"]  # type: ignore[index]
        where = (f" (found {found.found!r} in the address of {_role(party)} {party.name!r})"
                 if found is not None and party is not None else "")
        for measure in measures:
            details = {"destination": code, "authority": measure["authority"]}
            if found is not None:
                details.update(found=found.found, place_kind=found.kind)
            ref = _party_ref(index, party) if party is not None and index is not None else None
            if measure["authority"] == "OFAC":
                if not self.tx.us_person:
                    self.notes.append({"rule_id": measure["id"], "citation": measure["citation"],
                                       "note": f"{name}: the OFAC program binds U.S. persons; "
                                               "the exporter is not one"})
                    continue
                self.reasons.append(Reason(
                    rule_id=measure["id"], outcome=measure["outcome"],
                    citation=measure["citation"], tag=measure.get("tag"), party=ref,
                    summary=f"destination {name}{where}: OFAC sanctions program in force",
                    items=list(range(len(self.tx.items))), actions=measure.get("actions", []),
                    details=details))
                continue
            if not self.subject:
                self.notes.append({"rule_id": measure["id"], "citation": measure["citation"],
                                   "note": f"{name}: no item is subject to the EAR, so the EAR "
                                           "measure does not reach this transaction"})
                continue
            by_outcome: dict[str, list[int]] = {}
            excepted = [i for i in self.subject if measure.get("except_ear99_food_medicine")
                        and self.tx.items[i].ear99_food_or_medicine]
            if excepted:
                self.notes.append({"rule_id": measure["id"], "citation": measure["citation"],
                                   "items": excepted,
                                   "note": f"{name}: EAR99 food and medicine are excepted from "
                                           "this measure"})
            for i in self.subject:
                if i in excepted:
                    continue
                outcome = measure.get("ear99_outcome") if self.tx.items[i].ear99 else None
                by_outcome.setdefault(outcome or measure["outcome"], []).append(i)
            for outcome, items in by_outcome.items():
                self.reasons.append(Reason(
                    rule_id=measure["id"], outcome=outcome, citation=measure["citation"],
                    tag=measure.get("tag"), party=ref, items=items,
                    summary=f"destination {name}{where}: EAR measure in force for items "
                            "subject to the EAR", actions=measure.get("actions", []),
                    details=details))

    # -- parties -------------------------------------------------------------------

    def _party(self, index: int, party: Party) -> dict[str, Any]:
        query = Query(name=party.name, schema=party.schema_, birth_date=party.birth_date,
                      countries=[party.country] if party.country else [],
                      identifiers=list(party.ids), address=party.address,
                      aliases=list(party.aliases))
        # Every matching listed party counts in the decision, however many there are.
        # With no list in force there is nothing to screen against: the decision's
        # "no-lists-in-force" reason says so, and it is never clear.
        results = [] if self.screener.from_lists and not self.screener.versions else [
            r for r in self.screener.screen(query, threshold=self.threshold, limit=None)
            if r.match]
        hits = []
        for result in results:
            hits.append(self._hit_dict(result))
            for listing in result.listings:
                self._list_hit(index, party, result, listing)
            for note in result.notes:
                self._suspended(index, party, result, note)
            self._owners(index, party, result)
        ref = _party_ref(index, party)
        ref["hits"] = hits
        ref["screened_as"] = query.to_dict()
        return ref

    def _hit_dict(self, result: ScreeningResult) -> dict[str, Any]:
        return {"entity_id": result.entity.id, "name": result.entity.name,
                "schema": result.entity.schema, "score": result.score,
                "certain": result.score >= self.certain, "lists": result.lists,
                "list_version": self._version(result.entity),
                "listings": [_listing(x) for x in result.listings],
                "notes": [_listing(x) for x in result.notes]}

    def _version(self, entity: Entity) -> dict[str, Any] | None:
        v = self.versions.get(entity.source)
        if v is None:
            return None
        return {"source": v.source, "seq": v.seq, "published": v.published, "sha256": v.sha256}

    def _match(self, result: ScreeningResult, listing: Listing) -> dict[str, Any]:
        return {"entity_id": result.entity.id, "name": result.entity.name,
                "list": listing.list, "score": result.score,
                "matched_name": result.explanation.get("name", {}).get("matched"),
                "list_version": self._version(result.entity), "listing": _listing(listing)}

    def _list_hit(self, index: int, party: Party, result: ScreeningResult,
                  listing: Listing) -> None:
        rule = self.rules.list_rule(listing.list, self.day)
        if rule is None:
            self.notes.append({"party": _party_ref(index, party), "entity_id": result.entity.id,
                               "note": f"{listing.list} listing: no rule for this list is in "
                                       f"force on {self.day}"})
            return
        items, scope = self._items_for(rule["applies_to"], listing)
        outcome = rule["outcome"]
        summary = f"{_role(party)} {party.name!r} matches {result.entity.name!r} " \
                  f"({rule['title']})"
        details: dict[str, Any] = {"scope": scope}
        if listing.license_policy:
            details["license_policy"] = listing.license_policy
        if listing.list == "EL":
            details["license_exceptions"] = "none (15 CFR 744.16(b))"
            text = (listing.license_requirement or "").lower()
            if "except" in text or "apart from" in text:
                details["entry_exceptions"] = "the entry excepts some items: check whether " \
                                              "they cover this transaction"
            if "when used in projects" in text or "746.5" in text:
                outcome, summary = "review", summary + ": the requirement depends on the end use"
            if self.rules.fdp_footnote(listing.license_requirement):
                details["fdp_footnote"] = True
                self._fdp_footnote(index, party, result)
        if rule.get("us_persons_only") and not self.tx.us_person:
            outcome, summary = "review", summary + ": the exporter is not a U.S. person " \
                                                   "(secondary sanctions risk)"
        if not items and rule["applies_to"] != "all_items":
            if listing.list in ("MEU",):
                self.notes.append({"party": _party_ref(index, party),
                                   "entity_id": result.entity.id, "rule_id": rule["id"],
                                   "note": f"{rule['title']}: no item of the transaction is in "
                                           "its scope"})
                return
            outcome = "review" if severity(outcome) > severity("review") else outcome
            summary += ": no item is subject to the EAR; confirm the items' jurisdiction"
        if result.score < self.certain:
            summary = (f"possible match (score {result.score:.3f} < {self.certain:g}): "
                       f"{summary}; {outcome} if confirmed")
            details["if_confirmed"] = outcome
            outcome = "review" if severity(outcome) > severity("review") else outcome
        self.reasons.append(Reason(
            rule_id=rule["id"], outcome=outcome, citation=rule["citation"], tag=rule.get("tag"),
            summary=summary, party=_party_ref(index, party), match=self._match(result, listing),
            items=items, actions=list(rule.get("actions") or []), details=details))

    def _suspended(self, index: int, party: Party, result: ScreeningResult,
                   listing: Listing) -> None:
        rule = self.rules.list_rule(listing.list, self.day) or {}
        self.notes.append({
            "rule_id": rule.get("id"), "party": _party_ref(index, party),
            "match": self._match(result, listing),
            "note": f"{listing.list} listing is {listing.status} on {self.day}: it restricts "
                    f"nothing. {rule.get('suspended_note', '')}".strip()})

    # -- ownership -----------------------------------------------------------------

    def _owners(self, index: int, party: Party, result: ScreeningResult) -> None:
        if self.ownership is None:
            return
        entity = result.entity
        regimes = [r for r in self.tx.regimes]
        checks = [(rule, rule["outcome"]) for rule in self.rules.ownership_rules(regimes,
                                                                                 self.day)]
        if self.affiliates["in_force"]:
            checks.append((self.rules.affiliates_rule, "license_required"))
        for rule, outcome in checks:
            lists = set(rule["lists"])

            def listed(e: Entity, lists: set[str] = lists) -> list[Listing]:
                return [x for x in e.listings_on(self.day) if x.list in lists]

            if listed(entity):
                continue  # listed itself: the list rule already spoke
            finding = owned_by_listed(self.ownership, entity.id, self.day, listed,
                                      float(rule["threshold"]), bool(rule.get("inclusive", True)),
                                      bool(rule.get("aggregate", True)))
            if finding is None:
                continue
            self._ownership_reason(index, party, result, rule, outcome, finding)

    def _ownership_reason(self, index: int, party: Party, result: ScreeningResult,
                          rule: dict[str, Any], outcome: str, finding: OwnershipFinding) -> None:
        details = {"ownership": finding.to_dict(), "regime": rule["regime"]}
        owners = ", ".join(f"{o.owner_name} ({'?' if o.share is None else f'{o.share:g}%'})"
                           for o in finding.owners)
        summary = f"{_role(party)} {party.name!r} matches {result.entity.name!r}, owned by " \
                  f"listed parties: {owners}"
        items = list(range(len(self.tx.items)))
        if rule["regime"] == "BIS":
            items = list(self.subject)
        if finding.reaches:
            summary += f" - {finding.total:g}% in all ({rule['title']})"
        elif finding.unknown_share:
            outcome = "review"
            summary += " - a listed owner's share is unknown: establish it"
        elif finding.total >= self.rules.ownership_caution:
            outcome = "review"
            summary += f" - {finding.total:g}%, under the threshold: a significant minority " \
                       "stake (OFAC urges caution)"
        else:
            self.notes.append({"rule_id": rule["id"], "party": _party_ref(index, party),
                               "note": summary + f" - {finding.total:g}%, under the threshold",
                               "details": details})
            return
        if rule.get("us_persons_only") and not self.tx.us_person:
            outcome = "review"
        if rule["regime"] == "BIS" and not items:
            outcome, summary = "review", summary + "; no item is subject to the EAR"
        if result.score < self.certain:
            details["if_confirmed"] = outcome
            summary = f"possible match (score {result.score:.3f}): {summary}"
            outcome = "review" if severity(outcome) > severity("review") else outcome
        self.reasons.append(Reason(
            rule_id=rule["id"], outcome=outcome, citation=rule["citation"], tag=rule.get("tag"),
            summary=summary, party=_party_ref(index, party),
            match={"entity_id": result.entity.id, "name": result.entity.name,
                   "score": result.score, "list": "owned by: " + ", ".join(rule["lists"]),
                   "list_version": self._version(result.entity)},
            items=items, details=details))

    # -- foreign direct product ----------------------------------------------------

    def _fdp_footnote(self, index: int, party: Party, result: ScreeningResult) -> None:
        fdp = self.rules.fdp
        foreign = [i for i, item in enumerate(self.tx.items) if item.origin == "foreign"]
        if not foreign:
            return
        for question in self.questions:  # one question per party, whatever the entries
            if question.get("party", {}).get("index") == index and "entity_ids" in question:
                question["entity_ids"].append(result.entity.id)
                return
        self.questions.append({"rule_id": fdp["id"], "citation": fdp["citation"],
                               "question": fdp["questions"]["footnote_entry"].strip(),
                               "party": _party_ref(index, party),
                               "entity_ids": [result.entity.id], "items": foreign,
                               "escalates": True})

    def _fdp_questions(self, items: list[dict[str, Any]]) -> None:
        fdp = self.rules.fdp
        listed_party = any(r.rule_id in ("bis-entity-list", "bis-military-end-user")
                           for r in self.reasons)
        for entry in items:
            if entry["origin"] != "foreign" or entry["subject_to_ear"]:
                continue
            self.questions.append({
                "rule_id": fdp["id"], "citation": fdp["citation"],
                "question": fdp["questions"]["foreign_item"].strip(), "items": [entry["index"]],
                # with an Entity List or MEU party, the answer can change the decision
                "escalates": listed_party})


def _day(value: str | dt.date) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ConfigError(f"as_of must be a day (YYYY-MM-DD), not {value!r}") from None


def _role(party: Party | None) -> str:
    return party.role.replace("_", " ") if party else "party"


def _party_ref(index: int | None, party: Party | None) -> dict[str, Any]:
    if party is None:
        return {}
    return {"index": index, "role": party.role, "name": party.name}


def _listing(listing: Listing) -> dict[str, Any]:
    return {k: v for k, v in {
        "list": listing.list, "authority": listing.authority, "start": listing.start,
        "end": listing.end, "status": listing.status,
        "federal_register": listing.federal_register,
        "license_requirement": listing.license_requirement,
        "license_policy": listing.license_policy, "note": listing.note,
    }.items() if v}
