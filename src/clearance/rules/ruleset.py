"""The rules as data: the YAML files of ``clearance/rules/data``, read and queried by date.

Each file carries ``format``, ``name`` and ``version``; every rule has an
effective period (``from`` inclusive, ``to`` exclusive, null = open) and its
legal citation with a verification tag. :meth:`RuleSet.load` reads a folder
(the packaged one by default) so that a firm can keep its own reviewed copy;
:meth:`RuleSet.versions` names the files and their digests for every decision.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from clearance.errors import ConfigError

DATA = Path(__file__).parent / "data"
FILES = ("parties", "items", "destinations")
FORMAT = "clearance-rules/1"


def in_period(period: dict[str, Any] | None, day: str, *, start: str = "from",
              end: str = "to") -> bool:
    """Whether ``day`` falls in ``[from, to)``; a missing bound is open."""
    if not period:
        return True
    lo, hi = period.get(start), period.get(end)
    if lo and day < str(lo):
        return False
    return not (hi and day >= str(hi))


@dataclass(frozen=True)
class PlaceHit:
    """An embargoed or restricted place recognised in a text."""

    code: str
    name: str
    found: str
    kind: str  # country | name | city | ambiguous


@dataclass
class RuleSet:
    """The rule files, with look-ups by list code, destination and day."""

    folder: Path
    files: dict[str, dict[str, Any]]
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: str | Path | None = None) -> RuleSet:
        """Read ``parties.yaml``, ``items.yaml`` and ``destinations.yaml`` from ``folder``."""
        base = Path(folder) if folder is not None else DATA
        files: dict[str, dict[str, Any]] = {}
        digests: dict[str, str] = {}
        for name in FILES:
            path = base / f"{name}.yaml"
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise ConfigError(f"cannot read the rule file: {exc.strerror}", path=path) from None
            try:
                data = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path,
                                  line=mark.line + 1 if mark else None) from None
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ConfigError(f"not a rule file (format: {FORMAT} expected)", path=path)
            if not data.get("version"):
                raise ConfigError("the rule file has no version", path=path)
            files[name] = data
            digests[name] = hashlib.sha256(raw).hexdigest()
        ruleset = cls(base, files, digests)
        ruleset._validate()
        return ruleset

    @classmethod
    def default(cls) -> RuleSet:
        """The packaged rule files, read once per process."""
        return _default()

    def _validate(self) -> None:
        """Every rule needs an id and a citation: a rule without a source is refused."""
        parties = self.files["parties"]
        items = self.files["items"]
        rules: list[tuple[str, dict[str, Any]]] = []
        rules += [("parties", r) for r in parties.get("list_rules", [])]
        rules += [("parties", r) for r in parties.get("ownership_rules", [])]
        rules += [("parties", parties["other_lists"]), ("parties", parties["affiliates_rule"])]
        rules += [("items", r) for r in items.get("de_minimis", [])]
        rules += [("items", items["fdp"])]
        for dest in self.files["destinations"].get("destinations", []):
            rules += [("destinations", m) for m in dest.get("measures", [])]
        for name, rule in rules:
            if not rule.get("id") or not rule.get("citation"):
                raise ConfigError(f"a rule without id or citation: {rule!r:.200}",
                                  path=self.folder / f"{name}.yaml")

    def versions(self) -> list[dict[str, str]]:
        """The rule files behind a decision: name, version and sha256."""
        return [{"name": n, "version": str(self.files[n]["version"]),
                 "sha256": self.digests.get(n, "")} for n in FILES]

    # -- parties -----------------------------------------------------------------

    @property
    def screening(self) -> dict[str, Any]:
        return dict(self.files["parties"].get("screening") or {})

    def list_rule(self, code: str, day: str) -> dict[str, Any] | None:
        """The rule for a hit on list ``code`` in force on ``day`` (None if none is)."""
        for rule in self.files["parties"].get("list_rules", []):
            if rule["list"] == code:
                return rule if in_period(rule.get("effective"), day) else None
        other = self.files["parties"]["other_lists"]
        if in_period(other.get("effective"), day):
            return {**other, "list": code, "applies_to": "all_items",
                    "title": f"{code} list - a red flag with program-specific effects"}
        return None

    def ownership_rules(self, regimes: list[str], day: str) -> list[dict[str, Any]]:
        return [r for r in self.files["parties"].get("ownership_rules", [])
                if r["regime"] in regimes and in_period(r.get("effective"), day)]

    @property
    def ownership_caution(self) -> float:
        return float(self.files["parties"].get("ownership_caution_at", 25))

    def affiliates_status(self, day: str) -> dict[str, Any]:
        """The BIS Affiliates Rule on ``day``: status, period, citation (shown in every result)."""
        rule = self.files["parties"]["affiliates_rule"]
        period = next((p for p in rule.get("periods", []) if in_period(p, day)), None)
        status = period["status"] if period else "not_in_force"
        return {"rule_id": rule["id"], "title": rule["title"], "status": status,
                "in_force": status == "in_force",
                "period": {"from": period.get("from"), "to": period.get("to")} if period else None,
                "citation": rule["citation"], "tag": (period or {}).get("tag")}

    @property
    def affiliates_rule(self) -> dict[str, Any]:
        return dict(self.files["parties"]["affiliates_rule"])

    # -- items -------------------------------------------------------------------

    def groups_of(self, code: str, day: str) -> list[str]:
        """The Country Groups (E:1, E:2, ...) of a destination on ``day``."""
        out = []
        for group in self.files["items"].get("country_groups", []):
            if any(m["code"] == code and in_period(m, day) for m in group.get("members", [])):
                out.append(group["group"])
        return out

    def de_minimis_rule(self, groups: list[str], day: str) -> dict[str, Any]:
        rules = [r for r in self.files["items"].get("de_minimis", [])
                 if in_period(r.get("effective"), day)]
        for rule in rules:
            if rule.get("groups") and set(rule["groups"]) & set(groups):
                return rule
        for rule in rules:
            if not rule.get("groups"):
                return rule
        raise ConfigError(f"no de minimis rule in force on {day}", path=self.folder / "items.yaml")

    @property
    def no_de_minimis_citation(self) -> str:
        return str(self.files["items"].get("no_de_minimis_citation", "15 CFR 734.4(a)"))

    @cached_property
    def meu_eccns(self) -> tuple[str, ...]:
        return tuple(str(e).upper() for e in self.files["items"]["meu_supplement_2"]["eccns"])

    @property
    def meu_supplement(self) -> dict[str, Any]:
        return dict(self.files["items"]["meu_supplement_2"])

    def in_meu_supplement(self, eccn: str) -> bool:
        """Whether an ECCN is (a sub-paragraph of) a Supplement No. 2 to part 744 entry."""
        upper = eccn.upper()
        return any(upper == e or upper.startswith(e + ".") for e in self.meu_eccns)

    @property
    def fdp(self) -> dict[str, Any]:
        return dict(self.files["items"]["fdp"])

    def fdp_footnote(self, text: str | None) -> bool:
        """Whether an Entity List licence requirement points at a foreign direct product rule."""
        if not text:
            return False
        low = text.lower()
        return any(marker.lower() in low for marker in self.fdp.get("entry_markers", []))

    # -- destinations ------------------------------------------------------------

    @cached_property
    def _destinations(self) -> dict[str, dict[str, Any]]:
        return {d["code"]: d for d in self.files["destinations"].get("destinations", [])}

    def destination(self, code: str) -> dict[str, Any] | None:
        return self._destinations.get(code)

    def measures(self, code: str, day: str) -> list[dict[str, Any]]:
        """The measures in force on ``day`` for a destination code (empty if none)."""
        dest = self._destinations.get(code)
        if dest is None:
            return []
        return [m for m in dest.get("measures", []) if in_period(m, day)]

    @property
    def goods_path_roles(self) -> set[str]:
        return set(self.files["destinations"].get("goods_path_roles", []))

    @cached_property
    def _place_patterns(self) -> list[tuple[str, str, str, str]]:
        """(normalised pattern, code, kind, original), longest first."""
        out = []
        for dest in self._destinations.values():
            places = dest.get("places") or {}
            for key, kind in (("names", "name"), ("cities", "city"), ("ambiguous", "ambiguous")):
                for value in places.get(key) or []:
                    norm = normalize_place(str(value))
                    if norm:
                        out.append((norm, dest["code"], kind, str(value)))
        out.sort(key=lambda p: -len(p[0]))
        return out

    def find_places(self, text: str | None) -> list[PlaceHit]:
        """Embargoed or restricted places named in a free text (an address), each code once."""
        if not text:
            return []
        hay = f" {normalize_place(text)} "
        hits: dict[str, PlaceHit] = {}
        for norm, code, kind, original in self._place_patterns:
            if f" {norm} " in hay:
                current = hits.get(code)
                # a sure name beats an ambiguous one for the same destination
                if current is None or (current.kind == "ambiguous" and kind != "ambiguous"):
                    hits[code] = PlaceHit(code, self._destinations[code]["name"], original, kind)
                hay = hay.replace(f" {norm} ", " # ")
        return list(hits.values())


@lru_cache(maxsize=1)
def _default() -> RuleSet:
    return RuleSet.load()


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_place(text: str) -> str:
    """Case, accents and punctuation folded: ``"Yalta, Crimea"`` -> ``"yalta crimea"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())
