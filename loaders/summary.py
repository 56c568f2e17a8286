""""Clinical Trial Summary" pages saved as text.

The page carries prose ("Clinical Trial Summary", "Clinical Trial Description"), a "Study Design"
section, "Related Conditions & MeSH terms" followed by the conditions, a block of "Label value"
lines without colons ("NCT number NCT05305885", "Source <sponsor>", "Phone ..."), and a "See also"
table of related trials ("Recruiting NCT06058988 - Title Phase 2"). Labels are matched from a
known list, longest first, and each value is checked against what the label promises, so a
condition such as "Status Epilepticus" is never read as a status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kg import codes
from kg.record import (
    Design, Identifier, Intervention, Organisation, Outcome, OutcomeKind, Person, RelatedTrial,
    Trial,
)
from kg.text import clean, eligibility_from_text, one_line, parse_age, parse_date
from loaders.base import LoaderError, page_format
from loaders.veeva import (
    age_range, enrollment, healthy_volunteers, is_contact_detail, outcome_items, person_name,
    trial_date, typed_item,
)

NAME = "summary"

HEADINGS: dict[str, str] = {
    "clinical trial summary": "summary",
    "clinical trial description": "description",
    "study design": "design",
    "related conditions & mesh terms": "conditions",
    "related conditions and mesh terms": "conditions",
    "see also": "related",
    "eligibility": "eligibility",
    "eligibility criteria": "eligibility",
    "interventions": "interventions",
    "intervention": "interventions",
    "primary outcome": "primary",
    "primary outcomes": "primary",
    "primary outcome measures": "primary",
    "secondary outcome": "secondary",
    "secondary outcomes": "secondary",
    "secondary outcome measures": "secondary",
    "other outcome measures": "other",
    "keywords": "keywords",
}
_CHROME = {"clinical trials logo", "logo", "menu"}

_NCT = re.compile(r"NCT\d{8}", re.I)
_PHASE_TAIL = re.compile(
    r"\s+((?:Early\s+)?Phase\s*[0-4]+[ab]?(?:\s*/\s*(?:Phase\s*)?[0-4]+[ab]?)*|N/A)\s*$", re.I)
_ROW = re.compile(r"^(?P<status>.*?)\s*(?P<nct>NCT\d{8})\s*(?:-\s*(?P<rest>.*))?$", re.I)


# --- the key-value block -------------------------------------------------------------------------


def _is_nct(v: str) -> bool:
    return bool(_NCT.fullmatch(v))


def _is_status(v: str) -> bool:
    return codes.STATUS.lookup(v) is not None


def _is_phase(v: str) -> bool:
    found, unknown = codes.phases(v)
    return bool(found) and not unknown


def _is_date(v: str) -> bool:
    return parse_date(v) is not None


def _is_type(v: str) -> bool:
    return codes.STUDY_TYPE.lookup(re.split(r"[(\[]", v)[0]) is not None


def _is_number(v: str) -> bool:
    return bool(re.match(r"\d", v))


def _any(v: str) -> bool:
    return bool(v)


@dataclass(frozen=True)
class Label:
    field: str
    check: Callable[[str], bool] = _any
    text: bool = False  # a free-text value that may wrap onto the next lines


LABELS: dict[str, Label] = {
    "nct number": Label("nct", _is_nct),
    "nct id": Label("nct", _is_nct),
    "study type": Label("study_type", _is_type),
    "source": Label("sponsor"),
    "sponsor": Label("sponsor"),
    "lead sponsor": Label("sponsor"),
    "collaborator": Label("collaborators"),
    "collaborators": Label("collaborators"),
    "contact": Label("contact"),
    "phone": Label("phone"),
    "email": Label("email"),
    "e-mail": Label("email"),
    "status": Label("status", _is_status),
    "recruitment status": Label("status", _is_status),
    "phase": Label("phase", _is_phase),
    "start date": Label("start_date", _is_date),
    "study start": Label("start_date", _is_date),
    "completion date": Label("completion_date", _is_date),
    "study completion": Label("completion_date", _is_date),
    "primary completion date": Label("primary_completion_date", _is_date),
    "first posted": Label("first_posted", _is_date),
    "first received": Label("first_posted", _is_date),
    "last update": Label("last_update", _is_date),
    "last updated": Label("last_update", _is_date),
    "last update posted": Label("last_update", _is_date),
    "enrollment": Label("enrollment", _is_number),
    "official title": Label("official_title", text=True),
    "brief title": Label("title", text=True),
    "title": Label("title", text=True),
    "acronym": Label("acronym"),
    "other study id": Label("org_id"),
    "org study id": Label("org_id"),
    "study id": Label("org_id"),
    "secondary id": Label("secondary_id"),
    "sex": Label("sex"),
    "gender": Label("sex"),
    "ages": Label("ages"),
    "age": Label("ages"),
    "minimum age": Label("min_age"),
    "maximum age": Label("max_age"),
    "healthy volunteers": Label("volunteers"),
    "accepts healthy volunteers": Label("volunteers"),
    "allocation": Label("allocation"),
    "intervention model": Label("intervention_model"),
    "interventional model": Label("intervention_model"),
    "masking": Label("masking"),
    "primary purpose": Label("primary_purpose"),
    "observational model": Label("observational_model"),
    "time perspective": Label("time_perspective"),
    "url": Label("url", lambda v: v.startswith("http")),
    "link": Label("url", lambda v: v.startswith("http")),
}
_LABEL_RE = re.compile(
    r"^(" + "|".join(re.escape(k) for k in sorted(LABELS, key=len, reverse=True)) + r")\s*:?\s+(\S.*)$",
    re.I)


def key_value(line: str) -> tuple[Label, str] | None:
    """(label, value) when the line is a known label followed by a value fit for it."""
    m = _LABEL_RE.match(line.strip())
    if not m:
        return None
    label = LABELS[m.group(1).lower()]
    value = m.group(2).strip()
    return (label, value) if label.check(value) else None


def _is_nct_line(line: str) -> bool:
    kv = key_value(line)
    return kv is not None and kv[0].field == "nct"


def split_block(lines: list[str], anchored: bool) -> tuple[list[str], list[tuple[Label, str]]]:
    """(the section's own lines, key-value pairs) of one section.

    On a page with an "NCT number" line the block starts there (`anchored`: other sections hold
    none). Otherwise the block is a run of at least two label lines that ends the section. The
    lines above the block stay the section's content (for "Related Conditions", the conditions).
    """
    filled = [i for i in range(len(lines)) if lines[i].strip()]
    starts = [i for i in filled if _is_nct_line(lines[i])]
    if starts:
        start = starts[-1]
    elif anchored:
        return lines, []
    else:
        k = len(filled)
        while k > 0 and key_value(lines[filled[k - 1]]):
            k -= 1
        if len(filled) - k < 2:  # one label-like line ("Contact Dermatitis") is no block
            return lines, []
        start = filled[k]
    pairs: list[tuple[Label, str]] = []
    for line in (ln.strip() for ln in lines[start:] if ln.strip()):
        if kv := key_value(line):
            pairs.append(kv)
        elif pairs and pairs[-1][0].text:  # a long title wrapped onto the next line
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]} {line}")
    return lines[:start], pairs


_DESIGN_SPLIT = re.compile(
    r"\s*[;,|]\s*(?=(?:allocation|intervention(?:al)? model|masking|primary purpose|observational model"
    r"|time perspective)\s*:)", re.I)


def design_lines(lines: list[str]) -> list[str]:
    """CT.gov's one-line design ("Allocation: Randomized; Masking: None (Open Label); ...") as
    one label a line."""
    return [part for line in lines for part in _DESIGN_SPLIT.split(line)]


# --- the page ----------------------------------------------------------------------------------


@dataclass
class Page:
    header: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)

    def lines(self, name: str) -> list[str]:
        return [ln.strip() for ln in self.sections.get(name, []) if ln.strip()]


def split_page(text: str) -> Page:
    page = Page()
    current = page.header
    for raw in text.split("\n"):
        name = HEADINGS.get(" ".join(raw.strip().rstrip(":").split()).lower())
        if name:
            current = page.sections.setdefault(name, [])
        else:
            current.append(raw.rstrip())
    return page


def sniff(head: str) -> bool:
    """The "Clinical Trial Summary" heading with one more of the page's own lines (its logo's
    alt text, the description or MeSH heading, the "NCT number" row, "See also")."""
    if head.lstrip()[:1] in {"{", "[", "<"}:
        return False
    lines = {" ".join(ln.strip().split()).lower() for ln in head.split("\n")}
    markers = ("clinical trials logo" in lines,
               "clinical trial description" in lines,
               "related conditions & mesh terms" in lines,
               any(re.match(r"nct number\s+nct\d{8}$", ln) for ln in lines),
               "see also" in lines)
    return "clinical trial summary" in lines and sum(markers) >= 1


def related(lines: list[str]) -> list[RelatedTrial]:
    """Rows "Status NCTid - Title Phase"; the column header row has no id and is skipped."""
    out: list[RelatedTrial] = []
    for line in lines:
        m = _ROW.match(line.strip())
        if not m:
            continue
        rest = (m.group("rest") or "").strip()
        phases: list[str] = []
        if p := _PHASE_TAIL.search(rest):
            phases = _phase_words(p.group(1))
            rest = rest[: p.start()]
        status = m.group("status").strip() or None
        out.append(RelatedTrial(trial_id=m.group("nct").upper(), title=one_line(rest),
                                status=_status_word(status), phases=phases))
    return out


def _status_word(text: str | None) -> str | None:
    """The row's status as printed; text that is no status word (a stray cell) is dropped."""
    return text if text and codes.STATUS.lookup(text) else None


def _phase_words(text: str) -> list[str]:
    """"Phase 1/Phase 2" and "Phase 1/2" -> ["Phase 1", "Phase 2"]; "N/A" stays whole."""
    if not text or text.upper() == "N/A":
        return [text] if text else []
    parts = [p.strip() for p in text.split("/") if p.strip()]
    return [f"Phase {p}" if re.fullmatch(r"[0-4][ab]?|I{1,3}|IV", p) else p for p in parts]


def outcomes(page: Page) -> list[Outcome]:
    kinds: tuple[OutcomeKind, ...] = ("primary", "secondary", "other")
    return [o for kind in kinds for o in outcome_items(kind, page.lines(kind))]


def _study_type(value: str | None) -> str | None:
    """"Interventional (Clinical Trial)" -> "Interventional": the gloss is CT.gov's display text."""
    return re.split(r"\s*[(\[]", value)[0] or None if value else None


def _prose(page: Page, name: str) -> str | None:
    text = clean("\n".join(page.sections.get(name, [])))
    if not text:
        return None
    return re.sub(r"\s*;\s*$", "", text) or None  # the site ends its text fields with " ;"


def _header_title(page: Page) -> str | None:
    """The last line of several words above "Clinical Trial Summary", when the page prints one;
    logo alt texts and one-word navigation are no titles."""
    lines = [ln.strip() for ln in page.header
             if len(ln.split()) >= 3 and ln.strip().lower() not in _CHROME
             and not ln.strip().lower().endswith("logo")]
    return one_line(lines[-1]) if lines else None


_PROSE = ("summary", "description", "related")


def key_values(page: Page) -> dict[str, list[str]]:
    """Every label's values, wherever the block sits; the block's lines leave their section.

    "Study Design" is all labels ("Allocation: Randomized; Masking: ..."), read as such.
    """
    has_nct = any(_is_nct_line(ln) for lines in page.sections.values() for ln in lines)
    values: dict[str, list[str]] = {}
    for name, lines in list(page.sections.items()):
        if name == "design":
            page.sections[name], pairs = [], [kv for ln in design_lines(lines) if (kv := key_value(ln))]
        else:
            page.sections[name], pairs = split_block(lines, anchored=has_nct or name in _PROSE)
        for label, value in pairs:
            values.setdefault(label.field, []).append(value)
    return values


def parse(text: str) -> Trial:
    page = split_page(text)
    if "summary" not in page.sections:
        raise LoaderError("not a 'Clinical Trial Summary' page: its heading is missing")
    values = key_values(page)

    def one(name: str) -> str | None:
        return one_line(values[name][0]) if name in values else None

    nct = (one("nct") or "").upper() or None
    title = one("title") or _header_title(page)
    official = one("official_title")
    if not nct and not title and not official:
        raise LoaderError("'Clinical Trial Summary' page shows no NCT number and no title")
    count, kind = enrollment(one("enrollment"))
    elig = eligibility_from_text("\n".join(page.sections.get("eligibility", [])) or None)
    elig.sex = one("sex")
    elig.healthy_volunteers = healthy_volunteers(one("volunteers"))
    low, high = age_range(one("ages"))
    low = low if low is not None else parse_age(one("min_age"))
    high = high if high is not None else parse_age(one("max_age"))
    if low is not None:
        elig.minimum_age = low
    if high is not None:
        elig.maximum_age = high
    org_id = one("org_id")
    ids = [Identifier(v) for v in values.get("secondary_id", [])]
    sponsor = one("sponsor")
    contacts = [Person(name=n, role="Contact") for v in values.get("contact", [])
                if not is_contact_detail(v) and (n := person_name(v))]
    interventions = [Intervention(name=n, type=k) for k, n in map(typed_item, page.lines("interventions"))]
    return Trial(
        nct_id=nct,
        org_study_id=org_id,
        secondary_ids=ids,
        title=title,
        official_title=official,
        acronym=one("acronym"),
        brief_summary=_prose(page, "summary"),
        detailed_description=_prose(page, "description"),
        phases=_phase_words(one("phase") or ""),
        overall_status=one("status"),
        study_type=_study_type(one("study_type")),
        design=Design(
            allocation=one("allocation"), intervention_model=one("intervention_model"),
            masking=one("masking"), primary_purpose=one("primary_purpose"),
            observational_model=one("observational_model"), time_perspective=one("time_perspective"),
        ),
        enrollment=count,
        enrollment_type=kind,
        start_date=trial_date(one("start_date")),
        primary_completion_date=trial_date(one("primary_completion_date")),
        completion_date=trial_date(one("completion_date")),
        first_posted=trial_date(one("first_posted")),
        last_update=trial_date(one("last_update")),
        conditions=list(dict.fromkeys(one_line(x) or x for x in page.lines("conditions"))),
        keywords=[one_line(k) or k for k in page.lines("keywords")],
        interventions=interventions,
        eligibility=elig,
        outcomes=outcomes(page),
        lead_sponsor=Organisation(sponsor) if sponsor else None,
        collaborators=[Organisation(n.strip()) for v in values.get("collaborators", [])
                       for n in v.split(";") if n.strip()],
        contacts=contacts,
        related_trials=[r for r in related(page.sections.get("related", [])) if r.trial_id != nct],
        source_url=one("url"),
    )


FORMAT = page_format(
    NAME, version="1",
    description="'Clinical Trial Summary' page saved as text (summary, key-value block, related trials)",
    sniff=sniff, parse=parse,
)
