"""Trial overview pages: "Basic Information", "Study Groups", "Sponsors" ... headings with blurbs.

The site renders ClinicalTrials.gov data as plain lines under fixed section headings, each
heading followed by a one-line blurb that says what the section is for. Most values carry no
label at all (a status word, "PHASE1/PHASE2", "40 participants", bare dates, bare design
enums), so every value is recognised by its shape or by the vocabulary it belongs to, never by
its position: sites drop empty fields, which would shift any positional reading and produce
wrong data silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from kg import codes
from kg.record import (
    Arm,
    Design,
    Eligibility,
    Identifier,
    Intervention,
    Organisation,
    Outcome,
    OutcomeKind,
    Person,
    RelatedTrial,
    Site,
    Trial,
    TrialDate,
)
from kg.text import clean, eligibility_from_text, one_line, parse_age, parse_date
from loaders.base import LoaderError, page_format

# --- the layout's headings and their blurbs --------------------------------------------------

# Heading -> the blurb the site prints under it (stripped; a reworded blurb is caught by shape).
BLURBS: dict[str, str] = {
    "Study Results": "",
    "Basic Information": "Get a concise snapshot of the trial, including recruitment status, "
    "study phase, enrollment targets, and key timeline milestones.",
    "Brief Summary": "Review the sponsor-provided synopsis that highlights what the study is "
    "about and why it is being conducted.",
    "Related Clinical Trials": "Explore similar clinical trials based on study characteristics "
    "and research focus.",
    "Detailed Description": "Dive into the extended narrative that explains the scientific "
    "background, objectives, and procedures in greater depth.",
    "Conditions": "See the medical conditions and disease areas that this research is targeting "
    "or investigating.",
    "Keywords": "",
    "Study Design": "Understand how the trial is structured, including allocation methods, "
    "masking strategies, primary purpose, and other design elements.",
    "Study Groups": "Review each arm or cohort in the study, along with the interventions and "
    "objectives associated with them.",
    "Interventions": "Learn about the drugs, procedures, or behavioral strategies being tested "
    "and how they are applied within this trial.",
    "Other Intervention Names": "Discover alternative or legacy names that may be used to "
    "describe the listed interventions across different sources.",
    "Eligibility Criteria": "Check the participation requirements, including inclusion and "
    "exclusion rules, age limits, and whether healthy volunteers are accepted.",
    "Outcome Measures": "",
    "Primary Outcomes": "",
    "Primary Outcome Measures": "",
    "Secondary Outcomes": "",
    "Secondary Outcome Measures": "",
    "Other Outcomes": "",
    "Other Outcome Measures": "",
    "Sponsors": "Meet the organizations funding or collaborating on the study and learn about "
    "their roles.",
    "Responsible Party": "Identify the individual or organization who holds primary "
    "responsibility for the study information submitted to regulators.",
    "Principal Investigators": "Learn about the lead researchers overseeing the trial and their "
    "institutional affiliations.",
    "Locations": "Explore where the study is taking place and check the recruitment status at "
    "each participating site.",
    "Countries": "Review the countries where the study has at least one active or historical "
    "site.",
    "Central Contacts": "Reach out to these primary contacts for questions about participation "
    "or study logistics.",
    "Facility Contacts": "Find local site contact details for specific facilities participating "
    "in the trial.",
    "Related Links": "Access external resources that provide additional context or updates "
    "about the study.",
    "Other Identifiers": "Review additional registry numbers or institutional identifiers "
    "associated with this trial.",
    "More Related Trials": "Additional clinical trials that may be relevant based on similarity "
    "analysis.",
}


def _key(text: str) -> str:
    """Comparison key: case, spacing and punctuation ignored."""
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


HEADINGS: dict[str, str] = {_key(h): h for h in BLURBS}
_KNOWN_BLURBS = {_key(b) for b in BLURBS.values() if b}
# The markers that tell this layout apart from other pages that share a few generic headings.
_DISTINCT = {_key(h) for h in ("Basic Information", "Study Groups", "Other Intervention Names",
                               "Principal Investigators", "Responsible Party", "Central Contacts",
                               "Facility Contacts", "Other Identifiers", "More Related Trials",
                               "Related Clinical Trials")}
_BLURB_VERBS = {"get", "review", "explore", "dive", "see", "understand", "learn", "discover",
                "check", "meet", "identify", "reach", "find", "access", "additional", "browse",
                "read", "view"}
_BLURB_TOPIC = re.compile(r"\b(trials?|study|studies|research|participa\w*|sites?)\b", re.I)


def _is_generic_blurb(line: str) -> bool:
    """A reworded or new blurb: an imperative sentence about the trial, not data."""
    words = line.split()
    return (bool(words) and words[0].casefold() in _BLURB_VERBS and line.endswith(".")
            and len(line) <= 250 and bool(_BLURB_TOPIC.search(line)))


def _is_blurb(line: str) -> bool:
    return _key(line) in _KNOWN_BLURBS or _is_generic_blurb(line)


def _is_unknown_heading(line: str, nxt: str | None) -> bool:
    """A heading the loader does not know: short title-like line followed by a blurb."""
    if nxt is None or not _is_generic_blurb(nxt):
        return False
    words = line.split()
    return (0 < len(words) <= 6 and len(line) <= 60 and not line.endswith((".", ":", ","))
            and words[0][:1].isupper())


@dataclass
class Page:
    """A page cut into its header lines and its sections (heading -> content lines)."""

    header: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)

    def get(self, heading: str) -> list[str]:
        return self.sections.get(heading, [])


_PROSE = {"Brief Summary", "Detailed Description", "Eligibility Criteria", "Study Results"}


def _heading(line: str, nxt: str | None, page: Page, current: str | None) -> str | None:
    """The known heading `line` is, if it is one.

    Descriptions and criteria sometimes hold sub-headings such as "Interventions:" or
    "Primary Outcomes"; a known heading therefore counts when its blurb follows, or, outside
    prose sections, when it is written exactly as the site writes it and is not yet seen.
    """
    heading = HEADINGS.get(_key(line)) if len(line) <= 60 else None
    if heading is None:
        return None
    if nxt is not None and _is_blurb(nxt):
        return heading
    if current in _PROSE:
        return None
    return heading if line == heading and heading not in page.sections else None


def split_page(text: str) -> Page:
    """Sections by heading; the blurb under each heading is dropped; blank lines dropped."""
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    page = Page()
    current: list[str] = page.header
    current_name: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        heading = _heading(line, nxt, page, current_name)
        if heading is None and _is_unknown_heading(line, nxt):
            heading = f"?{line}"  # kept apart, never read
        if heading is None:
            current.append(line)
            i += 1
            continue
        current = page.sections.setdefault(heading, [])
        current_name = heading
        i += 1
        if i < len(lines) and _is_blurb(lines[i]):
            i += 1
    return page


# --- sniffing -----------------------------------------------------------------------------


def sniff(head: str) -> bool:
    """Claims a page with the "Basic Information" heading and several of its sibling headings."""
    stripped = head.lstrip()
    if not stripped or stripped[0] in "{[<":
        return False
    lines = {_key(ln) for ln in head.split("\n") if ln.strip() and len(ln) <= 250}
    if _key("Basic Information") not in lines:
        return False
    distinct = len(_DISTINCT & lines)
    blurbs = len(_KNOWN_BLURBS & lines)
    return distinct + blurbs >= 3


# --- vocabularies of unlabelled values ----------------------------------------------------

_NCT = re.compile(r"^NCT\d{8}$", re.I)
_ENROLLMENT = re.compile(
    r"^(\d[\d,.\s]*)\s+(?:participants?|patients?|subjects?|enrolled)\b\s*(?:\((\w+)\))?$", re.I)
_ENROLLMENT_KINDS = {"actual": "actual", "estimated": "estimated", "anticipated": "estimated"}
_DATE_KIND = re.compile(r"\s*\((actual|estimated|anticipated)\)\s*$", re.I)
_AGE_LINE = re.compile(r"^\d+(?:\.\d+)?\s*(?:years?|months?|weeks?|days?|hours?|minutes?)$", re.I)
_NO_LIMIT = {"n a", "no limit"}
_HEALTHY = {"yes": True, "no": False, "true": True, "false": False,
            "accepts healthy volunteers": True, "no healthy volunteers": False}
_STD_AGES = {"CHILD", "ADULT", "OLDER_ADULT"}
_OBS_MODELS = {"COHORT", "CASE_CONTROL", "CASE_ONLY", "CASE_CROSSOVER", "ECOLOGIC_OR_COMMUNITY",
               "FAMILY_BASED", "DEFINED_POPULATION", "NATURAL_HISTORY", "OTHER"}
_TIME_PERSPECTIVES = {"PROSPECTIVE", "RETROSPECTIVE", "CROSS_SECTIONAL", "OTHER"}
_WHO_MASKED = {"PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"}
_AGENCY_CLASSES = {"NIH", "FED", "OTHER_GOV", "INDIV", "INDUSTRY", "NETWORK", "AMBIG", "OTHER",
                   "UNKNOWN"}
_RESPONSIBLE_TYPES = {"SPONSOR", "PRINCIPAL_INVESTIGATOR", "SPONSOR_INVESTIGATOR"}
_ID_SCHEMES = {"EUDRACT_NUMBER": "EudraCT", "CTIS": "CTIS", "NIH": "NIH", "FDA": "FDA",
               "VA": "VA", "CDC": "CDC", "AHRQ": "AHRQ", "SAMHSA": "SAMHSA"}
_LABEL = re.compile(r"^([A-Za-z][A-Za-z ]{0,40}):\s*(.*)$")
_HEADER_LABELS = {"nct id", "last updated", "last update posted", "first posted",
                  "first submitted", "official title", "acronym", "source", "source url", "url",
                  "study start", "org study id"}
_URL = re.compile(r"^https?://\S+$")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_PHONE = re.compile(r"^(?:phone|tel|telephone|email|e-mail)\s*:|^\+?[\d\s().\-/ext]{6,}$", re.I)


def _enum(word: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", word.upper()).strip("_")


def _is_status(line: str) -> bool:
    return codes.STATUS.lookup(line) is not None


def _is_phase(line: str) -> bool:
    found, unknown = codes.phases(line)
    return bool(found) and not unknown and not re.fullmatch(r"\d|[IV]+", line.strip())


def _trial_date(line: str) -> TrialDate | None:
    kind = None
    if m := _DATE_KIND.search(line):
        kind = m.group(1).lower()
        line = line[: m.start()]
    pd = parse_date(line)
    return TrialDate(pd, kind) if pd else None


def _label(line: str, *labels: str) -> str | None:
    """The value of a "Label: value" line when its label is one of `labels`."""
    m = _LABEL.match(line)
    if m and _key(m.group(1)) in {_key(x) for x in labels}:
        return m.group(2).strip()
    return None


# --- header -------------------------------------------------------------------------------


def _read_header(lines: list[str], trial: Trial) -> None:
    """Title (the first unlabelled line), NCT ID and the labelled dates above the sections."""
    for line in lines:
        m = _LABEL.match(line)
        label = _key(m.group(1)) if m else None
        if m and label in _HEADER_LABELS:
            _header_field(label, m.group(2).strip(), trial)
        elif _URL.match(line):
            trial.source_url = trial.source_url or line
        elif _NCT.match(line) and trial.nct_id is None:  # "NCT ID:" with the id on the next line
            trial.nct_id = line.upper()
        elif trial.title is None:
            trial.title = one_line(line)


def _header_field(label: str, value: str, trial: Trial) -> None:
    if not value:
        return
    if label == "nct id":
        if not _NCT.match(value):
            raise LoaderError(f"'NCT ID:' line holds {value!r}, not an NCT number")
        trial.nct_id = value.upper()
    elif label in {"last updated", "last update posted"}:
        trial.last_update = _trial_date(value)
    elif label == "first posted":
        trial.first_posted = _trial_date(value)
    elif label == "official title":
        trial.official_title = one_line(value)
    elif label == "acronym":
        trial.acronym = one_line(value)
    elif label in {"source", "source url", "url"} and _URL.match(value):
        trial.source_url = value
    elif label == "org study id":
        trial.org_study_id = one_line(value)


# --- basic information and design ---------------------------------------------------------


def _read_basic(lines: list[str], trial: Trial) -> None:
    """Status, phases, enrollment, study type and dates, each known by its shape."""
    dates: list[TrialDate] = []
    for line in lines:
        if m := _ENROLLMENT.match(line):
            trial.enrollment = int(re.sub(r"[\s,.]", "", m.group(1)))
            if m.group(2):
                trial.enrollment_type = _ENROLLMENT_KINDS.get(m.group(2).lower())
        elif _enum(line) in {"ACTUAL", "ESTIMATED", "ANTICIPATED"}:
            trial.enrollment_type = _ENROLLMENT_KINDS[line.strip().lower()]
        elif (d := _trial_date(line)) is not None:
            dates.append(d)
        elif codes.STUDY_TYPE.lookup(line):
            trial.study_type = line
        elif _is_status(line):
            trial.overall_status = line
        elif _is_phase(line):
            trial.phases.append(line)
    _assign_dates(dates, trial)


def _assign_dates(dates: list[TrialDate], trial: Trial) -> None:
    """Milestones in time order: start, (primary completion,) completion."""
    ordered = sorted(dates, key=lambda d: (d.date.year, d.date.month or 0, d.date.day or 0))
    if not ordered:
        return
    trial.start_date = ordered[0]
    if len(ordered) >= 2:
        trial.completion_date = ordered[-1]
    if len(ordered) >= 3:
        trial.primary_completion_date = ordered[-2]


_DESIGN_SLOTS: dict[str, tuple[str, ...]] = {
    # slot -> study types it belongs to (first match wins for words several vocabularies share)
    "allocation": ("Interventional", "ExpandedAccess"),
    "intervention_model": ("Interventional", "ExpandedAccess"),
    "primary_purpose": ("Interventional", "ExpandedAccess"),
    "masking": ("Interventional", "ExpandedAccess"),
    "observational_model": ("Observational",),
    "time_perspective": ("Observational",),
}


def _design_slots(word: str) -> list[str]:
    """Every design field whose vocabulary holds `word`."""
    e = _enum(word)
    slots = []
    if codes.ALLOCATION.lookup(word):
        slots.append("allocation")
    if codes.INTERVENTION_MODEL.lookup(word):
        slots.append("intervention_model")
    if codes.PRIMARY_PURPOSE.lookup(word):
        slots.append("primary_purpose")
    if codes.masking_of(word):
        slots.append("masking")
    if e in _OBS_MODELS:
        slots.append("observational_model")
    if e in _TIME_PERSPECTIVES:
        slots.append("time_perspective")
    return slots


def _read_design(lines: list[str], study_type: str | None) -> Design:
    """Each bare enum goes to the design field whose vocabulary holds it."""
    design = Design()
    kind = codes.STUDY_TYPE.lookup(study_type)
    for line in lines:
        whos = [w.strip() for w in re.split(r"[,;]", line)]
        if all(_enum(w) in _WHO_MASKED for w in whos):
            design.who_masked += [w for w in whos if w not in design.who_masked]
            continue
        if (v := _label(line, "Model Description", "Intervention Model Description")) is not None:
            design.intervention_model_description = clean(v)
            continue
        if _label(line, "Masking Description") is not None:
            continue  # the record has no field for it
        slots = _design_slots(line)
        preferred = [s for s in slots if kind is None or kind in _DESIGN_SLOTS[s]]
        for slot in preferred + [s for s in slots if s not in preferred]:
            if getattr(design, slot) is None:
                value = line.strip()
                if slot == "masking" and (m := re.match(r"^(\w+)\s*\((.+)\)$", value)):
                    design.who_masked += [w.strip() for w in m.group(2).split(",")]
                setattr(design, slot, value)
                break
    return design


# --- interventions and arms ---------------------------------------------------------------


def _type_prefixed(line: str) -> tuple[str | None, str]:
    """("DRUG", "Nab paclitaxel") from "DRUG: Nab paclitaxel"; (None, line) otherwise."""
    m = re.match(r"^([A-Za-z][A-Za-z _/]{1,30}):\s*(.+)$", line)
    if m and codes.INTERVENTION_TYPE.lookup(m.group(1)):
        return m.group(1).strip(), m.group(2).strip()
    return None, line


def _read_interventions(lines: list[str]) -> list[Intervention]:
    """Name / description pairs; a "TYPE: name" line or a bare type line gives the type."""
    out: list[Intervention] = []
    i = 0
    while i < len(lines):
        type_word, name = _type_prefixed(lines[i])
        iv = Intervention(name=one_line(name) or name, type=type_word)
        i += 1
        if i < len(lines) and iv.type is None and _enum(lines[i]) == lines[i] \
                and codes.INTERVENTION_TYPE.lookup(lines[i]):
            iv.type = lines[i]
            i += 1
        if i < len(lines) and _type_prefixed(lines[i])[0] is None:
            iv.description = clean(lines[i])
            i += 1
        out.append(iv)
    return out


def _read_other_names(lines: list[str], interventions: list[Intervention]) -> None:
    """"Name: alias, alias" lines, or a name line followed by its aliases one a line."""
    by_key = {_key(iv.name): iv for iv in interventions}
    current: Intervention | None = interventions[0] if len(interventions) == 1 else None
    for line in lines:
        m = re.match(r"^(.+?):\s*(.+)$", line)
        if m and _key(m.group(1)) in by_key:
            target = by_key[_key(m.group(1))]
            aliases = [a.strip() for a in re.split(r"[;,]", m.group(2)) if a.strip()]
            target.other_names += [a for a in aliases if a not in target.other_names]
        elif _key(line) in by_key and len(interventions) > 1:
            current = by_key[_key(line)]
        elif current is not None and line not in current.other_names:
            current.other_names.append(clean(line) or line)


def _looks_like_label(line: str) -> bool:
    """Arm labels are short names, not sentences."""
    return len(line) <= 100 and len(line.split()) <= 14 and not line.endswith((".", ";", ":", ","))


_ARM_TYPE_LABEL = ("Arm Type", "Group Type", "Type")


def _arm_type(line: str) -> str | None:
    value = _label(line, *_ARM_TYPE_LABEL)
    if value is not None:
        return value if codes.ARM_TYPE.lookup(value) else None
    if _enum(line) == line.strip() and codes.ARM_TYPE.lookup(line):
        return line.strip()
    return None


def _read_arms(lines: list[str], interventions: list[Intervention]) -> list[Arm]:
    """Arms: label, optional type, description paragraphs, then intervention name/description pairs.

    The Interventions section is the vocabulary: a line is an intervention of the current arm
    only when it names one and (if that intervention has a description) the next line repeats
    that description, so an arm labelled like an intervention still starts a new arm.
    """
    by_key = {_key(iv.name): iv for iv in interventions}
    arms: list[Arm] = []
    desc: list[str] = []
    in_ivs = False
    i = 0

    def close() -> None:
        if arms and desc:
            arms[-1].description = clean("\n".join(desc))
        desc.clear()

    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        iv = by_key.get(_key(_type_prefixed(line)[1]))
        if arms and iv is not None and (not iv.description or (nxt is not None
                                                                and clean(nxt) == iv.description)):
            if iv.name not in arms[-1].intervention_names:
                arms[-1].intervention_names.append(iv.name)
            iv.arm_labels.append(arms[-1].label)
            in_ivs = True
            i += 2 if iv.description else 1
            continue
        starts_arm = (not arms or in_ivs or (nxt is not None and _arm_type(nxt) is not None)
                      or (bool(desc) and _looks_like_label(line)))
        if starts_arm:
            close()
            arms.append(Arm(label=one_line(line) or line))
            in_ivs = False
            i += 1
            if nxt is not None and (t := _arm_type(nxt)) is not None:
                arms[-1].type = t
                i += 1
            continue
        desc.append(line)
        i += 1
    close()
    for iv in interventions:  # an intervention repeated under one arm names that arm once
        iv.arm_labels = list(dict.fromkeys(iv.arm_labels))
    return arms


# --- eligibility --------------------------------------------------------------------------


def _trailer_kind(line: str) -> str | None:
    """Which unlabelled eligibility value a line is: age, no-limit age, sex, volunteers, std age."""
    k = _key(line)
    if _AGE_LINE.match(line):
        return "age"
    if k in _NO_LIMIT:
        return "age"
    if _enum(line) in {"ALL", "FEMALE", "MALE"}:
        return "sex"
    if k in _HEALTHY:
        return "healthy"
    if all(_enum(w) in _STD_AGES for w in re.split(r"[,;]", line)):
        return "std"
    return None


def _read_eligibility(lines: list[str]) -> Eligibility:
    """Criteria text, then the bare ages, sex and healthy-volunteers values at the end."""
    end = len(lines)
    while end > 0 and _trailer_kind(lines[end - 1]):
        end -= 1
    criteria, trailer = lines[:end], lines[end:]
    ages: list[Decimal | None] = []
    fields: dict[str, object] = {}
    std: list[str] = []
    for line in trailer:
        kind = _trailer_kind(line)
        if kind == "age":
            ages.append(parse_age(line))
        elif kind == "sex":
            fields["sex"] = line
        elif kind == "healthy":
            fields["healthy_volunteers"] = _HEALTHY[_key(line)]
        elif kind == "std":
            std += [w.strip() for w in re.split(r"[,;]", line)]
    ages = ages[-2:]  # a criteria list ending in "N/A" must not shift the real ages
    if ages:
        fields["minimum_age"] = ages[0]
    if len(ages) >= 2:
        fields["maximum_age"] = ages[1]
    if std:
        fields["std_ages"] = std
    return eligibility_from_text("\n".join(criteria) or None, **fields)


# --- outcomes -----------------------------------------------------------------------------

_OUTCOME_SECTIONS: dict[str, OutcomeKind | None] = {
    "Outcome Measures": None,
    "Primary Outcomes": "primary", "Primary Outcome Measures": "primary",
    "Secondary Outcomes": "secondary", "Secondary Outcome Measures": "secondary",
    "Other Outcomes": "other", "Other Outcome Measures": "other",
}
_KIND_LINE = re.compile(r"^(primary|secondary|other)(?:\s+outcomes?(?:\s+measures?)?)?:?$", re.I)


def _read_outcomes(lines: list[str], kind: OutcomeKind | None) -> list[Outcome]:
    """Measure, optional description, "Time Frame: ..." per outcome; kind lines switch kind."""
    out: list[Outcome] = []
    kind = kind or "primary"
    block: list[str] = []
    has_frames = any(_label(ln, "Time Frame") is not None for ln in lines)

    def flush(frame: str | None) -> None:
        if block:
            measure, *rest = block
            desc = [(_label(r, "Description") or r) for r in rest]
            out.append(Outcome(kind, one_line(measure) or measure, clean(frame) if frame else None,
                               clean("\n".join(desc)) if desc else None))
        block.clear()

    for line in lines:
        if m := _KIND_LINE.match(line):
            flush(None)
            kind = m.group(1).lower()  # type: ignore[assignment]
        elif (frame := _label(line, "Time Frame")) is not None:
            flush(frame)
        else:
            block.append(line)
            if not has_frames:  # no time frames anywhere: one outcome a line
                flush(None)
    flush(None)
    return out


# --- organisations, people, places --------------------------------------------------------


def _read_sponsors(lines: list[str], trial: Trial) -> None:
    """Organisation / class pairs (class optional); the first is the lead sponsor."""
    orgs: list[Organisation] = []
    for line in lines:
        if orgs and orgs[-1].agency_class is None and _enum(line) == line and line in _AGENCY_CLASSES:
            orgs[-1].agency_class = line
        else:
            orgs.append(Organisation(one_line(line) or line))
    if orgs:
        trial.lead_sponsor = orgs[0]
        trial.collaborators = orgs[1:]


def _read_people(lines: list[str]) -> list[Person]:
    """Name, "Role: ...", affiliation groups: the "Role:" line anchors each person."""
    lines = [ln for ln in lines if not _EMAIL.search(ln) and not _PHONE.match(ln)]
    people: list[Person] = []
    roles = [i for i, ln in enumerate(lines) if _label(ln, "Role") is not None]
    if not roles:
        return [Person(one_line(ln) or ln) for ln in lines]
    used: set[int] = set()
    for n, i in enumerate(roles):
        if i == 0 or (i - 1) in used:
            continue
        person = Person(one_line(lines[i - 1]) or lines[i - 1], role=_label(lines[i], "Role"))
        used.update({i - 1, i})
        nxt_role = roles[n + 1] if n + 1 < len(roles) else len(lines) + 1
        if i + 1 < len(lines) and i + 1 != nxt_role - 1:
            person.affiliation = one_line(lines[i + 1])
            used.add(i + 1)
        people.append(person)
    return people


def _read_responsible(lines: list[str]) -> Person | None:
    """Name, job title, affiliation as given; a bare type word (SPONSOR...) is the role."""
    role = next((ln for ln in lines if _enum(ln) in _RESPONSIBLE_TYPES), None)
    rest = [ln for ln in lines if ln != role and _label(ln, "Role") is None]
    if labelled := next((_label(ln, "Role") for ln in lines if _label(ln, "Role")), None):
        role = labelled
    if not rest:
        return None
    person = Person(one_line(rest[0]) or rest[0], role=role or "Responsible party")
    if len(rest) > 1:
        person.title = one_line(rest[1])
    if len(rest) > 2:
        person.affiliation = one_line(rest[2])
    return person


def _address(line: str) -> Site | None:
    """"City, State, Zip, Country" (state and zip may be empty or absent)."""
    if "," not in line:
        return None
    parts = [p.strip() for p in line.split(",")]
    if len(parts) > 4 or not parts[-1] or not parts[0]:
        return None
    site = Site(city=parts[0], country=parts[-1])
    for part in parts[1:-1]:
        if not part:
            continue
        if re.search(r"\d", part):
            site.zip = part
        elif site.state is None:
            site.state = part
    return site


def _read_locations(lines: list[str]) -> list[Site]:
    """Facility line, optional status word, "City, State, Country" line, per site."""
    sites: list[Site] = []
    facility: str | None = None
    status: str | None = None
    for line in lines:
        if _enum(line) == line and _is_status(line):
            if facility is None and sites and sites[-1].status is None:
                sites[-1].status = line  # status printed after the address
            else:
                status = line
            continue
        addr = _address(line) if facility is not None else None
        if addr is None and facility is not None:
            sites.append(Site(facility=facility, status=status))  # a site with no address
            facility, status = None, None
        if addr is None:
            facility = one_line(line)
            continue
        addr.facility, addr.status = facility, status
        sites.append(addr)
        facility, status = None, None
    if facility is not None:
        sites.append(Site(facility=facility, status=status))
    return sites


def _read_identifiers(lines: list[str], trial: Trial) -> None:
    """Id lines each followed by "Identifier Type:" / "Identifier Source:" lines."""
    items: list[dict[str, str]] = []
    for line in lines:
        if (v := _label(line, "Identifier Type", "Type")) is not None:
            if items:
                items[-1]["type"] = v
        elif (v := _label(line, "Identifier Source", "Source")) is not None:
            if items:
                items[-1]["source"] = v
        elif (v := _label(line, "Identifier Domain", "Domain", "Issuer")) is not None:
            if items:
                items[-1]["issuer"] = v
        else:
            items.append({"value": line})
    for item in items:
        value = one_line(item["value"]) or item["value"]
        id_type = item.get("type") if item.get("type") not in {None, "", "-"} else None
        source = (item.get("source") or "").strip()
        if _enum(source) == "ORG_STUDY_ID" and trial.org_study_id is None:
            trial.org_study_id = value
            continue
        if _NCT.match(value):
            scheme: str | None = "NCT"
        else:
            scheme = _ID_SCHEMES.get(_enum(id_type or ""))
        trial.secondary_ids.append(Identifier(value, scheme=scheme, type=id_type,
                                              issuer=item.get("issuer")))


def _read_related(lines: list[str]) -> list[RelatedTrial]:
    """Title / NCT id pairs, with a status or phase line when the page shows one."""
    out: list[RelatedTrial] = []
    title: str | None = None
    status: str | None = None
    phases: list[str] = []
    for line in lines:
        value = _label(line, "NCT ID", "NCT") or line
        if _NCT.match(value):
            out.append(RelatedTrial(value.upper(), one_line(title) if title else None, status,
                                    list(phases)))
            title, status, phases = None, None, []
        elif _enum(line) == line and _is_status(line) and out and title is None:
            out[-1].status = out[-1].status or line
        elif _enum(line) == line and _is_status(line):
            status = line
        elif _is_phase(line):
            (out[-1].phases if out and title is None else phases).append(line)
        else:
            title = line
    return out


# --- the page -----------------------------------------------------------------------------


def _lines_list(lines: Iterable[str]) -> list[str]:
    """One entry a line, cleaned; empty ones dropped."""
    return [c for ln in lines if (c := one_line(ln))]


def parse(text: str) -> Trial:
    page = split_page(text)
    trial = Trial()
    _read_header(page.header, trial)
    if trial.nct_id is None and trial.title is None:
        raise LoaderError("overview page shows neither a title nor an 'NCT ID:' line above "
                          "its sections")
    if not page.sections:
        raise LoaderError("overview page has no sections (truncated?)")
    _read_basic(page.get("Basic Information"), trial)
    if results := page.get("Study Results"):
        trial.has_results = not any("not published" in ln.lower() for ln in results)
    trial.brief_summary = clean("\n".join(page.get("Brief Summary"))) if page.get("Brief Summary") else None
    trial.detailed_description = clean("\n".join(page.get("Detailed Description"))) \
        if page.get("Detailed Description") else None
    trial.conditions = _lines_list(page.get("Conditions"))
    trial.keywords = _lines_list(page.get("Keywords"))
    trial.design = _read_design(page.get("Study Design"), trial.study_type)
    trial.interventions = _read_interventions(page.get("Interventions"))
    _read_other_names(page.get("Other Intervention Names"), trial.interventions)
    trial.arms = _read_arms(page.get("Study Groups"), trial.interventions)
    if page.get("Eligibility Criteria"):
        trial.eligibility = _read_eligibility(page.get("Eligibility Criteria"))
    for heading, kind in _OUTCOME_SECTIONS.items():
        trial.outcomes += _read_outcomes(page.get(heading), kind)
    _read_sponsors(page.get("Sponsors"), trial)
    trial.responsible_party = _read_responsible(page.get("Responsible Party"))
    trial.investigators = _read_people(page.get("Principal Investigators"))
    trial.contacts = _read_people(page.get("Central Contacts"))
    trial.sites = _read_locations(page.get("Locations"))
    trial.countries = _lines_list(page.get("Countries"))
    _read_identifiers(page.get("Other Identifiers"), trial)
    related = _read_related(page.get("Related Clinical Trials")) \
        + _read_related(page.get("More Related Trials"))
    seen: set[str] = {trial.nct_id} if trial.nct_id else set()
    for rel in related:
        if rel.trial_id not in seen:
            seen.add(rel.trial_id)
            trial.related_trials.append(rel)
    return trial


FORMAT = page_format(
    "overview",
    version="1",
    description="Trial overview page: 'Basic Information', 'Study Groups', 'Sponsors' ... "
    "headings, each with a one-line blurb, values mostly unlabelled",
    sniff=sniff,
    parse=parse,
)
