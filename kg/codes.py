"""Source words -> the ontology's code lists (phase, status, study type, design, ...).

Registries spell the same value many ways ("ACTIVE_NOT_RECRUITING", "Active, not recruiting",
"Phase 1/Phase 2", "PHASE1/PHASE2", "N/A", a site's "Enrolling"). Loaders keep the source's word
in the record; the mapper asks this module for the code. A word no table knows is never a crash:
it comes back as `None` and the mapper makes a generic node and a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEP = re.compile(r"[^A-Z0-9]+")


def _norm(word: str) -> str:
    return _SEP.sub("_", word.upper()).strip("_")


@dataclass(frozen=True)
class CodeList:
    """One code list: canonical local names (tg:...) and the source words that mean them."""

    name: str  # ontology class of the values, e.g. "Phase"
    table: dict[str, str]  # normalised source word -> tg local name

    def lookup(self, word: str | None) -> str | None:
        if not word:
            return None
        return self.table.get(_norm(word))


def _table(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for local, words in pairs.items():
        out[_norm(local)] = local
        for w in words:
            out[_norm(w)] = local
    return out


PHASE = CodeList(
    "Phase",
    _table(
        {
            "EarlyPhase1": ("EARLY_PHASE1", "Early Phase 1", "Phase 0", "PHASE0", "Early Phase I"),
            "Phase1": ("PHASE1", "Phase 1", "Phase I", "I", "1", "Phase 1a", "Phase 1b", "Phase Ib",
                       "Phase Ia", "Human pharmacology (Phase I)"),
            "Phase2": ("PHASE2", "Phase 2", "Phase II", "II", "2", "Phase 2a", "Phase 2b", "Phase IIa",
                       "Phase IIb", "Therapeutic exploratory (Phase II)"),
            "Phase3": ("PHASE3", "Phase 3", "Phase III", "III", "3", "Phase 3a", "Phase 3b",
                       "Therapeutic confirmatory (Phase III)"),
            "Phase4": ("PHASE4", "Phase 4", "Phase IV", "IV", "4", "Therapeutic use (Phase IV)"),
            "PhaseNotApplicable": ("NA", "N/A", "N A", "Not Applicable", "Not applicable phase",
                                   "None"),
        }
    ),
)

# Joined phases: "PHASE1/PHASE2", "Phase 1/Phase 2", "Phase 1/2", "Phase I-II", "PHASE1|PHASE2".
_PHASE_JOIN = re.compile(r"\s*(?:/|\||,|;|\band\b|-(?=\s*(?:phase|[0-4IV]+\b)))\s*", re.I)


def phases(word: str | None) -> tuple[list[str], list[str]]:
    """(tg local names, unrecognised parts) for one phase string, splitting joined phases."""
    if not word or not word.strip():
        return [], []
    whole = PHASE.lookup(word)
    if whole:
        return [whole], []
    found: list[str] = []
    unknown: list[str] = []
    parts = [p for p in _PHASE_JOIN.split(word.strip()) if p.strip()]
    prefix = ""
    for part in parts:
        code = PHASE.lookup(part) or PHASE.lookup(prefix + part)
        if re.match(r"(?i)phase", part):
            prefix = "Phase "
        if code:
            if code not in found:
                found.append(code)
        else:
            unknown.append(part)
    return found, unknown


STATUS = CodeList(
    "Status",
    _table(
        {
            "NotYetRecruiting": ("NOT_YET_RECRUITING", "Not yet recruiting", "Pending", "Not yet enrolling",
                                 "Not Recruiting Yet", "Authorised-recruitment may be ongoing or finished"),
            "Recruiting": ("RECRUITING", "Enrolling", "Open", "Recruiting now", "Active, recruiting",
                           "Ongoing, recruiting", "Open to recruitment"),
            "EnrollingByInvitation": ("ENROLLING_BY_INVITATION", "Enrolling by invitation"),
            "ActiveNotRecruiting": ("ACTIVE_NOT_RECRUITING", "Active, not recruiting", "Active",
                                    "Ongoing", "Closed to recruitment", "Not recruiting",
                                    "Active not recruiting", "Ongoing, not recruiting"),
            "Suspended": ("SUSPENDED", "Temporarily halted", "Temporarily not available",
                          "TEMPORARILY_NOT_AVAILABLE"),
            "Terminated": ("TERMINATED", "Stopped", "Prematurely Ended", "Halted prematurely"),
            "Completed": ("COMPLETED", "Closed", "Complete", "Finished", "Ended"),
            "Withdrawn": ("WITHDRAWN", "Withdrawn prior to enrollment", "Cancelled", "Canceled"),
            "UnknownStatus": ("UNKNOWN", "Unknown status", "Unknown",
                              "Authorised-recruitment may be ongoing or finished",
                              # WHO ICTRP: EU CTR's "Authorised" says the trial was approved, not
                              # whether it recruits (it stays on trials long finished), and
                              # "Not Available" says nothing at all.
                              "Authorised", "Authorized", "Not Available"),
            # Expanded-access statuses.
            "Available": ("AVAILABLE",),
            "NoLongerAvailable": ("NO_LONGER_AVAILABLE", "No longer available"),
            "ApprovedForMarketing": ("APPROVED_FOR_MARKETING", "Approved for marketing"),
            "WithheldStatus": ("WITHHELD", "Withheld"),
        }
    ),
)

STUDY_TYPE = CodeList(
    "StudyType",
    _table(
        {
            "Interventional": ("INTERVENTIONAL", "Interventional study", "Intervention",
                               "Interventional clinical trial of medicinal product"),  # EU CTR, CTIS
            "Observational": ("OBSERVATIONAL", "Observational study",
                              "Observational [Patient Registry]", "Observational Patient Registry",
                              "Observational invasive", "Observational non invasive"),  # NL-OMON
            "ExpandedAccess": ("EXPANDED_ACCESS", "Expanded access"),
        }
    ),
)

INTERVENTION_TYPE = CodeList(
    "InterventionType",
    _table(
        {
            "DrugIntervention": ("DRUG", "Drug"),
            "DeviceIntervention": ("DEVICE", "Device"),
            "BiologicalIntervention": ("BIOLOGICAL", "Biological", "Biologic", "Vaccine"),
            "ProcedureIntervention": ("PROCEDURE", "Procedure", "Procedure/Surgery", "Surgery"),
            "RadiationIntervention": ("RADIATION", "Radiation", "Radiotherapy"),
            "BehavioralIntervention": ("BEHAVIORAL", "Behavioral", "Behavioural"),
            "GeneticIntervention": ("GENETIC", "Genetic"),
            "DietarySupplementIntervention": ("DIETARY_SUPPLEMENT", "Dietary Supplement"),
            "CombinationProductIntervention": ("COMBINATION_PRODUCT", "Combination Product"),
            "DiagnosticTestIntervention": ("DIAGNOSTIC_TEST", "Diagnostic Test"),
            "OtherIntervention": ("OTHER", "Other"),
        }
    ),
)

ARM_TYPE = CodeList(
    "ArmType",
    _table(
        {
            "ExperimentalArm": ("EXPERIMENTAL", "Experimental", "Experimental group",
                                "Experimental arm"),
            "ActiveComparatorArm": ("ACTIVE_COMPARATOR", "Active Comparator",
                                    "Active comparator group"),
            "PlaceboComparatorArm": ("PLACEBO_COMPARATOR", "Placebo Comparator",
                                     "Placebo comparator group", "Placebo group"),
            "ShamComparatorArm": ("SHAM_COMPARATOR", "Sham Comparator", "Sham comparator group"),
            "NoInterventionArm": ("NO_INTERVENTION", "No Intervention", "No intervention group",
                                  "Control group"),
            "OtherArm": ("OTHER", "Other", "Other group"),
        }
    ),
)

ALLOCATION = CodeList(
    "Allocation",
    _table(
        {
            "Randomized": ("RANDOMIZED", "Randomised"),
            "NonRandomized": ("NON_RANDOMIZED", "Non-Randomized", "Non-randomised", "Nonrandomized"),
            "AllocationNotApplicable": ("NA", "N/A", "Not applicable"),
        }
    ),
)

INTERVENTION_MODEL = CodeList(
    "InterventionModel",
    _table(
        {
            "SingleGroupAssignment": ("SINGLE_GROUP", "Single Group Assignment", "Single group",
                                      "Single arm"),
            "ParallelAssignment": ("PARALLEL", "Parallel Assignment", "Parallel"),
            "CrossoverAssignment": ("CROSSOVER", "Crossover Assignment", "Crossover"),
            "FactorialAssignment": ("FACTORIAL", "Factorial Assignment", "Factorial"),
            "SequentialAssignment": ("SEQUENTIAL", "Sequential Assignment", "Sequential"),
        }
    ),
)

PRIMARY_PURPOSE = CodeList(
    "PrimaryPurpose",
    _table(
        {
            "TreatmentPurpose": ("TREATMENT", "Treatment"),
            "PreventionPurpose": ("PREVENTION", "Prevention"),
            "DiagnosticPurpose": ("DIAGNOSTIC", "Diagnostic", "Diagnosis"),
            "SupportiveCarePurpose": ("SUPPORTIVE_CARE", "Supportive Care"),
            "ScreeningPurpose": ("SCREENING", "Screening"),
            "HealthServicesResearchPurpose": ("HEALTH_SERVICES_RESEARCH", "Health Services Research"),
            "BasicSciencePurpose": ("BASIC_SCIENCE", "Basic Science"),
            "DeviceFeasibilityPurpose": ("DEVICE_FEASIBILITY", "Device Feasibility"),
            "EctPurpose": ("ECT", "Educational/Counseling/Training"),
            "OtherPurpose": ("OTHER", "Other"),
        }
    ),
)

MASKING = CodeList(
    "Masking",
    _table(
        {
            "NoMasking": ("NONE", "None (Open Label)", "None", "Open Label", "Open", "No masking"),
            "SingleMasking": ("SINGLE", "Single", "Single blind", "Single-blind"),
            "DoubleMasking": ("DOUBLE", "Double", "Double blind", "Double-blind"),
            "TripleMasking": ("TRIPLE", "Triple", "Triple blind"),
            "QuadrupleMasking": ("QUADRUPLE", "Quadruple", "Quadruple blind"),
        }
    ),
)

SEX = CodeList(
    "Sex",
    _table(
        {
            "AllSexes": ("ALL", "All", "Both", "Male and female", "Female and male", "Any"),
            "Female": ("FEMALE", "Female", "Women", "F"),
            "Male": ("MALE", "Male", "Men", "M"),
        }
    ),
)


def masking_of(word: str | None) -> str | None:
    """Masking words often carry who is masked: "Double (Participant, Investigator)"."""
    if not word:
        return None
    return MASKING.lookup(word) or MASKING.lookup(re.split(r"[(:]", word)[0])
