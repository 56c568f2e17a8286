"""ClinicalTrials.gov text export: "Label:" lines on their own, each followed by its value.

The export flattens the registry's record tree: a block label ("Intervention:", "Arm group:",
"Primary outcome:", "Facility:", "Lead sponsor:", "Overall official:", ...) stands alone and
the labels after it ("Intervention name:", "Description:", "City:", "Agency:", ...) belong to
that block until a label of another block comes. Blocks repeat for every intervention, arm,
outcome, site and collaborator. So the page is read as a stream of (label, value) tokens and
a small context machine decides what a shared label such as "Description:", "Status:" or
"Last name:" means where it stands. Nothing depends on line positions or section order.

Values span several lines: prose is wrapped at a fixed width, so lines are re-joined unless
the break was a paragraph break (the next word would have fitted on the previous line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.record import (
    Arm, Identifier, Intervention, MeshTerm, Organisation, Outcome, OutcomeKind, Person,
    Reference, Site, Trial, TrialDate,
)
from kg.text import clean, eligibility_from_text, one_line, parse_age, parse_date
from loaders.base import LoaderError, page_format

# Label (lower case, single spaces, no colon) -> token key.
_LABELS: dict[str, str] = {
    # identity and titles
    "trial title": "title", "brief title": "title", "official title": "official_title",
    "acronym": "acronym", "nct id": "nct_id", "nct alias": "nct_alias",
    "org study id": "org_id", "organization study id": "org_id", "org study id number": "org_id",
    "unique protocol id": "org_id", "organization id": "org_id",
    "secondary id": "secondary_id", "secondary ids": "secondary_id",
    # conditions
    "condition": "condition", "conditions": "condition",
    "conditions: official terms": "condition_mesh", "condition: official terms": "condition_mesh",
    "conditions: keywords": "keywords", "keywords": "keywords", "keyword": "keywords",
    "interventions: official terms": "intervention_mesh",
    "intervention: official terms": "intervention_mesh",
    # status and design
    "study type": "study_type", "study phase": "phase", "phase": "phase",
    "overall status": "status", "last known status": "last_known_status",
    "why stopped": "why_stopped", "study design": "design",
    "allocation": "allocation", "intervention model": "intervention_model",
    "intervention model description": "model_description", "primary purpose": "primary_purpose",
    "masking": "masking", "masking description": "masking_description",
    "who masked": "who_masked", "observational model": "observational_model",
    "time perspective": "time_perspective",
    "enrollment": "enrollment", "enrolment": "enrollment", "enrollment type": "enrollment_type",
    # interventions and arms
    "intervention": "intervention", "intervention type": "intervention_type",
    "intervention name": "intervention_name", "other name": "other_name",
    "other names": "other_name", "arm group": "arm", "arm group label": "arm_label",
    "arm group type": "arm_type", "description": "description",
    # outcomes
    "primary outcome": "primary", "secondary outcome": "secondary", "other outcome": "other",
    "primary outcome measure": "primary", "secondary outcome measure": "secondary",
    "other outcome measure": "other", "other pre-specified outcome": "other",
    "measure": "measure", "time frame": "time_frame",
    # descriptions
    "summary": "summary", "brief summary": "summary", "detailed description": "detailed",
    # eligibility
    "criteria for eligibility": "eligibility", "eligibility": "eligibility",
    "criteria": "criteria", "study pop": "study_pop", "study population": "study_pop",
    "sampling method": "sampling_method", "gender": "sex", "sex": "sex",
    "gender based": "gender_based", "gender description": "gender_description",
    "minimum age": "min_age", "maximum age": "max_age",
    "healthy volunteers": "healthy", "accepts healthy volunteers": "healthy",
    # people
    "overall official": "official", "overall contact": "overall_contact",
    "overall contact backup": "overall_contact", "last name": "last_name",
    "first name": "first_name", "middle name": "middle_name", "degrees": "degrees",
    "role": "role", "affiliation": "affiliation", "phone": "phone", "phone ext": "phone",
    "email": "email",
    "responsible party": "responsible", "responsible party type": "rp_type",
    "investigator affiliation": "rp_affiliation", "investigator full name": "rp_name",
    "investigator title": "rp_title",
    # sites
    "locations": "locations", "location": "location", "facility": "facility", "name": "name",
    "address": "address", "city": "city", "state": "state", "zip": "zip",
    "country": "country", "status": "site_status", "contact": "site_contact",
    "contact backup": "site_contact", "investigator": "site_investigator",
    "location countries": "countries", "countries": "countries",
    "removed countries": "removed_countries",
    # dates
    "start date": "start", "study start date": "start",
    "completion date": "completion", "study completion date": "completion",
    "primary completion date": "primary_completion",
    "study first submitted": "first_submitted", "study first posted": "first_posted",
    "first posted": "first_posted", "last update posted": "last_update",
    "last update submitted": "last_update_submitted", "verification date": "verification",
    # sponsors
    "sponsors": "sponsors", "lead sponsor": "lead_sponsor", "collaborator": "collaborator",
    "collaborators": "collaborator", "agency": "agency", "agency class": "agency_class",
    # references and source
    "reference": "reference", "results reference": "reference", "citation": "citation",
    "pmid": "pmid", "source": "source", "record processing date": "processing_date",
    "source: clinicaltrials.gov page": "url", "clinicaltrials.gov page": "url", "url": "url",
    "has expanded access": "ignored", "oversight info": "ignored", "has dmc": "ignored",
    "is fda regulated drug": "ignored", "is fda regulated device": "ignored",
    "patient data": "ignored", "sharing ipd": "ignored", "ipd description": "prose_ignored",
}
# Free-text values: inside them only a known label ends the value, so a line such as
# "Inclusion Criteria:" stays text.
_PROSE = {"summary", "detailed", "description", "criteria", "study_pop", "official_title",
          "why_stopped", "model_description", "masking_description", "gender_description",
          "citation", "measure", "time_frame", "prose_ignored"}
# Long free text outside any block (summary, description, criteria): a label that only means
# something inside a block ("Description:", "Role:", "City:") is an author's line there, not
# the end of the value.
_TOP_PROSE = {"summary", "detailed", "criteria", "why_stopped", "study_pop", "prose_ignored"}
_BLOCK_ONLY = {"description", "measure", "time_frame", "name", "address", "city", "state", "zip",
               "country", "site_status", "site_contact", "site_investigator", "last_name",
               "first_name", "middle_name", "degrees", "role", "affiliation", "phone", "email",
               "agency", "agency_class", "intervention_type", "intervention_name", "other_name",
               "arm_label", "arm_type", "allocation", "intervention_model", "primary_purpose",
               "masking", "who_masked", "observational_model", "time_perspective",
               "model_description", "masking_description", "criteria", "citation", "pmid",
               "rp_type", "rp_affiliation", "rp_name", "rp_title", "enrollment_type"}
_GENERIC_LABEL = re.compile(r"^[A-Z][A-Za-z0-9 ,/()'&.-]{0,60}:$")
_SNIFF_LABELS = ("trial title:", "nct id:", "study type:", "study phase:", "overall status:",
                 "criteria for eligibility:", "intervention name:", "intervention type:",
                 "arm group label:", "conditions: keywords:", "lead sponsor:",
                 "source: clinicaltrials.gov page:", "record processing date:")
_NCT = re.compile(r"^NCT\d{8}$", re.I)
_NCT_IN = re.compile(r"\bNCT\d{8}\b", re.I)


def sniff(head: str) -> bool:
    """The export: "Trial Title:" or "NCT ID:" alone on a line, and two more export labels."""
    stripped = head.lstrip()
    if not stripped or stripped[0] in "{[<":
        return False
    lines = {" ".join(x.strip().lower().split()) for x in head.split("\n")}
    found = [lab for lab in _SNIFF_LABELS if lab in lines]
    return ("trial title:" in found or "nct id:" in found) and len(found) >= 3


# --- tokens ---------------------------------------------------------------------------------------


@dataclass
class _Token:
    key: str
    label: str  # as written, for messages
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        """The value on one line (names, codes, dates)."""
        return one_line("\n".join(self.lines))

    @property
    def prose(self) -> str | None:
        return clean(_unwrap(self.lines))


def _label_key(line: str, within: str | None) -> str | None:
    """The token key a line opens, or None when the line is part of the value `within`."""
    s = line.strip()
    if not s.endswith(":"):
        return None
    key = _LABELS.get(" ".join(s[:-1].lower().split()))
    if key:
        return None if within in _TOP_PROSE and key in _BLOCK_ONLY else key
    if within not in _PROSE and _GENERIC_LABEL.match(s) and len(s.split()) <= 6:
        return "unknown"
    return None


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for line in text.split("\n"):
        key = _label_key(line, tokens[-1].key if tokens else None)
        if key:
            tokens.append(_Token(key, line.strip()[:-1]))
        elif tokens:
            tokens[-1].lines.append(line.rstrip())
        elif line.strip():
            tokens.append(_Token("preamble", "", [line.rstrip()]))
    for tok in tokens:  # trailing and leading blank lines are no part of a value
        while tok.lines and not tok.lines[-1].strip():
            tok.lines.pop()
        while tok.lines and not tok.lines[0].strip():
            tok.lines.pop(0)
    return tokens


def _unwrap(lines: list[str]) -> str:
    """Re-joins lines wrapped at a fixed width; keeps breaks the author made."""
    rows = [x.strip() for x in lines]
    width = max((len(x) for x in rows), default=0)
    text = rows[0] if rows else ""
    for prev, row in zip(rows, rows[1:]):
        first_word = row.split(" ", 1)[0]
        deliberate = not row or not prev or width < 60 \
            or (len(prev) + 1 + len(first_word) <= width and prev[-1] in ".:;!?)")
        text += ("\n" if deliberate else " ") + row
    return text


# --- interpretation -------------------------------------------------------------------------------


def _date(tok: _Token) -> TrialDate | None:
    value = tok.text
    if not value:
        return None
    kind = re.search(r"\b(actual|anticipated|estimated)\b", value, re.I)
    bare = re.sub(r"[\[(]?\b(?:actual|anticipated|estimated)\b[\])]?", "", value, flags=re.I)
    parsed = parse_date(bare.strip(" ,:"))
    if parsed is None:
        raise LoaderError(f"{tok.label}: {value!r} is not a date")
    return TrialDate(parsed, kind.group(1).lower() if kind else None)


def _yes_no(value: str | None) -> bool | None:
    v = (value or "").strip().lower()
    if v in {"yes", "true", "accepts healthy volunteers"}:
        return True
    if v in {"no", "false"}:
        return False
    return None


def _id_scheme(value: str) -> str | None:
    if _NCT.match(value):
        return "NCT"
    if re.fullmatch(r"\d{4}-\d{6}-\d{2}(?:-[A-Z]{2})?", value):
        return "EudraCT"
    for scheme in ("ISRCTN", "ChiCTR", "DRKS", "JPRN", "CTRI", "ACTRN", "KCT", "IRCT"):
        if value.upper().startswith(scheme.upper()):
            return scheme
    return None


def _mesh_terms(lines: list[str]) -> list[str]:
    """MeSH headings, one a line or comma separated; an inverted heading ("Carcinoma,
    Non-Small-Cell Lung") keeps its comma: a one-word part is the head of the next part."""
    out: list[str] = []
    for line in lines:
        parts = [p.strip() for p in line.split(",") if p.strip()]
        merged: list[str] = []
        glue = False
        for part in parts:
            if glue and merged:
                merged[-1] = f"{merged[-1]}, {part}"
            else:
                merged.append(part)
            glue = len(part.split()) == 1 and len(parts) > 1 and not glue
        out.extend(merged)
    return out


@dataclass
class _Reader:
    """The context machine: which block the next sub-label belongs to."""

    trial: Trial = field(default_factory=Trial)
    ctx: str | None = None
    iv: Intervention | None = None
    arm: Arm | None = None
    outcome: Outcome | None = None
    person: Person | None = None
    site: Site | None = None
    site_person: str | None = None  # "contact" or "investigator" inside a facility block
    org: Organisation | None = None
    org_role: str | None = None
    ref: Reference | None = None
    criteria: str | None = None
    elig: dict[str, object] = field(default_factory=dict)
    rp: dict[str, str] = field(default_factory=dict)
    nct_label_seen: bool = False

    # --- blocks ---

    def new_iv(self) -> Intervention:
        self.iv = Intervention(name="")
        self.trial.interventions.append(self.iv)
        self.ctx = "intervention"
        return self.iv

    def new_arm(self) -> Arm:
        self.arm = Arm(label="")
        self.trial.arms.append(self.arm)
        self.ctx = "arm"
        return self.arm

    def new_outcome(self, kind: OutcomeKind) -> Outcome:
        self.outcome = Outcome(kind=kind, measure="")
        self.trial.outcomes.append(self.outcome)
        self.ctx = "outcome"
        return self.outcome

    def new_site(self) -> Site:
        self.site = Site()
        self.trial.sites.append(self.site)
        self.ctx, self.site_person = "site", None
        return self.site

    def new_org(self, role: str) -> None:
        self.org, self.org_role, self.ctx = None, role, "org"

    # --- the stream ---

    def read(self, tokens: list[_Token]) -> Trial:
        for i, tok in enumerate(tokens):
            nxt = tokens[i + 1].key if i + 1 < len(tokens) else None
            handler = getattr(self, f"on_{tok.key}", None)
            if handler is not None:
                handler(tok, nxt)
            elif tok.key in _TOP_LEVEL_IGNORED:
                self.ctx = None
        return self.finish()

    # identity
    def on_title(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.title = self.trial.title or tok.text

    def on_official_title(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.official_title = tok.text

    def on_acronym(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.acronym = tok.text

    def on_nct_id(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.nct_label_seen = True
        value = tok.text
        if value is None:
            return
        if not _NCT.match(value):
            raise LoaderError(f"NCT ID {value!r} is not an NCT number (NCT and 8 digits)")
        self.trial.nct_id = value.upper()

    def on_nct_alias(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        for v in tok.lines:
            if v.strip():
                self.trial.secondary_ids.append(Identifier(v.strip(), "NCT", "NCT alias"))

    def on_org_id(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.org_study_id = tok.text

    def on_secondary_id(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        for v in (x.strip() for x in tok.lines):
            if v:
                self.trial.secondary_ids.append(Identifier(v, _id_scheme(v)))

    # conditions
    def on_condition(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.conditions += [c for c in (one_line(x) for x in tok.lines) if c]

    def on_condition_mesh(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.condition_mesh += [MeshTerm(t) for t in _mesh_terms(tok.lines)]

    def on_intervention_mesh(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.intervention_mesh += [MeshTerm(t) for t in _mesh_terms(tok.lines)]

    def on_keywords(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        text = tok.text or ""
        self.trial.keywords += [k.strip() for k in text.split(",") if k.strip()]

    # status and design
    def on_study_type(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.study_type = tok.text

    def on_phase(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.phases += [p for p in (one_line(x) for x in tok.lines) if p]

    def on_status(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.overall_status = tok.text

    def on_last_known_status(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None  # CT.gov's status before it went "Unknown": the overall status stays

    def on_why_stopped(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.why_stopped = tok.prose

    def on_design(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = "design"

    def on_allocation(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.allocation = tok.text

    def on_intervention_model(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.intervention_model = tok.text

    def on_model_description(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.intervention_model_description = tok.prose

    def on_primary_purpose(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.primary_purpose = tok.text

    def on_masking(self, tok: _Token, nxt: str | None) -> None:
        value = tok.text
        self.trial.design.masking = value
        if value and (m := re.search(r"\(([^)]*)\)", value)) and "open label" not in value.lower():
            self.trial.design.who_masked += [w.strip() for w in m.group(1).split(",") if w.strip()]

    def on_who_masked(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.who_masked += [w for w in (one_line(x) for x in tok.lines) if w]

    def on_observational_model(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.observational_model = tok.text

    def on_time_perspective(self, tok: _Token, nxt: str | None) -> None:
        self.trial.design.time_perspective = tok.text

    def on_enrollment(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        value = tok.text
        if not value:
            return
        m = re.search(r"\d[\d,]*", value)
        if not m:
            raise LoaderError(f"{tok.label}: {value!r} is not a number")
        self.trial.enrollment = int(m.group(0).replace(",", ""))
        if kind := re.search(r"actual|anticipated|estimated", value, re.I):
            self.trial.enrollment_type = kind.group(0).lower()

    def on_enrollment_type(self, tok: _Token, nxt: str | None) -> None:
        self.trial.enrollment_type = tok.text.lower() if tok.text else None

    # interventions and arms
    def on_intervention(self, tok: _Token, nxt: str | None) -> None:
        self.new_iv()

    def on_intervention_type(self, tok: _Token, nxt: str | None) -> None:
        iv = self.iv if self.ctx == "intervention" and self.iv and not self.iv.type else self.new_iv()
        iv.type = tok.text

    def on_intervention_name(self, tok: _Token, nxt: str | None) -> None:
        iv = self.iv if self.ctx == "intervention" and self.iv and not self.iv.name else self.new_iv()
        iv.name = tok.text or ""

    def on_other_name(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "intervention" and self.iv:
            self.iv.other_names += [n for n in (one_line(x) for x in tok.lines) if n]

    def on_arm(self, tok: _Token, nxt: str | None) -> None:
        self.new_arm()

    def on_arm_label(self, tok: _Token, nxt: str | None) -> None:
        label = tok.text
        if not label:
            return
        if self.ctx == "intervention" and self.iv and nxt != "arm_type":
            self.iv.arm_labels.append(label)  # the intervention names an arm it is used in
            return
        arm = self.arm if self.ctx == "arm" and self.arm and not self.arm.label else self.new_arm()
        arm.label = label

    def on_arm_type(self, tok: _Token, nxt: str | None) -> None:
        arm = self.arm if self.ctx == "arm" and self.arm else self.new_arm()
        arm.type = tok.text

    def on_description(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "intervention" and self.iv:
            self.iv.description = tok.prose
        elif self.ctx == "arm" and self.arm:
            self.arm.description = tok.prose
        elif self.ctx == "outcome" and self.outcome:
            self.outcome.description = tok.prose

    # outcomes
    def on_primary(self, tok: _Token, nxt: str | None) -> None:
        self.new_outcome("primary")

    def on_secondary(self, tok: _Token, nxt: str | None) -> None:
        self.new_outcome("secondary")

    def on_other(self, tok: _Token, nxt: str | None) -> None:
        self.new_outcome("other")

    def on_measure(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "outcome" and self.outcome and not self.outcome.measure:
            out = self.outcome
        else:  # a repeated block without its own header keeps the kind before it
            out = self.new_outcome(self.outcome.kind if self.outcome else "primary")
        out.measure = one_line(tok.prose) or ""

    def on_time_frame(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "outcome" and self.outcome:
            self.outcome.time_frame = one_line(tok.prose)

    # descriptions
    def on_summary(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.brief_summary = tok.prose

    def on_detailed(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.detailed_description = tok.prose

    # eligibility
    def on_eligibility(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = "eligibility"
        if tok.lines:  # criteria written straight under the block label
            self.criteria = "\n".join(tok.lines)

    def on_criteria(self, tok: _Token, nxt: str | None) -> None:
        self.criteria = "\n".join(tok.lines)

    def on_sex(self, tok: _Token, nxt: str | None) -> None:
        self.elig["sex"] = tok.text

    def on_gender_based(self, tok: _Token, nxt: str | None) -> None:
        self.elig["gender_based"] = _yes_no(tok.text)

    def on_min_age(self, tok: _Token, nxt: str | None) -> None:
        self.elig["minimum_age"] = parse_age(tok.text)

    def on_max_age(self, tok: _Token, nxt: str | None) -> None:
        self.elig["maximum_age"] = parse_age(tok.text)

    def on_healthy(self, tok: _Token, nxt: str | None) -> None:
        self.elig["healthy_volunteers"] = _yes_no(tok.text)

    # people
    def on_official(self, tok: _Token, nxt: str | None) -> None:
        self.ctx, self.person = "official", None

    def on_overall_contact(self, tok: _Token, nxt: str | None) -> None:
        self.ctx, self.person = "contact", None

    def on_last_name(self, tok: _Token, nxt: str | None) -> None:
        name = tok.text
        if not name:
            return
        if self.ctx in ("official", "contact"):
            self.person = Person(name=name, role="Overall official" if self.ctx == "official" else None)
            (self.trial.investigators if self.ctx == "official" else self.trial.contacts).append(self.person)
        elif self.ctx == "site" and self.site_person == "investigator" and self.site:
            self.person = Person(name=name, affiliation=self.site.facility)
            self.trial.investigators.append(self.person)
        else:  # a site contact's name is not kept: the record keeps central contacts only
            self.person = None

    def _own_person(self) -> Person | None:
        """The person the current block is about, if its name came first."""
        if self.ctx in ("official", "contact") or \
                (self.ctx == "site" and self.site_person == "investigator"):
            return self.person
        return None

    def on_first_name(self, tok: _Token, nxt: str | None) -> None:
        if (person := self._own_person()) and tok.text:
            person.name = f"{tok.text} {person.name}"

    def on_degrees(self, tok: _Token, nxt: str | None) -> None:
        if (person := self._own_person()) and tok.text:
            person.name = f"{person.name}, {tok.text}"

    def on_role(self, tok: _Token, nxt: str | None) -> None:
        if (person := self._own_person()) and self.ctx != "contact":
            person.role = tok.text

    def on_affiliation(self, tok: _Token, nxt: str | None) -> None:
        if self.person and self.ctx == "official":
            self.person.affiliation = tok.text

    def on_responsible(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = "responsible"

    def on_rp_type(self, tok: _Token, nxt: str | None) -> None:
        if tok.text:
            self.rp["role"] = tok.text

    def on_rp_affiliation(self, tok: _Token, nxt: str | None) -> None:
        if tok.text:
            self.rp["affiliation"] = tok.text

    def on_rp_name(self, tok: _Token, nxt: str | None) -> None:
        if tok.text:
            self.rp["name"] = tok.text

    def on_rp_title(self, tok: _Token, nxt: str | None) -> None:
        if tok.text:
            self.rp["title"] = tok.text

    # sites
    def on_locations(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = "locations"

    def on_location(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = "locations"

    def on_facility(self, tok: _Token, nxt: str | None) -> None:
        site = self.new_site()
        site.facility = tok.text  # a facility name written straight under the label

    def on_name(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "site" and self.site and self.site_person is None:
            site = self.new_site() if self.site.facility and tok.text else self.site
            site.facility = tok.text
        elif self.ctx == "locations":
            self.new_site().facility = tok.text

    def on_address(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "site":
            self.site_person = None

    def _site_field(self, attr: str, tok: _Token) -> bool:
        if self.ctx == "site" and self.site is not None:
            self.site_person = None
            setattr(self.site, attr, tok.text)
            return True
        return False

    def on_city(self, tok: _Token, nxt: str | None) -> None:
        self._site_field("city", tok)

    def on_state(self, tok: _Token, nxt: str | None) -> None:
        self._site_field("state", tok)

    def on_zip(self, tok: _Token, nxt: str | None) -> None:
        self._site_field("zip", tok)

    def on_country(self, tok: _Token, nxt: str | None) -> None:
        if not self._site_field("country", tok):
            self.on_countries(tok, nxt)

    def on_site_status(self, tok: _Token, nxt: str | None) -> None:
        if not self._site_field("status", tok) and not self.trial.overall_status:
            self.trial.overall_status = tok.text

    def on_site_contact(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "site":
            self.site_person = "contact"

    def on_site_investigator(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "site":
            self.site_person = "investigator"

    def on_countries(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.countries += [c for c in (one_line(x) for x in tok.lines) if c]

    # dates
    def on_start(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.start_date = _date(tok)

    def on_completion(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.completion_date = _date(tok)

    def on_primary_completion(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.primary_completion_date = _date(tok)

    def on_first_posted(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.first_posted = _date(tok)

    def on_last_update(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        self.trial.last_update = _date(tok)

    # sponsors
    def on_sponsors(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None

    def on_lead_sponsor(self, tok: _Token, nxt: str | None) -> None:
        self.new_org("lead")
        if tok.text:  # a name written straight under the label
            self.set_org(tok.text)

    def on_collaborator(self, tok: _Token, nxt: str | None) -> None:
        self.new_org("collaborator")
        for name in (one_line(x) for x in tok.lines):
            if name:
                self.set_org(name, new=True)

    def set_org(self, name: str, new: bool = False) -> None:
        if self.org is not None and (new or self.org.name):
            self.org = None
        if self.org is None:
            self.org = Organisation(name=name)
            if self.org_role == "lead" and self.trial.lead_sponsor is None:
                self.trial.lead_sponsor = self.org
            else:
                self.trial.collaborators.append(self.org)
        else:
            self.org.name = name

    def on_agency(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "org" and tok.text:
            self.set_org(tok.text)

    def on_agency_class(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "org" and self.org is not None:
            self.org.agency_class = tok.text

    # references and source
    def on_reference(self, tok: _Token, nxt: str | None) -> None:
        self.ref = Reference()
        self.trial.references.append(self.ref)
        self.ctx = "reference"

    def on_citation(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "reference" and self.ref is not None:
            self.ref.citation = one_line(tok.prose)

    def on_pmid(self, tok: _Token, nxt: str | None) -> None:
        if self.ctx == "reference" and self.ref is not None:
            self.ref.pmid = tok.text

    def on_url(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None
        value = tok.text
        if value and re.match(r"https?://\S+$", value):
            self.trial.source_url = value

    def on_unknown(self, tok: _Token, nxt: str | None) -> None:
        self.ctx = None

    # --- the end ---

    def finish(self) -> Trial:
        t = self.trial
        t.interventions = [iv for iv in t.interventions if iv.name]
        t.arms = [a for a in t.arms if a.label]
        t.outcomes = [o for o in t.outcomes if o.measure]
        t.sites = [s for s in t.sites if s.facility or s.city or s.country]
        if self.rp.get("name"):
            t.responsible_party = Person(name=self.rp["name"], role=self.rp.get("role"),
                                         affiliation=self.rp.get("affiliation"),
                                         title=self.rp.get("title"))
        t.eligibility = eligibility_from_text(self.criteria, **self.elig)
        _link_arms(t)
        if t.nct_id is None and not self.nct_label_seen and t.source_url:
            if m := _NCT_IN.search(t.source_url):  # the id only in the page's address
                t.nct_id = m.group(0).upper()
        return t


def _link_arms(t: Trial) -> None:
    """Arms and interventions name each other: fill both directions, and make an arm the
    export names only inside an intervention block ("Arm group label:" under "Intervention:")."""
    arms = {a.label.casefold(): a for a in t.arms}
    for iv in t.interventions:
        for label in iv.arm_labels:
            arm = arms.get(label.casefold())
            if arm is None:
                arm = arms[label.casefold()] = Arm(label=label)
                t.arms.append(arm)
            if iv.name not in arm.intervention_names:
                arm.intervention_names.append(iv.name)


_TOP_LEVEL_IGNORED = {"source", "processing_date", "first_submitted", "last_update_submitted",
                      "verification", "removed_countries", "ignored", "prose_ignored",
                      "study_pop", "sampling_method", "gender_description", "preamble"}


def parse(text: str) -> Trial:
    tokens = _tokens(text)
    if not any(t.key in ("title", "nct_id") for t in tokens):
        raise LoaderError("ClinicalTrials.gov text export without \"Trial Title:\" or \"NCT ID:\"")
    trial = _Reader().read(tokens)
    if not trial.title and not trial.official_title and not trial.nct_id:
        raise LoaderError("ClinicalTrials.gov text export without a trial: title and NCT ID are empty")
    return trial


FORMAT = page_format(
    "ctgov-text", version="1",
    description='ClinicalTrials.gov text export ("Trial Title:", "NCT ID:" label lines)',
    sniff=sniff, parse=parse,
)
