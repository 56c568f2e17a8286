"""ClinicalTrials.Veeva trial pages saved as text.

The site re-publishes CT.gov records under its own headings ("Status and phase", "Treatments",
"Funder types", "N participants in K patient groups", ...). Each heading stands on a line of its
own, so the page is cut into labelled sections first and every fact is read from its section;
section order, missing sections and repeated blocks (arms, sites, contacts) do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from kg import codes
from kg.record import (
    Arm, Design, Eligibility, Identifier, Intervention, Organisation, Outcome, OutcomeKind,
    Person, Site, Trial, TrialDate,
)
from kg.text import (
    clean, max_age_from_criteria, min_age_from_criteria, one_line, parse_age, parse_date,
)
from loaders.base import LoaderError, page_format

NAME = "veeva"

# Headings the site prints on a line of their own (compared lower-case, trailing colon dropped).
HEADINGS: frozenset[str] = frozenset({
    "status and phase", "conditions", "treatments", "study type",
    "funder types", "funder type", "identifiers", "details and patient eligibility", "about",
    "full description", "enrollment", "sex", "ages", "age", "volunteers", "inclusion criteria",
    "exclusion criteria", "criteria", "trial design", "primary purpose", "allocation",
    "interventional model", "intervention model", "masking", "observational model",
    "time perspective", "trial contacts and locations", "central trial contact",
    "central trial contacts", "trial documents", "keywords", "sponsors", "collaborators",
    "primary outcome", "primary outcomes", "secondary outcome", "secondary outcomes",
    "other outcome", "other outcomes", "outcome measures", "start date", "completion date",
    "primary completion date", "investigators", "data sourced from clinicaltrials.gov",
    "clinical trials",
})
# Lines of site chrome that are never the title or the sponsor.
_CHROME = {"clinicaltrials.veeva", "menu", "skip to content", "back", "share", "print", "save",
           "find clinical trials", "trials by location", "loading..."}
_MARKERS = ("status and phase", "funder types", "trial contacts and locations",
            "details and patient eligibility", "central trial contact", "trial design")

_NCT = re.compile(r"\bNCT\d{8}\b", re.I)
_GROUPS = re.compile(r"^([\d,]+)\s+participants?\s+in\s+(\d+)\s+(?:patient\s+)?groups?\b", re.I)
_ENROLL = re.compile(r"^([\d,]+)\s*\(?\s*(estimated|actual|anticipated|planned)?\b", re.I)
_PHASE_WORD = re.compile(r"^(?:early\s+)?phase\s*[0-4IV]+[ab]?(?:\s*[/,&-]\s*(?:phase\s*)?[0-4IV]+[ab]?)*$"
                         r"|^(?:n/?a|not applicable)$", re.I)
_ITEM_MARK = re.compile(r"^\s*(?:[-*\u2022\u00b7\u25cf\u25aa\u2013o]\s+|[-*\u2022\u00b7\u25cf\u25aa]"
                        r"|\(?\d{1,3}\s*[.)](?!\d)\s*|\(?[a-z]\)\s*|[a-z]\.\s+|[ivx]{1,4}[.)]\s+)")
_PHONE = re.compile(r"(?:\+?\d[\d\s().-]{6,}\d)")
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"^https?://\S+$")
_DATE_LABELS = {"start date": "start_date", "primary completion date": "primary_completion_date",
                "completion date": "completion_date"}


@dataclass
class Page:
    """The page cut at its headings: the lines above the first heading, then each section."""

    header: list[str] = field(default_factory=list)
    sections: dict[str, list[list[str]]] = field(default_factory=dict)

    def all(self, *names: str) -> list[list[str]]:
        return [body for n in names for body in self.sections.get(n, [])]

    def lines(self, *names: str) -> list[str]:
        """Non-empty stripped lines of every section with one of these names."""
        return [ln.strip() for body in self.all(*names) for ln in body if ln.strip()]

    def first(self, *names: str) -> str | None:
        found = self.lines(*names)
        return found[0] if found else None


def _heading(line: str) -> str | None:
    """Headings stand alone; "Treatment:" and "Description:" inside arm blocks are not headings
    because their words are no heading names (hence no singular "treatment" in HEADINGS)."""
    key = " ".join(line.strip().rstrip(":").split()).lower()
    return key if key in HEADINGS else None


def split_page(text: str) -> Page:
    page = Page()
    current: list[str] = page.header
    for raw in text.split("\n"):
        name = _heading(raw)
        if name:
            current = []
            page.sections.setdefault(name, []).append(current)
        else:
            current.append(raw.rstrip())
    return page


# --- sniffing ---------------------------------------------------------------------------------


def sniff(head: str) -> bool:
    """The site's name, or at least three of its own section headings, in a plain-text page."""
    start = head.lstrip()[:1]
    if start in {"{", "[", "<"}:
        return False
    lines = {" ".join(ln.strip().rstrip(":").split()).lower() for ln in head.split("\n")}
    if "clinicaltrials.veeva" in lines:
        return True
    markers = sum(m in lines for m in _MARKERS)
    return markers >= 3 or (markers >= 2 and any(_GROUPS.match(ln) for ln in lines))


# --- small readers ------------------------------------------------------------------------------


def typed_item(line: str) -> tuple[str | None, str]:
    """"Drug: Cisplatin" -> ("Drug", "Cisplatin"); a prefix that is no intervention type stays."""
    head, sep, rest = line.partition(":")
    if sep and rest.strip() and codes.INTERVENTION_TYPE.lookup(head.strip()):
        return head.strip(), one_line(rest) or rest.strip()
    return None, one_line(line) or line.strip()


def strip_marker(line: str) -> str:
    """A criterion without its bullets and numbering ("  • 4.There was" -> "There was")."""
    text = line.strip()
    for _ in range(3):  # "• 4." and "1. a)" carry two markers
        new = _ITEM_MARK.sub("", text, count=1).strip()
        if new == text or not new:
            break
        text = new
    return text


def criteria_list(lines: list[str]) -> list[str]:
    """One item per printed line; a line that starts lower-case continues the one before."""
    items: list[str] = []
    for raw in lines:
        if not raw.strip():
            continue
        marked = bool(_ITEM_MARK.match(raw))
        text = one_line(strip_marker(raw))
        if not text:
            continue
        if items and not marked and text[0].islower():
            items[-1] = f"{items[-1]} {text}"
        else:
            items.append(text)
    return items


_AGE_UNIT = r"(years?|yrs?|months?|weeks?|days?)"
_RANGE = re.compile(rf"(\d+(?:\.\d+)?)\s*{_AGE_UNIT}?\s*(?:to|-|–|and)\s*(\d+(?:\.\d+)?)\s*{_AGE_UNIT}?",
                    re.I)
_OLDER = r"(?:\+|and older|or older|and over|or over|and above)"
_PLUS = re.compile(rf"(\d+(?:\.\d+)?)\s*(?:\+\s*{_AGE_UNIT}?|{_AGE_UNIT}?\s*{_OLDER})", re.I)
_UNDER = re.compile(rf"(?:under|up to|younger than|less than|<|≤|<=)\s*(\d+(?:\.\d+)?)\s*{_AGE_UNIT}?", re.I)


def _age(number: str, unit: str | None) -> Decimal | None:
    return parse_age(f"{number} {unit or 'years'}")


def age_range(text: str | None) -> tuple[Decimal | None, Decimal | None]:
    """(minimum, maximum) in years from "18+ years old", "18 to 75 years old", "Under 18".

    "Under 18" keeps the bound the page states (18) as the maximum: the page gives no finer one.
    """
    if not text:
        return None, None
    if m := _RANGE.search(text):
        return _age(m.group(1), m.group(2) or m.group(4)), _age(m.group(3), m.group(4))
    if m := _PLUS.search(text):
        return _age(m.group(1), m.group(2) or m.group(3)), None
    if m := _UNDER.search(text):
        return None, _age(m.group(1), m.group(2))
    return None, None


def healthy_volunteers(text: str | None) -> bool | None:
    if not text:
        return None
    t = text.lower()
    if re.search(r"\b(no|not|does not accept|doesn't accept)\b", t):
        return False
    if "accept" in t or t.strip() in {"yes", "healthy volunteers"}:
        return True
    return None


def enrollment(text: str | None) -> tuple[int | None, str | None]:
    if not text:
        return None, None
    m = _ENROLL.match(text.strip())
    if not m:
        return None, None
    kind = m.group(2).lower() if m.group(2) else None
    return int(m.group(1).replace(",", "")), ("estimated" if kind in {"anticipated", "planned"} else kind)


def is_contact_detail(line: str) -> bool:
    """Phone numbers, e-mail addresses and their labels: never kept in the record."""
    bare = re.sub(r"^(?:phone|tel|telephone|email|e-mail|fax|ext)\.?\s*:?\s*", "", line.strip(), flags=re.I)
    return bool(_EMAIL.search(line)) or bool(_PHONE.fullmatch(bare)) or bare.lower() in {"", "contact"}


def person_name(line: str) -> str | None:
    """A contact's name with any "Contact:" label, phone or e-mail cut away."""
    t = re.sub(r"^(?:contact|central contact|principal investigator|investigator)\s*:\s*", "", line.strip(),
               flags=re.I)
    t = _EMAIL.sub("", t)
    t = _PHONE.sub("", t)
    t = t.strip(" ,;|-")
    return one_line(t) if t and re.search(r"[A-Za-z]{2}", t) else None


# --- sections ---------------------------------------------------------------------------------------


def status_and_phases(page: Page) -> tuple[str | None, list[str]]:
    status: str | None = None
    phases: list[str] = []
    for line in page.lines("status and phase"):
        if _PHASE_WORD.match(line):
            phases.append(line)
        elif status is None:
            status = line
    return status, phases


def header_orgs(page: Page) -> tuple[str | None, list[str]]:
    """(title, organisations) from the lines above the first heading.

    Each organisation shows its logo's alt text ("X logo") then its name; the title is the line
    just before the first logo. Without logos the first line is the title, the next the sponsor.
    """
    lines = [ln.strip() for ln in page.header
             if ln.strip() and ln.strip().lower() not in _CHROME and not _URL.match(ln.strip())]
    logo_at = [i for i, ln in enumerate(lines) if re.search(r"\slogo$", ln, re.I)]
    if not logo_at:
        return (one_line(lines[0]) if lines else None), [one_line(x) or x for x in lines[1:2]]
    title = one_line(lines[logo_at[0] - 1]) if logo_at[0] else None
    orgs: list[str] = []
    for i in logo_at:
        name = one_line(re.sub(r"\s+logo$", "", lines[i], flags=re.I))
        if name and name not in orgs:
            orgs.append(name)
    return title, orgs


_PROSE = ("about", "full description", "inclusion criteria", "exclusion criteria", "criteria")


def identifiers(page: Page) -> tuple[str | None, str | None, list[Identifier]]:
    """(NCT id, org study id, other ids) from the Identifiers section, else the one NCT id shown
    outside the prose (an id in a description or a criterion names another trial)."""
    nct: str | None = None
    org: str | None = None
    others: list[Identifier] = []
    for line in page.lines("identifiers"):
        value = re.sub(r"^[A-Za-z .]*(?:id|number)\s*:\s*", "", line, flags=re.I).strip()
        if m := _NCT.fullmatch(value):
            nct = nct or m.group(0).upper()
        elif org is None:
            org = value
        else:
            others.append(Identifier(value=value))
    if nct is None:
        shown = page.header + [ln for name, bodies in page.sections.items() if name not in _PROSE
                               for body in bodies for ln in body]
        found = {m.group(0).upper() for ln in shown for m in _NCT.finditer(ln)}
        if len(found) == 1:
            nct = found.pop()
    return nct, org, others


def design(page: Page) -> Design:
    def value(*names: str) -> str | None:
        for body in page.all(*names):
            for ln in body:
                if ln.strip() and not _GROUPS.match(ln.strip()):
                    return one_line(ln)
        return None

    return Design(
        allocation=value("allocation"),
        intervention_model=value("interventional model", "intervention model"),
        primary_purpose=value("primary purpose"),
        masking=value("masking"),
        observational_model=value("observational model"),
        time_perspective=value("time perspective"),
    )


def arm_lines(page: Page) -> list[str]:
    """The lines after "N participants in K patient groups", up to the next heading."""
    for bodies in page.sections.values():
        for body in bodies:
            for i, ln in enumerate(body):
                if _GROUPS.match(ln.strip()):
                    return [x.strip() for x in body[i + 1:] if x.strip()]
    return []


def _is_arm_type(line: str) -> bool:
    return bool(codes.ARM_TYPE.lookup(line)) or bool(re.fullmatch(r"[A-Za-z ]{3,40}\s+group", line, re.I))


_TREATMENT_KEYS = {"treatment", "treatments", "intervention", "interventions"}


def _key(line: str) -> tuple[str, str] | None:
    """("description"|"treatment", inline text) for an arm's labelled lines, else None."""
    label, sep, rest = line.partition(":")
    low = label.strip().lower()
    if not sep:
        return None
    if low == "description":
        return "description", rest.strip()
    if low in _TREATMENT_KEYS:
        return "treatment", rest.strip()
    return None


def _starts_arm(lines: list[str], i: int, mode: str) -> bool:
    """An arm label is followed by its type line or "Description:"; by "Treatment:" only when
    the line is not itself part of a description (a description ends where treatments begin)."""
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    follow = _key(nxt)
    if _is_arm_type(nxt) or (follow and follow[0] == "description"):
        return True
    return bool(follow and follow[0] == "treatment" and mode != "description")


@dataclass
class ArmBlock:
    arm: Arm
    treatments: list[tuple[str | None, str]] = field(default_factory=list)
    description: list[str] = field(default_factory=list)


def arms(lines: list[str]) -> list[ArmBlock]:
    """Arm blocks: label, optional type line, "Description:" text, "Treatment:" "Type: name" lines."""
    blocks: list[ArmBlock] = []
    mode = ""
    for i, line in enumerate(lines):
        keyed = _key(line)
        cur = blocks[-1] if blocks else None
        if keyed and cur:
            mode, inline = keyed
            if inline:
                (cur.description.append(inline) if mode == "description"
                 else cur.treatments.append(typed_item(inline)))
        elif cur and mode == "" and cur.arm.type is None and not cur.description and _is_arm_type(line):
            cur.arm.type = one_line(line)
        elif cur is None or (_starts_arm(lines, i, mode)
                             and not (mode == "treatment" and typed_item(line)[0])):
            blocks.append(ArmBlock(Arm(label=one_line(line) or line)))
            mode = ""
        elif mode == "treatment":
            cur.treatments.append(typed_item(line))
        else:
            cur.description.append(line)
    for block in blocks:
        block.arm.description = clean("\n".join(block.description))
        block.arm.intervention_names = list(dict.fromkeys(name for _, name in block.treatments))
    return blocks


def interventions(page: Page, blocks: list[ArmBlock]) -> list[Intervention]:
    """The "Treatments" list, plus any treatment only an arm names; each knows its arms."""
    found: dict[str, Intervention] = {}
    for line in page.lines("treatments"):
        kind, name = typed_item(line)
        found.setdefault(name.lower(), Intervention(name=name, type=kind))
    for block in blocks:
        for kind, name in block.treatments:
            iv = found.setdefault(name.lower(), Intervention(name=name, type=kind))
            iv.type = iv.type or kind
            if block.arm.label not in iv.arm_labels:
                iv.arm_labels.append(block.arm.label)
    return list(found.values())


_CRITERIA_HEAD = re.compile(r"^\W*(?:key\s+)?(inclusion|exclusion)\s+criteria\b\W*$", re.I)


def criteria_lines(page: Page) -> tuple[list[str], list[str], list[str]]:
    """(inclusion, exclusion, unlabelled) lines; a "Key exclusion criteria:" line inside a
    section moves the lines after it to the list it names."""
    out: dict[str, list[str]] = {"inclusion": [], "exclusion": [], "criteria": []}
    for name in ("inclusion criteria", "exclusion criteria", "criteria"):
        target = name.split()[0]
        for body in page.all(name):
            for ln in body:
                if m := _CRITERIA_HEAD.match(ln.strip()):
                    target = m.group(1).lower()
                else:
                    out[target].append(ln)
    return out["inclusion"], out["exclusion"], out["criteria"]


def eligibility(page: Page) -> Eligibility:
    inc_lines, exc_lines, other_lines = criteria_lines(page)
    inc, exc = criteria_list(inc_lines), criteria_list(exc_lines)
    parts = []
    if inc:
        parts.append("Inclusion criteria:\n" + "\n".join(inc))
    if exc:
        parts.append("Exclusion criteria:\n" + "\n".join(exc))
    if other := criteria_list(other_lines):
        parts.append("\n".join(other))
        inc = inc or other
    low, high = age_range(page.first("ages", "age"))
    sex = page.first("sex")
    return Eligibility(
        criteria_text="\n\n".join(parts) or None,
        inclusion=inc,
        exclusion=exc,
        sex=one_line(sex),
        minimum_age=low if low is not None else min_age_from_criteria(inc),
        maximum_age=high if high is not None else max_age_from_criteria(inc),
        healthy_volunteers=healthy_volunteers(page.first("volunteers")),
    )


_TIME_FRAME = re.compile(r"\s*\[\s*time\s*frame\s*:\s*(.+?)\s*\]\s*$", re.I)


def outcome_items(kind: OutcomeKind, lines: list[str]) -> list[Outcome]:
    """A measure line, then optional "Time frame:"/"Description:" lines, or CT.gov's inline
    "Measure [Time Frame: 12 weeks]"."""
    out: list[Outcome] = []
    for line in lines:
        label, sep, rest = line.partition(":")
        low = label.strip().lower()
        if sep and low in {"time frame", "timeframe"} and out:
            out[-1].time_frame = one_line(rest)
        elif sep and low == "description" and out:
            out[-1].description = one_line(rest)
        else:
            measure, frame = strip_marker(line), None
            if m := _TIME_FRAME.search(measure):
                frame, measure = m.group(1), measure[: m.start()]
            if measure:
                out.append(Outcome(kind=kind, measure=one_line(measure) or measure, time_frame=frame))
    return out


def outcomes(page: Page) -> list[Outcome]:
    return (outcome_items("primary", page.lines("primary outcome", "primary outcomes", "outcome measures"))
            + outcome_items("secondary", page.lines("secondary outcome", "secondary outcomes"))
            + outcome_items("other", page.lines("other outcome", "other outcomes")))


def _address(line: str, site: Site) -> None:
    """"City, State, Country, 100142" (zip anywhere): the country is the last word part."""
    parts = [p.strip() for p in line.split(",") if p.strip()]
    zips = [p for p in parts if re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{2,9}", p) and re.search(r"\d", p)]
    words = [p for p in parts if p not in zips]
    site.zip = zips[0] if zips else None
    if words:
        site.city = words[0] if len(words) > 1 else None
        site.country = words[-1] if len(words) > 1 else words[0]
        site.state = ", ".join(words[1:-1]) or None


def _site_status(line: str) -> str | None:
    t = re.sub(r"^(?:status|site status|recruitment status)\s*:\s*", "", line.strip(), flags=re.I)
    return t if codes.STATUS.lookup(t) else None


def sites(page: Page) -> list[Site]:
    """Site blocks below "Trial contacts and locations": facility, address line, status, contacts.

    Blocks are separated by blank lines; a facility line after a complete block also starts one.
    """
    out: list[Site] = []
    cur: Site | None = None
    has_address = False
    for body in page.all("trial contacts and locations"):
        for raw in body:
            line = raw.strip()
            if not line:
                cur = None
                continue
            if line.lower() in _CHROME or re.fullmatch(r"\d+", line) or is_contact_detail(line):
                continue
            if re.match(r"(?:contact|principal investigator|investigator)s?\s*:", line, re.I):
                continue
            if (status := _site_status(line)) and cur is not None:
                cur.status = status
                continue
            if cur is None or has_address:
                cur = Site(facility=one_line(line))
                out.append(cur)
                has_address = False
            else:
                _address(line, cur)
                has_address = True
    return out


def contacts(page: Page) -> list[Person]:
    people: list[Person] = []
    for line in page.lines("central trial contact", "central trial contacts"):
        if is_contact_detail(line):
            continue
        if name := person_name(line):
            people.append(Person(name=name, role="Central contact"))
    return people


def investigators(page: Page) -> list[Person]:
    people: list[Person] = []
    for line in page.lines("investigators"):
        if is_contact_detail(line):
            continue
        role, sep, rest = line.partition(":")
        if sep and rest.strip() and (name := person_name(rest)):
            people.append(Person(name=name, role=role.strip()))
        elif name := person_name(line):
            people.append(Person(name=name, role="Investigator"))
    return people


def _text(page: Page, *names: str) -> str | None:
    return clean("\n".join(ln for body in page.all(*names) for ln in body))


# --- the page ---------------------------------------------------------------------------------


def parse(text: str) -> Trial:
    page = split_page(text)
    if not any(m in page.sections for m in ("status and phase", "treatments", "conditions", "study type",
                                            "inclusion criteria", "trial design", "about")):
        raise LoaderError("not a ClinicalTrials.Veeva trial page: none of its sections "
                          "('Status and phase', 'Conditions', 'Treatments', ...) found")
    title, orgs = header_orgs(page)
    nct, org_id, ids = identifiers(page)
    if not title and not nct:
        raise LoaderError("ClinicalTrials.Veeva page has no trial title and no NCT id")
    status, phases = status_and_phases(page)
    blocks = arms(arm_lines(page))
    count, kind = enrollment(page.first("enrollment"))
    if count is None:  # the design block repeats the number: "120 participants in 2 patient groups"
        groups = [m for ln in text.split("\n") if (m := _GROUPS.match(ln.strip()))]
        count = int(groups[0].group(1).replace(",", "")) if groups else None
    funders = [one_line(x) or x for x in page.lines("funder types", "funder type")]
    orgs += [o for o in (one_line(x) for x in page.lines("sponsors", "collaborators")) if o and o not in orgs]
    klass = funders[0] if len(funders) == 1 else None  # one type for all funders: each has it
    trial = Trial(
        nct_id=nct,
        org_study_id=org_id,
        secondary_ids=ids,
        title=title,
        brief_summary=_text(page, "about"),
        detailed_description=_text(page, "full description"),
        phases=phases,
        overall_status=status,
        study_type=one_line(page.first("study type")),
        design=design(page),
        enrollment=count,
        enrollment_type=kind,
        conditions=[one_line(x) or x for x in page.lines("conditions")],
        keywords=[one_line(x) or x for x in page.lines("keywords")],
        arms=[b.arm for b in blocks],
        interventions=interventions(page, blocks),
        eligibility=eligibility(page),
        outcomes=outcomes(page),
        lead_sponsor=Organisation(orgs[0], klass) if orgs else None,
        collaborators=[Organisation(o, klass) for o in orgs[1:]],
        investigators=investigators(page),
        contacts=contacts(page),
        sites=sites(page),
        source_url=next((ln.strip() for ln in text.split("\n")
                         if _URL.match(ln.strip()) and "veeva" in ln.lower()), None),
    )
    for label, attr in _DATE_LABELS.items():
        if (value := page.first(label)) and (d := trial_date(value)):
            setattr(trial, attr, d)
    return trial


_DATE_KIND = re.compile(r"\((actual|estimated|anticipated)\)", re.I)


def trial_date(value: str | None) -> TrialDate | None:
    """"July 2024 (Estimated)" -> the date as precise as written, with its kind when stated."""
    if not value:
        return None
    kind = m.group(1).lower() if (m := _DATE_KIND.search(value)) else None
    d = parse_date(value)
    return TrialDate(d, kind) if d else None


FORMAT = page_format(
    NAME, version="1",
    description="ClinicalTrials.Veeva trial page saved as text",
    sniff=sniff, parse=parse,
)
