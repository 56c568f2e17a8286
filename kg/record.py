"""The neutral trial record: the one shape every loader produces and the mapper consumes.

Loaders know source formats and nothing about RDF; the mapper knows RDF and nothing about
formats. This module is the contract between them, so it holds what the sources say, cleaned
(plain text, typed dates and ages) but not yet interpreted (status words, phases and enum
values stay as the source wrote them; `kg.codes` maps them to the ontology's code lists).

Every field is optional except what a trial cannot exist without: a loader fills what its
format shows and leaves the rest at the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal as Lit

OutcomeKind = Lit["primary", "secondary", "other"]


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as precise as the source gave it (year, year-month or full date)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.day is not None and not 1 <= self.day <= 31:
            raise ValueError(f"day out of range: {self.day}")

    @property
    def precision(self) -> Lit["year", "month", "day"]:
        return "day" if self.day else "month" if self.month else "year"

    def iso(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


@dataclass(slots=True)
class TrialDate:
    """A milestone date with whether it happened or is planned (CT.gov's ACTUAL/ESTIMATED)."""

    date: PartialDate
    kind: str | None = None  # "actual", "anticipated"/"estimated" as the source says, or None


@dataclass(slots=True)
class Identifier:
    """Any identifier a record carries besides its primary id.

    `scheme` names the issuing registry when it is known ("NCT", "EudraCT", "ISRCTN", "ChiCTR",
    "CTIS", "JPRN", "DRKS", "CRIS", "org" for the sponsor's own study id, ...), else None.
    """

    value: str
    scheme: str | None = None
    type: str | None = None  # the source's own label for the kind of id
    issuer: str | None = None  # the organisation that issued it, when given


@dataclass(slots=True)
class Intervention:
    name: str
    type: str | None = None  # source's word: "Drug", "DRUG", "Radiation", "Biological", ...
    description: str | None = None
    other_names: list[str] = field(default_factory=list)
    arm_labels: list[str] = field(default_factory=list)  # arms that use it, when the source says
    # True when the source does not list it and it was extracted from prose (seed 004).
    extracted: bool = False


@dataclass(slots=True)
class Arm:
    label: str
    type: str | None = None  # "Experimental", "EXPERIMENTAL", "Active Comparator", ...
    description: str | None = None
    intervention_names: list[str] = field(default_factory=list)  # as the source names them


@dataclass(slots=True)
class Outcome:
    kind: OutcomeKind
    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(slots=True)
class Eligibility:
    criteria_text: str | None = None  # the whole criteria text, cleaned
    inclusion: list[str] = field(default_factory=list)  # one item a criterion
    exclusion: list[str] = field(default_factory=list)
    sex: str | None = None  # "All", "Female", "Male" as the source says
    gender_based: bool | None = None
    minimum_age: Decimal | None = None  # in years
    maximum_age: Decimal | None = None  # in years
    healthy_volunteers: bool | None = None
    std_ages: list[str] = field(default_factory=list)  # "CHILD", "ADULT", "OLDER_ADULT"


@dataclass(slots=True)
class Organisation:
    name: str
    agency_class: str | None = None  # "Industry", "OTHER", "NIH", ...


@dataclass(slots=True)
class Person:
    name: str
    role: str | None = None  # "Principal Investigator", "STUDY_CHAIR", "Responsible party", ...
    affiliation: str | None = None
    title: str | None = None  # job title when given ("Director of ...")


@dataclass(slots=True)
class Site:
    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    status: str | None = None  # site recruitment status as the source says
    latitude: float | None = None
    longitude: float | None = None


@dataclass(slots=True)
class RelatedTrial:
    """Another trial the page points at (seed 003/004 list them)."""

    trial_id: str  # NCT or other registry id
    title: str | None = None
    status: str | None = None
    phases: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Reference:
    pmid: str | None = None
    citation: str | None = None
    type: str | None = None  # "BACKGROUND", "RESULT", "DERIVED", ...


@dataclass(slots=True)
class MeshTerm:
    """A MeSH descriptor the registry itself attached (CT.gov derived/browse sections)."""

    term: str
    mesh_id: str | None = None  # "D008727"
    ancestors: list["MeshTerm"] = field(default_factory=list)
    relevance: str | None = None
    as_found: str | None = None  # the reported name the registry matched to this term


@dataclass(slots=True)
class Design:
    allocation: str | None = None
    intervention_model: str | None = None
    intervention_model_description: str | None = None
    primary_purpose: str | None = None
    masking: str | None = None
    who_masked: list[str] = field(default_factory=list)
    observational_model: str | None = None
    time_perspective: str | None = None


@dataclass(slots=True)
class Trial:
    """One trial as one source document describes it."""

    # Identity. `nct_id` when the record has one; `registry_id` for a trial known under another
    # registry only (EudraCT, ChiCTR, ...). Neither: the mapper derives a content-stable id.
    nct_id: str | None = None
    registry_id: str | None = None
    org_study_id: str | None = None
    secondary_ids: list[Identifier] = field(default_factory=list)

    title: str | None = None  # brief / public title
    official_title: str | None = None
    acronym: str | None = None
    brief_summary: str | None = None
    detailed_description: str | None = None

    phases: list[str] = field(default_factory=list)  # source words: "PHASE1", "Phase 2", "N/A"
    overall_status: str | None = None  # source word: "RECRUITING", "Enrolling", ...
    why_stopped: str | None = None
    study_type: str | None = None  # "INTERVENTIONAL", "Interventional", ...
    design: Design = field(default_factory=Design)
    enrollment: int | None = None
    enrollment_type: str | None = None  # "actual" / "estimated"

    start_date: TrialDate | None = None
    primary_completion_date: TrialDate | None = None
    completion_date: TrialDate | None = None
    first_posted: TrialDate | None = None
    last_update: TrialDate | None = None

    conditions: list[str] = field(default_factory=list)  # as reported
    keywords: list[str] = field(default_factory=list)
    condition_mesh: list[MeshTerm] = field(default_factory=list)  # registry-derived
    intervention_mesh: list[MeshTerm] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    eligibility: Eligibility = field(default_factory=Eligibility)
    outcomes: list[Outcome] = field(default_factory=list)

    lead_sponsor: Organisation | None = None
    collaborators: list[Organisation] = field(default_factory=list)
    investigators: list[Person] = field(default_factory=list)  # officials, PIs, chairs
    responsible_party: Person | None = None
    contacts: list[Person] = field(default_factory=list)  # central contacts (no phone/email kept)
    sites: list[Site] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # when given apart from sites

    related_trials: list[RelatedTrial] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    has_results: bool | None = None
    source_url: str | None = None  # the registry page the record came from, when stated
    # CT.gov v2 lists a browse module's MeSH ancestors once for all its leaves, not per leaf;
    # they are kept here whole (a leaf gets them as `ancestors` only when it is the only leaf).
    condition_mesh_ancestors: list[MeshTerm] = field(default_factory=list)
    intervention_mesh_ancestors: list[MeshTerm] = field(default_factory=list)
    # Conditions the record does not list but its prose names (kg.normalize.extract); the mapper
    # links them like reported ones and marks them as extracted.
    extracted_conditions: list[str] = field(default_factory=list)
    # Every heading CT.gov's indexer found for the record (v2 `browseLeaves`, ids left empty: they
    # are CT.gov's own "M" ids), with its relevance: HIGH ones are the leaves above, LOW ones it
    # found but did not list (and the leaves' ancestors). Not mapped; the normalisation benchmark
    # reads them to tell a wrong link from one CT.gov itself made at low relevance.
    condition_browse_leaves: list[MeshTerm] = field(default_factory=list)
    intervention_browse_leaves: list[MeshTerm] = field(default_factory=list)


@dataclass(slots=True)
class RecordError:
    """A record inside a document that could not be read; the others still load."""

    record: str  # which record: an id, an index, a path inside an archive
    message: str


@dataclass(slots=True)
class ParsedDocument:
    """What a loader returns for one source document."""

    format: str  # the loader's name, e.g. "medpath"
    trials: list[Trial] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
