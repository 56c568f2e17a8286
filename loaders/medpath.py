"""MedPath trial pages saved as text.

A MedPath page is a run of headed sections ("Conditions", "Interventions", "Registration
Number", "Recruitment & Eligibility", "Arm && Interventions", "Primary Outcome Measures",
"Trial Locations", ...) under a header block of title, phase and status lines. The page is
read by its headings, never by position, so sections may be missing or reordered.

Two tables lose their column separators when the page is saved as text:

* the arm table ("Group | Intervention | Description") glues arm label, intervention name and
  arm description on each row; rows are split using the names the "Interventions" section
  lists, the label every row of an arm repeats and the description they share, and, failing
  those, the point where one glued cell ends in a lower-case letter and the next begins with a
  capital (`_split_arm_rows`);
* outcome tables ("Name | Time | Method") glue the measure and its time frame; the time frame
  is recognised by how time frames begin ("Up to", "Approximately", "Week 12", ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from kg import codes
from kg.record import (
    Arm, Identifier, Intervention, Organisation, Outcome, OutcomeKind, Person, Site, Trial,
    TrialDate,
)
from kg.text import clean, eligibility_from_text, one_line, parse_age, parse_date
from loaders.base import LoaderError, page_format

BRAND = "medpath"

# Heading line (lower case, single spaces) -> section key. A line is a heading only when it is
# the whole line, so prose that mentions these words is never cut.
_HEADINGS: dict[str, str] = {
    "conditions": "conditions", "condition": "conditions",
    "interventions": "interventions", "intervention": "interventions",
    "registration number": "registration", "registration numbers": "registration",
    "secondary ids": "secondary_ids", "other ids": "secondary_ids",
    "lead sponsor": "lead_sponsor", "sponsor": "lead_sponsor",
    "collaborators": "collaborators", "collaborator": "collaborators",
    "brief summary": "summary", "summary": "summary",
    "detailed description": "description",
    "official title": "official_title",
    "keywords": "keywords",
    "recruitment & eligibility": "group", "study & design": "group", "eligibility": "group",
    "status": "status", "recruitment status": "status", "overall status": "status",
    "sex": "sex", "gender": "sex",
    "target recruitment": "enrollment", "enrollment": "enrollment", "enrolment": "enrollment",
    "age": "age", "ages": "age", "age range": "age",
    "minimum age": "min_age", "maximum age": "max_age",
    "healthy volunteers": "healthy", "accepts healthy volunteers": "healthy",
    "inclusion criteria": "inclusion", "exclusion criteria": "exclusion",
    "eligibility criteria": "criteria", "criteria": "criteria",
    "study type": "study_type", "study design": "design", "phase": "phase", "phases": "phase",
    "allocation": "design", "masking": "design", "primary purpose": "design",
    "intervention model": "design",
    "arm && interventions": "arms", "arms && interventions": "arms",
    "arm & interventions": "arms", "arms & interventions": "arms",
    "arm and interventions": "arms", "arms and interventions": "arms",
    "primary outcome measures": "primary", "primary outcome measure": "primary",
    "secondary outcome measures": "secondary", "secondary outcome measure": "secondary",
    "other outcome measures": "other", "other outcome measure": "other",
    "start date": "start", "study start date": "start", "study start": "start",
    "primary completion date": "primary_completion",
    "completion date": "completion", "study completion date": "completion",
    "study completion": "completion",
    "investigators": "investigators", "principal investigator": "investigators",
    "principal investigators": "investigators",
    "trial locations": "locations", "locations": "locations",
}
_LOCATIONS_N = re.compile(r"^locations?\s*\(\d+\)$", re.I)
_FLAG = re.compile("[\U0001F1E6-\U0001F1FF]{2}")
_NCT = re.compile(r"\bNCT\d{8}\b", re.I)
_SNIFF_MARKERS = ("registration number", "recruitment & eligibility", "study & design",
                  "arm && interventions", "trial locations", "groupinterventiondescription",
                  "nametimemethod", "target recruitment", "primary outcome measures")


def _norm_line(line: str) -> str:
    return " ".join(line.strip().lower().split())


def _heading(line: str) -> str | None:
    n = _norm_line(line)
    if _LOCATIONS_N.match(n):
        return "locations"
    return _HEADINGS.get(n)


def sniff(head: str) -> bool:
    """A MedPath page: the brand line and two of its section headings, or (a page saved
    without the brand) one of its glued table headers and three more headings."""
    stripped = head.lstrip()
    if not stripped or stripped[0] in "{[<":
        return False
    lines = {_norm_line(x) for x in head.split("\n")}
    first = _norm_line(stripped.split("\n", 1)[0])
    branded = first == BRAND or any(x.startswith("©") and BRAND in x for x in lines)
    markers = sum(1 for m in _SNIFF_MARKERS if m in lines)
    glued_header = bool(lines & {"groupinterventiondescription", "nametimemethod"})
    return (branded and markers >= 2) or (glued_header and markers >= 4)


# --- sections -------------------------------------------------------------------------------------


@dataclass
class _Page:
    preamble: list[str] = field(default_factory=list)
    sections: dict[str, list[list[str]]] = field(default_factory=dict)  # key -> bodies in order

    def body(self, key: str) -> list[str]:
        """All lines of every section with that key (a section may appear more than once)."""
        return [line for body in self.sections.get(key, []) for line in body]

    def values(self, key: str) -> list[str]:
        return [v for v in (one_line(x) for x in self.body(key)) if v]

    def first(self, key: str) -> str | None:
        vals = self.values(key)
        return vals[0] if vals else None


def _strip_footer(lines: list[str]) -> list[str]:
    """Drops the site footer: the brand line repeated after the content, the copyright line."""
    seen_heading = False
    for i, line in enumerate(lines):
        if _heading(line):
            seen_heading = True
        n = _norm_line(line)
        if seen_heading and (n == BRAND or n.startswith("©")):
            return lines[:i]
    return lines


def _sections(text: str) -> _Page:
    page = _Page()
    current: list[str] = page.preamble
    for line in _strip_footer(text.split("\n")):
        key = _heading(line)
        if key:
            current = []
            page.sections.setdefault(key, []).append(current)
        else:
            current.append(line.rstrip())
    return page


# --- header block ---------------------------------------------------------------------------------


def _is_phase(line: str) -> bool:
    found, unknown = codes.phases(line)
    return bool(found) and not unknown and not line.strip().isdigit()


def _preamble(trial: Trial, lines: list[str]) -> str | None:
    """Title, phases and the header's status word; returns the header status."""
    status: str | None = None
    for raw in lines:
        line = one_line(raw)
        if not line or line.lower() == BRAND:
            continue
        if _is_phase(line):
            trial.phases.append(line)
        elif codes.STATUS.lookup(line):
            status = status or line
        elif trial.title is None:
            trial.title = line
    return status


# --- simple fields --------------------------------------------------------------------------------


def _interventions(lines: Iterable[str]) -> list[Intervention]:
    """"Drug: Anti-PD-1 monoclonal antibody" lines; a prefix that is no type stays in the name."""
    out: list[Intervention] = []
    for line in lines:
        kind, sep, name = line.partition(":")
        if sep and name.strip() and codes.INTERVENTION_TYPE.lookup(kind):
            out.append(Intervention(name=name.strip(), type=kind.strip()))
        else:
            out.append(Intervention(name=line))
    return out


_REGISTRY_ID = re.compile(r"[A-Za-z][\w\-/.]*\d[\w\-/.]*")


def _registration(trial: Trial, values: list[str], secondary: list[str]) -> None:
    """The NCT number, else the first registry id shown; further ids become secondary ids.
    Placeholders without an id shape ("N/A", "Not provided") are no ids."""
    primary = True
    for value in values + secondary:
        for part in (p.strip() for p in re.split(r"[;,]\s*|\s{2,}", value)):
            if not _REGISTRY_ID.fullmatch(part):
                continue
            if _NCT.fullmatch(part) and trial.nct_id is None:
                trial.nct_id = part.upper()
            elif primary and trial.nct_id is None and trial.registry_id is None:
                trial.registry_id = part
            else:
                scheme = "NCT" if _NCT.fullmatch(part) else None
                trial.secondary_ids.append(Identifier(value=part, scheme=scheme))
        primary = False


def _int(value: str | None, what: str) -> tuple[int | None, str | None]:
    """"50", "1,200 (Actual)" -> (number, kind); a value with no number is an error."""
    if not value:
        return None, None
    m = re.search(r"\d[\d,]*", value)
    if not m:
        raise LoaderError(f"{what} {value!r} is not a number")
    kind = re.search(r"actual|anticipated|estimated", value, re.I)
    return int(m.group(0).replace(",", "")), kind.group(0).lower() if kind else None


def _date(value: str | None, what: str) -> TrialDate | None:
    if not value:
        return None
    kind = re.search(r"\b(actual|anticipated|estimated)\b", value, re.I)
    text = re.sub(r"[\[(]?\b(?:actual|anticipated|estimated)\b[\])]?", "", value, flags=re.I)
    parsed = parse_date(text.strip(" ,:"))
    if parsed is None:
        raise LoaderError(f"{what} {value!r} is not a date")
    return TrialDate(parsed, kind.group(1).lower() if kind else None)


def _ages(value: str | None) -> tuple[Decimal | None, Decimal | None]:
    """"18 Years and older", "18 - 65 Years", "18 Years to 65 Years" -> (min, max)."""
    if not value:
        return None, None
    nums = re.findall(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)", value)
    if not nums:
        return None, None
    unit = next((u for _, u in reversed(nums) if u), "years")
    ages = [parse_age(f"{n} {u or unit}") for n, u in nums]
    if len(ages) >= 2:
        return ages[0], ages[1]
    if re.search(r"older|above|over|\+|≥|>=|minimum|at least", value, re.I):
        return ages[0], None
    if re.search(r"younger|below|under|≤|<=|maximum|up to", value, re.I):
        return None, ages[0]
    return ages[0], None


def _yes_no(value: str | None) -> bool | None:
    if not value:
        return None
    v = value.strip().lower()
    if v in {"yes", "true", "accepts healthy volunteers", "y"}:
        return True
    if v in {"no", "false", "n"} or v.startswith("no "):
        return False
    return None


_OBS_MODEL = {"COHORT", "CASE_CONTROL", "CASE_ONLY", "CASE_CROSSOVER", "ECOLOGIC_OR_COMMUNITY",
              "FAMILY_BASED", "DEFINED_POPULATION", "NATURAL_HISTORY"}
_TIME_PERSPECTIVE = {"PROSPECTIVE", "RETROSPECTIVE", "CROSS_SECTIONAL"}


def _design(trial: Trial, lines: list[str]) -> None:
    """Design words, one a line, placed by which code list knows them."""
    d = trial.design
    for line in lines:
        label, sep, rest = line.partition(":")
        word = rest.strip() if sep and rest.strip() else line
        norm = re.sub(r"[^A-Z0-9]+", "_", word.upper()).strip("_")
        if codes.INTERVENTION_MODEL.lookup(word) and d.intervention_model is None:
            d.intervention_model = word
        elif codes.ALLOCATION.lookup(word) and d.allocation is None:
            d.allocation = word
        elif codes.masking_of(word) and d.masking is None:
            d.masking = word
        elif codes.PRIMARY_PURPOSE.lookup(word) and d.primary_purpose is None:
            d.primary_purpose = word
        elif norm in _OBS_MODEL or "model" in label.lower():
            d.observational_model = word
        elif norm in _TIME_PERSPECTIVE or "perspective" in label.lower():
            d.time_perspective = word


# --- arm table --------------------------------------------------------------------------------------

_ARM_HEADER = re.compile(r"^(?:participant\s*)?(?:group|arm)s?(?:\s*/\s*(?:arm|cohort))?\s*"
                         r"interventions?\s*descriptions?$", re.I)


def _glue_points(row: str) -> list[int]:
    """Clear cell breaks: a lower-case letter, digit or closing bracket, then a capital, with no
    space between ("radiotherapyMethotrexate", "(AEs)Up")."""
    return [i for i in range(1, len(row))
            if row[i].isupper() and (row[i - 1].islower() or row[i - 1].isdigit()
                                     or row[i - 1] in ").]%")]


def _break_points(row: str) -> set[int]:
    """Every place a cell may end: any non-space followed by a capital or a digit (labels such as
    "Arm A" end in a capital), except inside a number."""
    return {i for i in range(1, len(row))
            if not row[i - 1].isspace() and (row[i].isupper() or row[i].isdigit())
            and not (row[i].isdigit() and (row[i - 1].isdigit() or row[i - 1] in ".,"))}


def _candidates(row: str, names: list[str]) -> set[int]:
    """Where the label may end: cell breaks, and where a listed name starts as written."""
    points = _break_points(row)
    exact = {m.start() for n in names for m in re.finditer(re.escape(n), row) if m.start() > 0}
    return points | exact


def _starts(text: str, name: str, at: int = 0) -> int:
    """2 when `name` starts at `at` exactly as written, 1 ignoring case, else 0."""
    piece = text[at:at + len(name)]
    if piece == name:
        return 2
    return 1 if piece.lower() == name.lower() else 0


def _label_of(i: int, rows: list[str], names: list[str], cands: list[set[int]]) -> str | None:
    """The arm label row i starts with.

    Rows of one arm repeat its label, so the split shared with most other rows wins, and the
    longest such (the label runs as far as the rows agree); then a listed intervention name
    starting there. A row sharing its label with no other row splits before a listed name, or
    failing that at the first clear cell break.
    """
    row = rows[i]
    narrow = set(_glue_points(row))
    best: tuple[tuple[int, int, bool, int], int] | None = None
    for p in cands[i]:
        label = row[:p]
        support = sum(1 for j, r in enumerate(rows)
                      if j != i and r.startswith(label) and p in cands[j])
        name = max((_starts(row, n, p) for n in names), default=0)
        if not support and not name and p not in narrow:
            continue
        good_end = label[-1] not in "+-/&,;:( " and not label.endswith((" and", " or", " with"))
        key = (support, good_end, name, p if support else -p)
        if best is None or key > best[0]:
            best = (key, p)
    return row[:best[1]] if best else None


def _common_suffix(texts: list[str]) -> str:
    if len(texts) < 2:
        return ""
    n = 0
    shortest = min(len(t) for t in texts)
    while n < shortest and len({t[len(t) - n - 1] for t in texts}) == 1:
        n += 1
    return texts[0][len(texts[0]) - n:] if n else ""


def _desc_start(rest: str, at: int) -> int | None:
    """The cell break where a shared description starts, at or after `at`."""
    return min((p for p in _break_points(rest) | {0} if p >= at), default=None)


def _split_rest(rest: str, names: list[str], shared_desc: str | None) -> tuple[str | None, str]:
    """(intervention name, description) from what follows the label on one row."""
    if shared_desc and rest.endswith(shared_desc) and len(rest) > len(shared_desc):
        return rest[:len(rest) - len(shared_desc)], shared_desc
    if shared_desc == rest:
        return None, rest
    for n in names:  # longest first
        if _starts(rest, n):
            return rest[:len(n)], rest[len(n):]
    pts = _glue_points(rest)
    if pts:
        return rest[:pts[0]], rest[pts[0]:]
    if len(rest.split()) <= 8:
        return rest, ""
    return None, rest


def _split_arm_rows(rows: list[str], listed: list[str]) -> list[tuple[str, str | None, str]]:
    """(arm label, intervention name, arm description) for each glued row of the arm table."""
    names = sorted(dict.fromkeys(listed), key=len, reverse=True)
    cands = [_candidates(r, names) for r in rows]
    labels = [_label_of(i, rows, names, cands) for i in range(len(rows))]
    # Rows of one arm share the description: the common end of what follows the label.
    rests: dict[str, list[str]] = {}
    for row, label in zip(rows, labels):
        if label is not None:
            rests.setdefault(label, []).append(row[len(label):])
    shared: dict[str, str] = {}
    for label, parts in rests.items():
        suffix = _common_suffix(parts)
        if suffix:
            start = _desc_start(parts[0], len(parts[0]) - len(suffix))
            if start is not None:
                shared[label] = parts[0][start:]
    out: list[tuple[str, str | None, str]] = []
    for row, label in zip(rows, labels):
        if label is None:  # nothing glued: the row is a label alone
            out.append((row, None, ""))
            continue
        name, desc = _split_rest(row[len(label):], names, shared.get(label))
        out.append((label, name, desc))
    return out


def _arms(trial: Trial, lines: list[str]) -> None:
    rows = [one_line(x) for x in lines]
    rows_clean = [r for r in rows if r and not _ARM_HEADER.match(r.replace(" ", ""))
                  and not _ARM_HEADER.match(r)]
    if not rows_clean:
        return
    by_key = {_key(iv.name): iv for iv in trial.interventions}
    arms: dict[str, Arm] = {}
    for label, name, desc in _split_arm_rows(rows_clean, [iv.name for iv in trial.interventions]):
        arm = arms.setdefault(_key(label), Arm(label=label.strip()))
        if desc.strip() and not arm.description:
            arm.description = clean(desc)
        if not name or not name.strip():
            continue
        name = name.strip()
        iv = by_key.get(_key(name))
        if iv is None:  # the table names an intervention the list does not
            iv = Intervention(name=name)
            by_key[_key(name)] = iv
            trial.interventions.append(iv)
        if iv.name not in arm.intervention_names:
            arm.intervention_names.append(iv.name)
        if arm.label not in iv.arm_labels:
            iv.arm_labels.append(arm.label)
    trial.arms.extend(arms.values())


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


# --- outcome tables -----------------------------------------------------------------------------

_TIME_START = re.compile(
    r"(?:up\s+to|approximately|approx\.?|about|around|at|through|throughout|within|from|during|"
    r"until|till|baseline|day|days|week|weeks|wk|month|months|year|years|hour|hours|minute|"
    r"minutes|cycle|cycles|every|each|before|after|pre|post|end\s+of|screening|immediately|"
    r"follow|average|assessed|continuous|once|daily|visit|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|twelve|twenty|thirty|\d)", re.I)
# What a time frame speaks of; a glued tail without any of these is no time frame ("v5.0").
_TIME_CUE = re.compile(
    r"\b(?:days?|weeks?|wks?|months?|years?|yrs?|hours?|hrs?|minutes?|mins?|cycles?|visits?|"
    r"baseline|completion|follow[- ]?up|end of|discharge|surgery|randomi[sz]ation|enrol+ment|"
    r"screening|dose|infusion|treatment|progression|death|study)\b", re.I)


_NUMBER_FRAME = re.compile(
    r"\d+(?:[.,]\d+)?(?:\s*(?:-|–|to)\s*\d+(?:[.,]\d+)?)?\s*(?:days?|weeks?|wks?|months?|years?|"
    r"yrs?|hours?|hrs?|minutes?|mins?|cycles?|visits?|d|h|w)\b", re.I)


def _time_split(line: str) -> int | None:
    """Where a glued time frame starts in "MeasureUp to 3 months", or None."""
    for i in range(1, len(line)):
        prev, ch = line[i - 1], line[i]
        if prev.isspace() or (prev.isdigit() and ch.isdigit()):
            continue
        glued = (ch.isupper() and (prev.islower() or prev.isdigit() or prev in ").]%")) \
            or (ch.isdigit() and (prev.islower() or prev in ")]%")) \
            or (ch.islower() and prev in ")]" and ch != "s")
        frame = line[i:]
        if ch.isdigit() and not _NUMBER_FRAME.match(frame):
            continue  # "v1.1Every 6 weeks": a version number, not "12 weeks"
        if glued and _TIME_START.match(frame) and _TIME_CUE.search(frame) and len(frame) <= 250:
            return i
    return None


def _outcomes(kind: OutcomeKind, lines: list[str]) -> list[Outcome]:
    """Measure+time lines, each followed by optional description paragraphs."""
    out: list[Outcome] = []
    desc: list[str] = []
    prev_blank = True

    def close() -> None:
        if out and desc:
            out[-1].description = clean("\n\n".join(desc))
        desc.clear()

    for raw in lines:
        line = one_line(raw)
        if not line:
            prev_blank = True
            continue
        if re.fullmatch(r"name\s*time\s*method|measure\s*time\s*frame(?:\s*description)?", line, re.I):
            prev_blank = True
            continue
        cut = _time_split(line)
        if not out or (prev_blank and cut is not None):
            close()
            measure, frame = (line[:cut], line[cut:]) if cut is not None else (line, None)
            out.append(Outcome(kind=kind, measure=measure.strip(), time_frame=frame))
        else:
            desc.append(line)
        prev_blank = False
    close()
    return out


# --- locations --------------------------------------------------------------------------------------


def _address(site: Site, text: str) -> None:
    """"City, State, Country" (or fewer / more parts, a zip among them)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    zips = [p for p in parts if re.fullmatch(r"[A-Z0-9\- ]*\d[A-Z0-9\- ]*", p)]
    parts = [p for p in parts if p not in zips]
    site.zip = zips[0] if zips else None
    if parts:
        site.country = parts[-1]
    if len(parts) >= 2:
        site.city = parts[0]
    if len(parts) >= 3:
        site.state = ", ".join(parts[1:-1])


def _sites(lines: list[str]) -> list[Site]:
    """Facility line, flag, "City, State, Country"; the page shows each location twice."""
    sites: list[Site] = []
    facility: str | None = None
    awaiting_address = False
    current: Site | None = None
    for raw in lines:
        line = one_line(raw)
        if not line:
            continue
        if _LOCATIONS_N.match(line):
            continue
        flag = _FLAG.search(line)
        rest = _FLAG.sub("", line).strip()
        if flag and not rest:
            awaiting_address = True
            continue
        if flag or awaiting_address:
            current = Site(facility=facility)
            _address(current, rest)
            sites.append(current)
            facility, awaiting_address = None, False
        elif current is not None and facility is None and codes.STATUS.lookup(line):
            current.status = line
        else:
            facility = line
    if facility:  # a facility with no address after it
        sites.append(Site(facility=facility))
    unique: dict[tuple[str | None, ...], Site] = {}
    for s in sites:
        k = (s.facility, s.city, s.state, s.country)
        if k in unique:
            unique[k].status = unique[k].status or s.status
        else:
            unique[k] = s
    return list(unique.values())


# --- the page ---------------------------------------------------------------------------------------


def _criteria_text(page: _Page) -> str | None:
    parts: list[str] = []
    if page.body("criteria"):
        parts.append("\n".join(page.body("criteria")))
    if page.body("inclusion"):
        parts.append("Inclusion Criteria:\n" + "\n".join(page.body("inclusion")))
    if page.body("exclusion"):
        parts.append("Exclusion Criteria:\n" + "\n".join(page.body("exclusion")))
    return "\n".join(parts) if parts else None


def _eligibility(trial: Trial, page: _Page) -> None:
    lo, hi = _ages(page.first("age"))
    lo = parse_age(page.first("min_age")) if page.first("min_age") else lo
    hi = parse_age(page.first("max_age")) if page.first("max_age") else hi
    fields: dict[str, object] = {"sex": page.first("sex"),
                                 "healthy_volunteers": _yes_no(page.first("healthy"))}
    if lo is not None:
        fields["minimum_age"] = lo
    if hi is not None:
        fields["maximum_age"] = hi
    trial.eligibility = eligibility_from_text(_criteria_text(page), **fields)


def _prose(lines: list[str]) -> str | None:
    return clean("\n".join(lines))


def parse(text: str) -> Trial:
    page = _sections(text)
    trial = Trial()
    header_status = _preamble(trial, page.preamble)
    _registration(trial, page.values("registration"), page.values("secondary_ids"))
    if not trial.title and not trial.nct_id and not trial.registry_id:
        raise LoaderError("MedPath page without a trial: no title and no registration number")
    trial.official_title = page.first("official_title")
    trial.overall_status = page.first("status") or header_status
    trial.phases.extend(p for p in page.values("phase") if p not in trial.phases)
    trial.study_type = page.first("study_type")
    _design(trial, page.values("design"))
    trial.conditions = page.values("conditions")
    trial.keywords = [k.strip() for v in page.values("keywords") for k in v.split(",") if k.strip()]
    trial.interventions = _interventions(page.values("interventions"))
    _arms(trial, page.body("arms"))
    if sponsor := page.first("lead_sponsor"):
        trial.lead_sponsor = Organisation(name=sponsor)
    trial.collaborators = [Organisation(name=v) for v in page.values("collaborators")]
    trial.investigators = [Person(name=v, role="Principal Investigator")
                           for v in page.values("investigators")]
    trial.brief_summary = _prose(page.body("summary"))
    trial.detailed_description = _prose(page.body("description"))
    trial.enrollment, trial.enrollment_type = _int(page.first("enrollment"), "enrollment")
    trial.start_date = _date(page.first("start"), "start date")
    trial.primary_completion_date = _date(page.first("primary_completion"), "primary completion date")
    trial.completion_date = _date(page.first("completion"), "completion date")
    _eligibility(trial, page)
    kinds: tuple[OutcomeKind, ...] = ("primary", "secondary", "other")
    for kind in kinds:
        trial.outcomes.extend(_outcomes(kind, page.body(kind)))
    trial.sites = _sites(page.body("locations"))
    return trial


FORMAT = page_format(
    "medpath", version="1",
    description="MedPath trial page saved as text (headed sections, glued arm and outcome tables)",
    sniff=sniff, parse=parse,
)
