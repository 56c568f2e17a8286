"""WHO ICTRP XML exports (`<Trials_downloaded_from_ICTRP>` holding `<Trial>` elements).

The ICTRP search portal re-publishes records of every primary registry (ClinicalTrials.gov,
EU CTR, CTIS, JPRN, DRKS, ChiCTR, CRIS, NL-OMON, ...) in one flat shape, but each field keeps
its registry's habits: `<br>`-separated lists, "Drug: X;Drug: Y", EU CTR's "Product Name: ..."
blocks and "(Phase II): yes" check lists, ages such as "18 Years", "18", ">= 20age old",
"60(Year)". Fields are found by element name, never by position; trials are streamed with
iterparse and dropped once read.

Rules worth knowing (they decide what the graph says):
- Identity. An NCT TrialID becomes `nct_id`. Any other TrialID becomes `registry_id` in its
  registry's own form, without the prefix ICTRP adds: "EUCTR2021-000037-14-ES" ->
  "2021-000037-14-ES" (EU CTR keeps one record per member state, so the country suffix stays
  and the bare EudraCT number "2021-000037-14" is added as a secondary id),
  "CTIS2023-507385-11-00" -> "2023-507385-11-00", "JPRN-jRCTs031210288" -> "jRCTs031210288";
  DRKS, ChiCTR, CRIS (KCT...) and NL-OMON ids are already in their registry's form. Secondary
  ids (and ICTRP's bridged child records, `<childs>`) get the same treatment and a scheme from
  their shape, so an NCT one links the trial to the CT.gov trial (owl:sameAs, by the mapper).
- Status keeps ICTRP's word ("Not recruiting", "Authorised", ...); `kg.codes` maps it.
- Phases: EU CTR/CTIS check lists give the phases marked "yes" ("Phase II", ...); a bare "0"
  (ChiCTR) is "Phase 0" for an interventional trial and no phase otherwise; "Not selected"
  means no phase; anything else is kept as written ("Phase 2/Phase 3", "N/A", "3").
- Enrollment: Target_size "120" -> 120; per-group sizes "control group:50;sepsis group:50;"
  are summed (the trial's target is the total); any other shape leaves enrollment unset.
- Dates: Date_enrollement is the start date, as precise as written (day-first when numeric);
  the registration date (Date_registration3, yyyymmdd, else Date_registration) is first_posted.
- Ages: the explicit limits when given; else EU CTR's age-group check list ("under 18? no",
  "Adults (18-64 years) yes", "Elderly (>=65 years) yes" -> 18 to no limit), which is removed
  from the criteria (read as prose, its ">=65 years" would pass for a minimum age).
- Conditions: ';' and line lists are split; bare ICD-10, MedDRA and Orphanet codes dropped;
  EU CTR's MedDRA terms are conditions, its free text too unless it is a paragraph.
- Interventions: "Drug: X;Other: Y" lists, EU product blocks (name + INN/trade name/code as
  other names, a placebo form as "Placebo"), jRCT material blocks, CRIS "Type : name"; arm-like
  texts ("Experimental: X", DRKS "Group 1: ...", ChiCTR "group:value;") become arms; prose
  that names nothing goes to the detailed description, never into an intervention name.
- Contacts keep names and affiliations only; e-mail addresses and phone numbers are dropped.
- has_results is True/False only when `results_yes_no` says so (or a results date is posted);
  a results link alone is not evidence (DRKS always gives one).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from kg import codes
from kg.record import (
    Arm, Design, Eligibility, Identifier, Intervention, Organisation, Outcome, OutcomeKind, PartialDate,
    Person, RecordError, Trial, TrialDate,
)
from kg.text import clean, criteria_items, eligibility_from_text, one_line, parse_age, parse_date
from loaders._ctgov_common import id_scheme, split_masking
from loaders.base import Format, Item, LoaderError, until_broken_xml

VERSION = "1"
ROOT = "Trials_downloaded_from_ICTRP"
TRIAL = "Trial"
El = ET.Element


class BadTrial(ValueError):
    """One trial cannot be read; the message names the field."""


# --- element access ---------------------------------------------------------------------------


def _raw(el: El, *names: str) -> str | None:
    """The first of `names` present with non-blank text (ICTRP spells some fields two ways)."""
    for name in names:
        found = el.find(name)
        if found is not None and found.text and found.text.strip():
            return found.text
    return None


def _line(el: El, *names: str) -> str | None:
    return one_line(clean(_raw(el, *names)))


def _dedupe(values: Iterable[str]) -> list[str]:
    """Registries repeat list entries (one per site or arm); keep the first spelling of each."""
    seen: set[str] = set()
    out: list[str] = []
    for v in values:
        k = " ".join(v.split()).casefold()
        if k and k not in seen:
            seen.add(k)
            out.append(v)
    return out


# --- identifiers --------------------------------------------------------------------------------

_NCT = re.compile(r"^NCT\d{8}$", re.I)
_EU_PREFIXED = re.compile(r"^(?:EUCTR|CTIS)\s*(\d{4}-\d{6}-\d{2}(?:-[A-Z0-9]{2,3})?)$", re.I)
_JPRN_PREFIXED = re.compile(r"^JPRN-(\S+)$", re.I)
_EUDRACT_NATIONAL = re.compile(r"^(\d{4}-\d{6}-\d{2})-[A-Z]{2,3}$")
_NO_ID = {"", "-", "n/a", "na", "none", "nil", "not applicable", "not available"}


def canonical_id(raw: str) -> str:
    """An id as its own registry writes it: ICTRP's "EUCTR"/"CTIS"/"JPRN-" prefixes removed."""
    v = " ".join(raw.split())
    if m := _EU_PREFIXED.match(v):
        return m.group(1).upper()
    if m := _JPRN_PREFIXED.match(v):
        return m.group(1)
    return v.upper() if _NCT.match(v) else v


def _identity(el: El, trial: Trial) -> None:
    raw = _line(el, "TrialID")
    if not raw:
        raise BadTrial("<TrialID> is missing or empty")
    primary = canonical_id(raw)
    if _NCT.match(primary):
        trial.nct_id = primary
    else:
        trial.registry_id = primary
    ids: list[Identifier] = []
    if m := _EUDRACT_NATIONAL.match(primary):  # EU CTR national record -> the trial's number too
        ids.append(Identifier(m.group(1), "EudraCT", type="EudraCT number"))
    text = clean(_raw(el, "Secondary_ID", "SecondaryIDs", "Secondary_IDs")) or ""
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if part.casefold() in _NO_ID:
            continue
        value = canonical_id(part)
        ids.append(Identifier(value, id_scheme(value)))
    # ICTRP "bridges" records of one trial across registries: the children are the same trial.
    for child in re.split(r"[;,\s]+", clean(_raw(el, "childs", "Childs")) or ""):
        if child and child.casefold() not in _NO_ID:
            value = canonical_id(child)
            ids.append(Identifier(value, id_scheme(value), type="ICTRP bridged record"))
    seen = {primary.casefold()}
    for ident in ids:
        if ident.value.casefold() not in seen:
            seen.add(ident.value.casefold())
            trial.secondary_ids.append(ident)


# --- small values -------------------------------------------------------------------------------

_EU_PHASE = re.compile(r"\(\s*Phase\s+([IV]+)\s*\)\s*:\s*(yes|no)\b", re.I)
_NO_PHASE = {"not selected", "not specified", "unknown", "-"}


def phases(raw: str | None, study_type: str | None) -> list[str]:
    """Phase words as the registry states them; EU check lists give the phases marked yes."""
    text = one_line(clean(raw))
    if not text or text.casefold() in _NO_PHASE:
        return []
    marks = _EU_PHASE.findall(text)
    if marks:
        return [f"Phase {roman.upper()}" for roman, answer in marks if answer.lower() == "yes"]
    if text == "0":  # ChiCTR's phase 0; meaningless for an observational study
        return ["Phase 0"] if study_type and "interventional" in study_type.lower() else []
    return [text]


_GROUP_SIZE = re.compile(r"^[^:;]+:\s*(\d+)\s*$")


def enrollment(raw: str | None) -> int | None:
    """Target size: a number, or per-group sizes summed; anything else is left unset."""
    text = one_line(clean(raw))
    if not text:
        return None
    plain = text.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text) else text
    if plain.isdigit():
        return int(plain)
    parts = [p for p in text.split(";") if p.strip()]
    sizes = [m.group(1) for p in parts if (m := _GROUP_SIZE.match(p.strip()))]
    if parts and len(sizes) == len(parts):
        return sum(int(s) for s in sizes)
    return None


_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _date(value: str | None, field: str) -> TrialDate | None:
    """A date in any ICTRP form (yyyymmdd, dd/mm/yyyy, ISO, "April 25, 2024"); bad -> BadTrial."""
    text = one_line(value)
    if not text:
        return None
    parsed: PartialDate | None
    if m := _COMPACT_DATE.match(text):
        try:
            date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            parsed = PartialDate(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            parsed = None
    else:
        parsed = parse_date(text)
    if parsed is None:
        raise BadTrial(f"<{field}>: unreadable date {text!r}")
    return TrialDate(parsed)


_NO_AGE = {"", "n/a", "na", "none", "no limit", "not applicable", "not stated", "no", "-",
           "not specified", "no age limit"}
_AGE_UNIT = re.compile(r"^(\d+(?:\.\d+)?)\s*\(?\s*(years?|months?|weeks?|days?|hours?|y|m|age)?"
                       r"(?:\(s\))?\s*\)?(?:\s*[-\s]?old)?\s*$", re.I)
_AGE_WORD = {"y": "years", "age": "years", "m": "months"}


def age(raw: str | None, bound: str) -> Decimal | None:
    """An age limit in years from ICTRP's forms ("18 Years", "18", ">= 20age old", "60(Year)",
    "16years-old", "19Year(s)", "65+"); no-limit words give None, anything else BadTrial."""
    text = one_line(clean(raw))
    if not text or text.casefold() in _NO_AGE:
        return None
    t = re.sub(r"^(?:[<>]=?|[≤≥=])\s*", "", text)
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*\+", t):
        # "65+" is the open age band "65 and over": a lower bound, and no upper limit at all.
        return Decimal(m.group(1)) if bound == "minimum" else None
    m = _AGE_UNIT.match(t)
    if not m:
        raise BadTrial(f"<Inclusion_age{bound[:3]}>: unreadable age {text!r}")
    unit = (m.group(2) or "years").lower()
    return parse_age(f"{m.group(1)} {_AGE_WORD.get(unit, unit)}")


_SEX_MARK = re.compile(r"\b(female|male)\s*:\s*(yes|no)\b", re.I)


def sex(raw: str | None) -> str | None:
    """"All"/"Both" as written; EU CTR's "Female: yes Male: yes" check list as All/Female/Male."""
    text = one_line(clean(raw))
    if not text:
        return None
    marks = {k.lower(): v.lower() == "yes" for k, v in _SEX_MARK.findall(text)}
    if not marks:
        return text
    female, male = marks.get("female", False), marks.get("male", False)
    return "All" if female and male else "Female" if female else "Male" if male else None


_REGIONS = re.compile(r"^(?:asia|europe|africa|oceania|north america|south america|latin america"
                      r"|middle east|central america|caribbean)\b", re.I)


def countries(raw: str | None) -> list[str]:
    """Country names, each once; JPRN's regions ("Asia except Japan", "Europe") are not countries."""
    text = clean(raw) or ""
    names = [one_line(p) or "" for p in re.split(r"[;\n]", text)]
    return _dedupe(n for n in names if n and not _REGIONS.match(n))


# --- conditions ---------------------------------------------------------------------------------

_MEDDRA_TERM = re.compile(
    r"Term:\s*([^;\n]+?)\s*(?=System Organ Class|Level:|Classification code|MedDRA version|[;\n]|$)",
    re.I)
_EU_CONDITION_END = re.compile(r"MedDRA version|Therapeutic area:", re.I)
_CODE_ONLY = re.compile(r"^(?:[A-Z]\d{2}(?:\.\d+)?|\d{5,}|(?:ORPHA:\d+\s*)+)$", re.I)
MAX_FREE_CONDITION = 200


def conditions(raw: str | None) -> list[str]:
    """Condition names as reported: ';'/line lists split, bare ICD-10/MedDRA/Orphanet codes dropped.

    EU CTR and CTIS give a free-text description, then MedDRA blocks: the MedDRA terms are
    conditions, and so is the free text when it is a name rather than a paragraph.
    """
    text = clean(raw)
    if not text:
        return []
    if _EU_CONDITION_END.search(text):
        free = _EU_CONDITION_END.split(text, maxsplit=1)[0]
        terms = [one_line(m.group(1)) or "" for m in _MEDDRA_TERM.finditer(text)]
        lines = [ln for ln in free.split("\n") if ln.strip()]
        bulleted = len(lines) > 1 and all(re.match(r"^\s*[-*\u2022]", ln) for ln in lines)
        pieces = lines if bulleted else [" ".join(free.split())]
        names = [_strip_bullet(p) for piece in pieces for p in piece.split(";")]
        names = [n for n in names if n and (len(n) <= MAX_FREE_CONDITION or not any(terms))]
        return _dedupe(n.rstrip(" .") for n in names + terms if n)
    parts = [_strip_bullet(p) for p in re.split(r"[;\n]", text)]
    return _dedupe(p.rstrip(" .") for p in parts if p and not _CODE_ONLY.match(p))


def _strip_bullet(text: str) -> str:
    return (one_line(re.sub(r"^\s*[-*\u2022]\s*", "", text)) or "").strip()


# --- interventions and arms -------------------------------------------------------------------

_PRODUCT_KEYS = (
    "Trade Name", "Product Name", "Product Code", "Pharmaceutical Form", "INN or Proposed INN",
    "CAS Number", "Current Sponsor code", "Other descriptive name", "Concentration unit",
    "Concentration type", "Concentration number", "Strength", "Pharmaceutical form of the placebo",
    "Route of administration of the placebo", "Route of administration",
)
_PRODUCT_KEY = re.compile(
    r"(?<![A-Za-z])(" + "|".join(re.escape(k) for k in sorted(_PRODUCT_KEYS, key=len, reverse=True))
    + r")\s*:", re.I)
_PRODUCT_NAME_KEYS = ("product name", "inn or proposed inn", "trade name", "product code",
                      "current sponsor code", "other descriptive name")
_JRCT_KEYS = re.compile(r"^(Generic name etc|INN of investigational material|Therapeutic category code"
                        r"|Dosage and Administration for Investigational material)\s*:\s*(.*)$", re.I)
_INTERVENTION_TYPES = ("Drug", "Device", "Biological", "Procedure/Surgery", "Procedure", "Radiation",
                       "Behavioral", "Genetic", "Dietary Supplement", "Combination Product",
                       "Diagnostic Test", "Other")
_TYPED = re.compile(r"^(" + "|".join(re.escape(t) for t in _INTERVENTION_TYPES) + r")\s*:\s*(.+)$",
                    re.I | re.S)
_ARM_LINE = re.compile(
    r"^(Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention|Other)"
    r"\s*:\s*(.+)$", re.I)
_GROUP_LINE = re.compile(r"^(Group\s*\d+|Arm\s*\d+)\s*:\s*(.*)$", re.I)
_GROUP_PAIR = re.compile(r"^([^:;]*\bgroup\b[^:;]*):\s*([^;]*)$", re.I)
_NOTHING = {"", "-", "no", "none", "n/a", "na", "not applicable", "nil"}
_JUNK = re.compile(r"^(?:please refer to|see protocol|refer to)\b", re.I)
MAX_NAME = 150


def interventions(raw: str | None) -> tuple[list[Intervention], list[Arm], str | None]:
    """(interventions, arms, prose) from the Intervention field, by the shape the registry uses.

    Prose that names no intervention on its own (a sentence about dosing, a DRKS group
    description) is returned apart: it describes the trial, but is no intervention's name.
    """
    text = clean(raw)
    if not text:
        return [], [], None
    if _PRODUCT_KEY.search(text):
        return _eu_products(text), [], None
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if any(_JRCT_KEYS.match(ln) for ln in lines):
        return _jrct_materials(lines), [], None
    if any(_ARM_LINE.match(ln) for ln in lines) and not _all_typed(text):
        return [], _labelled_arms(lines, _ARM_LINE, with_type=True), None
    if _GROUP_LINE.match(lines[0]):
        return [], _labelled_arms(lines, _GROUP_LINE, with_type=False), None
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if parts and all(_GROUP_PAIR.match(p) for p in parts):
        return _group_pairs(parts)
    if _all_typed(text):
        return _typed_list(parts), [], None
    if m := _TYPED.match(lines[0].replace(" : ", ": ", 1)):  # CRIS: "Radiation : name<br>details"
        desc = "\n".join(lines[1:]) or None
        return [Intervention(name=one_line(m.group(2)) or "", type=m.group(1), description=desc)], [], None
    names = [one_line(ln) or "" for ln in lines]
    if any(_JUNK.match(n) for n in names):
        return [], [], None
    if all(len(n) <= MAX_NAME for n in names) and len(names) <= 10:
        return [Intervention(name=n) for n in _dedupe(names)], [], None
    return [], [], text


def _all_typed(text: str) -> bool:
    parts = [p.strip() for p in text.split(";") if p.strip()]
    return bool(parts) and all(_TYPED.match(p) and "\n" not in p for p in parts)


def _typed_list(parts: list[str]) -> list[Intervention]:
    """CT.gov's "Drug: X;Other: Placebo" (repeated once per arm in ICTRP): each once."""
    out: list[Intervention] = []
    seen: set[tuple[str, str]] = set()
    for p in parts:
        m = _TYPED.match(p)
        assert m is not None
        type_, name = m.group(1), one_line(m.group(2)) or ""
        k = (type_.casefold(), " ".join(name.split()).casefold())
        if name and k not in seen:
            seen.add(k)
            out.append(Intervention(name=name, type=type_))
    return out


def _eu_products(text: str) -> list[Intervention]:
    """EU CTR / CTIS "Product Name: ...<br>INN or Proposed INN: ..." blocks, one per product.

    A key seen again starts the next product. The name is the product name, else the INN,
    trade name or code; the other names become other_names. A placebo form means a placebo arm.
    """
    products: list[dict[str, str]] = []
    current: dict[str, str] = {}
    matches = list(_PRODUCT_KEY.finditer(text))
    for i, m in enumerate(matches):
        key = m.group(1).lower()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = (one_line(text[m.end():end]) or "").strip(" ,;")
        if key in current:
            products.append(current)
            current = {}
        current[key] = value
    if current:
        products.append(current)
    out: list[Intervention] = []
    placebo = False
    for prod in products:
        placebo = placebo or bool(prod.get("pharmaceutical form of the placebo"))
        names = _dedupe(v for k in _PRODUCT_NAME_KEYS
                        if (v := prod.get(k, "")) and v.casefold() not in _NOTHING)
        if not names:
            continue
        form = prod.get("pharmaceutical form")
        out.append(Intervention(name=names[0], type="Drug", other_names=names[1:],
                                description=f"Pharmaceutical form: {form}" if form else None))
    if placebo:
        out.append(Intervention(name="Placebo", type="Drug"))
    return _dedupe_interventions(out)


def _jrct_materials(lines: list[str]) -> list[Intervention]:
    """jRCT's "Generic name etc : X / INN of investigational material : Y / Dosage ..." blocks."""
    out: list[Intervention] = []
    block: dict[str, str] = {}

    def flush() -> None:
        name = block.get("generic name etc", "")
        inn = block.get("inn of investigational material", "")
        if name.casefold() in _NOTHING:
            name, inn = inn, ""
        if name and name.casefold() not in _NOTHING:
            distinct = inn.casefold() not in _NOTHING and inn.casefold() != name.casefold()
            others = [inn] if inn and distinct else []
            dose = block.get("dosage and administration for investigational material", "")
            out.append(Intervention(name=name, type="Drug", other_names=others,
                                    description=dose if dose.casefold() not in _NOTHING else None))
        block.clear()

    for ln in lines:
        m = _JRCT_KEYS.match(ln)
        if not m:
            flush()  # "investigational material(s)" / "control material(s)" start a block
            continue
        key = m.group(1).lower()
        if key in block:
            flush()
        block[key] = (one_line(m.group(2)) or "").strip()
    flush()
    return _dedupe_interventions(out)


def _labelled_arms(lines: list[str], pattern: re.Pattern[str], with_type: bool) -> list[Arm]:
    """Arms from "Experimental: X" / "Group 1: ..." lines; following lines describe the arm."""
    arms: list[Arm] = []
    for ln in lines:
        m = pattern.match(ln)
        if m:
            if with_type:
                arms.append(Arm(label=one_line(m.group(2)) or m.group(1), type=m.group(1)))
            else:
                arms.append(Arm(label=one_line(m.group(1)) or "", description=one_line(m.group(2))))
        elif arms:
            desc = arms[-1].description
            arms[-1].description = f"{desc}\n{ln}" if desc else ln
    return arms


def _group_pairs(parts: list[str]) -> tuple[list[Intervention], list[Arm], str | None]:
    """ChiCTR's "control group:No;sepsis group:Drug X;": arms, and interventions where named."""
    arms: list[Arm] = []
    names: list[str] = []
    for p in parts:
        m = _GROUP_PAIR.match(p)
        assert m is not None
        label, value = one_line(m.group(1)) or "", (one_line(m.group(2)) or "")
        named = value.casefold() not in _NOTHING
        arms.append(Arm(label=label, intervention_names=[value] if named else []))
        if named:
            names.append(value)
    return [Intervention(name=n) for n in _dedupe(names)], arms, None


def _dedupe_interventions(items: list[Intervention]) -> list[Intervention]:
    seen: set[str] = set()
    out: list[Intervention] = []
    for it in items:
        k = " ".join(it.name.split()).casefold()
        if k not in seen:
            seen.add(k)
            out.append(it)
    return out


# --- design -------------------------------------------------------------------------------------

_LABELS = {
    "allocation": "allocation", "intervention model": "model", "assignment": "model",
    "primary purpose": "purpose", "study design purpose": "purpose", "masking": "masking",
    "blinding/masking": "masking",
}
_LABEL = re.compile(r"(?<![A-Za-z/])("
                    + "|".join(re.escape(k) for k in sorted(_LABELS, key=len, reverse=True))
                    + r")\s*:", re.I)
_EU_DESIGN = re.compile(
    r"\b(Randomised|Open|Single blind|Double blind|Parallel group|Cross over)\s*:\s*(yes|no)\b", re.I)
_TOKEN_TAIL = re.compile(r"\s*\b(?:controlled trial|trial|study|purpose|assignment)\s*$", re.I)


def design(raw: str | None) -> Design:
    """Allocation, model, purpose and masking when the text states them in words the code
    lists know; otherwise the text is kept whole as the design description."""
    text = one_line(clean(raw))
    d = Design()
    if not text:
        return d
    if _EU_DESIGN.search(text):
        _eu_design(text, d)
    elif _LABEL.search(text):
        _labelled_design(text, d)
    else:
        _token_design(text, d)
    if not any((d.allocation, d.intervention_model, d.primary_purpose, d.masking)):
        d.intervention_model_description = text
    return d


def _set(d: Design, slot: str, word: str) -> None:
    """Fill one design slot with `word` if its code list knows it and the slot is free."""
    word = word.strip(" .,;")
    if not word:
        return
    if slot == "allocation" and not d.allocation and codes.ALLOCATION.lookup(word):
        d.allocation = word
    elif slot == "model" and not d.intervention_model and codes.INTERVENTION_MODEL.lookup(word):
        d.intervention_model = word
    elif slot == "purpose" and not d.primary_purpose and codes.PRIMARY_PURPOSE.lookup(word):
        d.primary_purpose = word
    elif slot == "masking" and not d.masking and codes.masking_of(word):
        d.masking, d.who_masked = split_masking(word)


def _eu_design(text: str, d: Design) -> None:
    marks = {k.lower(): v.lower() == "yes" for k, v in _EU_DESIGN.findall(text)}
    if marks.get("randomised"):
        _set(d, "allocation", "Randomised")
    for key, slot, word in (("open", "masking", "Open Label"), ("single blind", "masking", "Single blind"),
                            ("double blind", "masking", "Double blind"),
                            ("parallel group", "model", "Parallel"), ("cross over", "model", "Crossover")):
        if marks.get(key):
            _set(d, slot, word)


def _labelled_design(text: str, d: Design) -> None:
    matches = list(_LABEL.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end].strip(" .,;")
        _set(d, _LABELS[m.group(1).lower()], value)


def _token_design(text: str, d: Design) -> None:
    """Unlabelled lists ("randomized controlled trial, open(masking not used), parallel ...")."""
    for token in re.split(r"[,;]", text):
        t = token.strip()
        bare = _TOKEN_TAIL.sub("", re.sub(r"\(.*?\)", "", t)).strip()
        for word in (t, bare):
            _set(d, "allocation", word)
            _set(d, "model", word)
            if word.casefold() != "other":  # NL-OMON's "Other" is the control type, not the purpose
                _set(d, "purpose", word)
            if re.search(r"blind|mask|open", t, re.I):
                _set(d, "masking", word)


# --- outcomes -----------------------------------------------------------------------------------

_EU_OUTCOME_LABEL = re.compile(
    r"(Main Objective|Secondary Objective|Primary end point\(s\)|Secondary end point\(s\)"
    r"|Timepoint\(s\) of evaluation of this end point)\s*:", re.I)
_NO_OUTCOME = re.compile(r"^(?:not applicable|none|n/?a|-)\.?$", re.I)


def outcomes(raw: str | None, kind: OutcomeKind) -> list[Outcome]:
    """Outcome measures: EU CTR's labelled end points (with their time points), CT.gov/ChiCTR
    ';' lists, or one line / numbered item each."""
    text = clean(raw)
    if not text:
        return []
    if _EU_OUTCOME_LABEL.search(text):
        return _eu_outcomes(text, kind)
    if ";" in text:
        items = [one_line(p) or "" for p in text.split(";")]
    else:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        bulleted = any(re.match(r"^\s*(?:[-*\u2022]|\d{1,3}\s*[.)])", ln) for ln in lines)
        items = criteria_items(text) if bulleted else [one_line(ln) or "" for ln in lines]
    return [Outcome(kind, m) for m in _dedupe(i for i in items if i and not _NO_OUTCOME.match(i))]


def _eu_outcomes(text: str, kind: OutcomeKind) -> list[Outcome]:
    """"Primary end point(s): ..." sections (bulleted ones give one outcome a bullet), each
    followed by its "Timepoint(s) of evaluation"; the objectives are no outcomes."""
    out: list[Outcome] = []
    section: list[Outcome] = []
    matches = list(_EU_OUTCOME_LABEL.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        block = text[m.end():end].strip(" ;\n")
        label = m.group(1).lower()
        value = (one_line(block) or "").strip(" ;")
        if not value or _NO_OUTCOME.match(value):
            continue
        if label.startswith("timepoint"):
            for o in section:
                o.time_frame = o.time_frame or value
        elif label.endswith("end point(s)"):
            lines = [ln for ln in block.split("\n") if ln.strip()]
            bulleted = len(lines) > 1 and all(re.match(r"^\s*[-*\u2022]", ln) for ln in lines)
            items = criteria_items(block) if bulleted else [value]
            section = [Outcome(kind, one_line(it) or it) for it in items if it.strip()]
            out += section
    return out


# --- eligibility --------------------------------------------------------------------------------

_HEADING = {"inclusion": re.compile(r"^\s*(?:key\s+)?inclusion\s+criteria\s*:?", re.I),
            "exclusion": re.compile(r"^\s*(?:key\s+)?exclusion\s+criteria\s*:?", re.I)}
_INLINE_ITEM = re.compile(r"(?<=[.;,])\s*(?=\d{1,2}\s*[.)]\s*[A-Z])")
_OWN_LINE_EXCLUSION = re.compile(r"^\s*(?:key\s+)?exclusion\s+criteria\s*:?\s*$", re.I | re.M)
_NO_CRITERION = re.compile(r"^(?:not applicable|none|n/?a|-|no exclusion criteria)\.?$", re.I)


def _criteria_block(raw: str | None, which: str) -> str | None:
    """One criteria field with its heading on a line of its own, inline "1. ...,2. ..." split.

    CT.gov's text comes with both headings in the inclusion field and is kept as it is; other
    registries write "Inclusion criteria: ..." inline (or no heading) and get a heading line.
    """
    text = clean(raw)
    if not text:
        return None
    if which == "inclusion" and _OWN_LINE_EXCLUSION.search(text):
        return text
    if m := _HEADING[which].match(text):
        text = text[m.end():]
    text = text.strip()
    if re.match(r"^1\s*[.)]", text):
        text = _INLINE_ITEM.sub("\n", text)
    return f"{which.capitalize()} Criteria:\n{text}" if text else None


_EU_AGE_LINE = re.compile(r"^\s*(?:Are the trial subjects under 18\?|Number of subjects for this age range"
                          r"|F\.1\.\d)", re.I)
_EU_AGE_GROUPS = (  # EU CTR's age-group check list: (label, lowest age, highest age)
    (re.compile(r"trial subjects under 18\?\s*(yes|no)\b", re.I), None, Decimal(17)),
    (re.compile(r"Adults \(18-64 years\)\s*(yes|no)\b", re.I), Decimal(18), Decimal(64)),
    (re.compile(r"Elderly \(>=\s*65 years\)\s*(yes|no)\b", re.I), Decimal(65), None),
)


def eu_age_groups(text: str | None) -> tuple[str | None, Decimal | None, Decimal | None]:
    """EU CTR appends its age-group check list to the inclusion criteria ("Are the trial subjects
    under 18? no ... F.1.3 Elderly (>=65 years) yes"). It is no criterion, and read as prose its
    ">=65 years" would pass for a minimum age: (text without it, lowest age, highest age)."""
    if not text or not _EU_AGE_LINE.search(text) and "under 18?" not in text:
        return text, None, None
    answers = [(lo, hi, m.group(1).lower() == "yes") for pat, lo, hi in _EU_AGE_GROUPS
               if (m := pat.search(text))]
    if len(answers) < len(_EU_AGE_GROUPS):
        return text, None, None
    kept = "\n".join(ln for ln in text.split("\n") if not _EU_AGE_LINE.match(ln)).strip() or None
    included = [(lo, hi) for lo, hi, yes in answers if yes]
    if not included:
        return kept, None, None
    return kept, included[0][0], included[-1][1]


def eligibility(el: El) -> Eligibility:
    inc_text, eu_min, eu_max = eu_age_groups(clean(_raw(el, "Inclusion_Criteria")))
    inc = _criteria_block(inc_text, "inclusion")
    exc = _criteria_block(_raw(el, "Exclusion_Criteria"), "exclusion")
    criteria = "\n\n".join(b for b in (inc, exc) if b) or None
    min_age = age(_raw(el, "Inclusion_agemin"), "minimum")
    max_age = age(_raw(el, "Inclusion_agemax"), "maximum")
    if min_age is None and max_age is None and (eu_min is not None or eu_max is not None):
        min_age, max_age = eu_min, eu_max
    elig = eligibility_from_text(criteria, sex=sex(_raw(el, "Inclusion_gender")),
                                 minimum_age=min_age, maximum_age=max_age)
    elig.inclusion = [c for i in elig.inclusion if not _NO_CRITERION.match(c := i.rstrip(" ,"))]
    elig.exclusion = [c for i in elig.exclusion if not _NO_CRITERION.match(c := i.rstrip(" ,"))]
    return elig


# --- people and organisations ---------------------------------------------------------------------


def _organisations(raw: str | None) -> list[Organisation]:
    text = clean(raw) or ""
    names = [one_line(p) or "" for p in re.split(r"[;\n]", text)]
    return [Organisation(n) for n in _dedupe(n for n in names if n.casefold() not in _NOTHING)]


def contacts(el: El) -> list[Person]:
    """Contact names and affiliations (ICTRP lists them ';'-parallel); no e-mail or phone kept."""
    def split(name: str) -> list[str]:
        return [one_line(p) or "" for p in (clean(_raw(el, name)) or "").split(";")]

    first, last, aff = split("Contact_Firstname"), split("Contact_Lastname"), split("Contact_Affiliation")
    people: dict[str, Person] = {}
    for i in range(max(len(first), len(last))):
        parts = (first[i] if i < len(first) else "", last[i] if i < len(last) else "")
        name = " ".join(x for x in parts if x)
        affiliation = (aff[i] if i < len(aff) else "") or None
        if not name:
            continue
        known = people.setdefault(name.casefold(), Person(name=name, role="Contact", affiliation=affiliation))
        known.affiliation = known.affiliation or affiliation
    return list(people.values())


def has_results(el: El) -> bool | None:
    word = (_line(el, "results_yes_no") or "").lower()
    if word in {"yes", "no"}:
        return word == "yes"
    return True if _line(el, "results_date_posted") else None


# --- one trial ----------------------------------------------------------------------------------


def trial_from_element(el: El) -> Trial:
    """One `<Trial>` as a neutral record; BadTrial names the field that cannot be read."""
    t = Trial()
    _identity(el, t)
    t.title = _line(el, "Public_title")
    t.official_title = _line(el, "Scientific_title")
    t.acronym = _line(el, "Acronym")
    if sponsor := _line(el, "Primary_sponsor"):
        t.lead_sponsor = Organisation(sponsor)
    t.collaborators = [o for o in _organisations(_raw(el, "Secondary_Sponsor", "Secondary_Sponsors"))
                       if not t.lead_sponsor or o.name.casefold() != t.lead_sponsor.name.casefold()]
    t.overall_status = _line(el, "Recruitment_Status")
    t.study_type = _line(el, "Study_type")
    t.phases = phases(_raw(el, "Phase"), t.study_type)
    t.design = design(_raw(el, "Study_design"))
    t.enrollment = enrollment(_raw(el, "Target_size"))
    t.start_date = _date(_raw(el, "Date_enrollement", "Date_enrolment"), "Date_enrollement")
    if _raw(el, "Date_registration3"):
        t.first_posted = _date(_raw(el, "Date_registration3"), "Date_registration3")
    else:
        t.first_posted = _date(_raw(el, "Date_registration"), "Date_registration")
    t.conditions = conditions(_raw(el, "Condition"))
    t.interventions, t.arms, prose = interventions(_raw(el, "Intervention"))
    if prose:
        t.detailed_description = f"Intervention: {prose}"
    t.eligibility = eligibility(el)
    t.outcomes = outcomes(_raw(el, "Primary_outcome"), "primary") + \
        outcomes(_raw(el, "Secondary_outcome"), "secondary")
    t.countries = countries(_raw(el, "Countries"))
    t.contacts = contacts(el)
    t.has_results = has_results(el)
    t.source_url = _line(el, "web_address")
    if not (t.title or t.official_title):
        raise BadTrial("neither <Public_title> nor <Scientific_title> is given")
    return t


# --- the document ---------------------------------------------------------------------------------


def _one(el: El, index: int) -> Item:
    try:
        return trial_from_element(el)
    except BadTrial as exc:
        tid = _line(el, "TrialID")
        return RecordError(record=tid or f"<Trial> #{index}", message=str(exc))


def iter_trials(fh: IO[bytes]) -> Iterator[Item]:
    """Every `<Trial>` of one export, each freed once read (exports hold many thousands)."""
    yield from until_broken_xml(_trials(fh), lambda n: f"after <Trial> #{n}")


def _trials(fh: IO[bytes]) -> Iterator[Item]:
    root: El | None = None
    count = 0
    depth = 0
    for event, el in ET.iterparse(fh, events=("start", "end")):
        if event == "start":
            if root is None:
                root = el
                if root.tag not in (ROOT, TRIAL):
                    raise LoaderError(f"the root element is <{root.tag}>, not <{ROOT}>: "
                                      "not a WHO ICTRP export")
            depth += el.tag == TRIAL
            continue
        if el.tag != TRIAL:
            continue
        depth -= 1
        if depth:
            continue  # a <Trial> nested in a field is part of its parent
        count += 1
        yield _one(el, count)
        el.clear()
        if root is not el:
            root.clear()  # drop the emptied <Trial> shells too: exports run to 100k+ trials
    if count == 0:
        raise LoaderError(f"<{ROOT}> holds no <Trial> element")


def read(path: Path) -> Iterator[Item]:
    with open(path, "rb") as fh:
        yield from iter_trials(fh)


_PROLOG = r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*"
_ROOT_TAG = re.compile(_PROLOG + r"<" + ROOT + r"[\s>/]", re.S)
_TRIAL_TAG = re.compile(_PROLOG + r"<Trial>", re.S)


def sniff(head: str) -> bool:
    if _ROOT_TAG.match(head):
        return True
    if _TRIAL_TAG.match(head):
        near = head[:8192]
        return "<TrialID>" in near and "<Source_Register>" in near
    return False


FORMAT = Format(
    name="who-ictrp",
    version=VERSION,
    description="WHO ICTRP XML export (<Trials_downloaded_from_ICTRP>), trials of every primary registry",
    sniff=sniff,
    read=read,
    priority=20,
)
