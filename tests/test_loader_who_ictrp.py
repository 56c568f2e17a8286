"""WHO ICTRP XML export loader, on the real export in ../shared/corpus and hand-made variants.

Expected values were read off `other-registries/who-ictrp/ICTRP-Results(1).xml` (the <Trial>
named in each test), not off the loader's output.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg import codes
from kg.pipeline import load_file
from kg.record import PartialDate, RecordError, Trial
from kg.store import TrialStore
from kg.vocab import trial_iri
from loaders import who_ictrp
from loaders.base import LoaderError
from tests.conftest import CORPUS_DIR as CORPUS
from tests.conftest import split_items

ROOT = Path(__file__).resolve().parents[1]
EXPORT = CORPUS / "other-registries" / "who-ictrp" / "ICTRP-Results(1).xml"
FIXTURES = ROOT / "tests" / "fixtures" / "who-ictrp"
TRIAL = "https://w3id.org/trialgraph/trial/"


def read_all(path: Path) -> tuple[list[Trial], list[RecordError]]:
    return split_items(who_ictrp.read(path))


@pytest.fixture(scope="module")
def export() -> dict[str, Trial]:
    if not EXPORT.is_file():
        pytest.skip(f"shared corpus not found: {EXPORT} is absent")
    trials, errors = read_all(EXPORT)
    assert not errors, errors
    return {(t.nct_id or t.registry_id or ""): t for t in trials}


def phase_codes(t: Trial) -> list[str]:
    return [c for w in t.phases for c in codes.phases(w)[0]]


def ids(t: Trial) -> list[tuple[str, str | None]]:
    return [(i.value, i.scheme) for i in t.secondary_ids]


# --- one record of each registry ------------------------------------------------------------------


@pytest.mark.corpus
def test_ctgov_record(export: dict[str, Trial]) -> None:
    t = export["NCT06360289"]
    assert t.registry_id is None
    assert t.title.startswith("Observational Study of Neurofilament Light Chain (NfL) as a Biomarker")
    assert t.official_title.endswith("Including Patients Who Undergo Treatment Change - NeuroFeeL Study")
    assert t.acronym is None  # <Acronym/> is empty
    assert t.lead_sponsor.name == "Alnylam Pharmaceuticals"
    assert codes.STATUS.lookup(t.overall_status) == "Recruiting"
    assert t.phases == []
    assert codes.STUDY_TYPE.lookup(t.study_type) == "Observational"
    assert t.enrollment == 500
    assert t.start_date.date == PartialDate(2024, 4, 25)  # "April 25, 2024"
    assert t.first_posted.date == PartialDate(2024, 4, 8)  # Date_registration3 20240408
    assert t.conditions == ["Hereditary Amyloidosis, Transthyretin-Related", "Asymptomatic Carrier State"]
    assert [(i.name, i.type) for i in t.interventions] == [("Standard of Care", "Other")]
    assert t.countries == ["France"]
    assert ids(t) == [("ALN-TTR-NT-003", None)]
    e = t.eligibility
    assert (e.minimum_age, e.maximum_age, e.sex) == (None, None, "All")  # N/A, N/A, All
    assert len(e.inclusion) == 2 and e.inclusion[0].startswith("Carrier of a documented pathogenic TTR")
    assert len(e.exclusion) == 3
    assert e.exclusion[1].startswith("Estimated glomerular filtration rate (eGFR) <45 milliliters")
    assert [o.kind for o in t.outcomes] == ["primary"] * 2 + ["secondary"] * 5
    assert t.outcomes[1].measure.startswith("Change in NfL Levels Over Time")
    assert [(c.name, c.affiliation) for c in t.contacts] == [("Alnylam Clinical Trial Information Line", None)]
    assert t.source_url == "https://clinicaltrials.gov/ct2/show/NCT06360289"
    assert t.has_results is None


@pytest.mark.corpus
def test_no_contact_email_or_phone_reaches_the_record(export: dict[str, Trial]) -> None:
    for t in export.values():
        for p in t.contacts:
            text = f"{p.name} {p.affiliation or ''}"
            assert "@" not in text and not re.search(r"\d{3}[- ]?\d{3,}", text), (t.nct_id, p)


@pytest.mark.corpus
def test_ctis_record(export: dict[str, Trial]) -> None:
    t = export["2023-507385-11-00"]  # TrialID CTIS2023-507385-11-00
    assert t.nct_id is None
    assert t.title == "Long-Term Follow-Up of Subjects Treated With NTLA-2001"
    assert t.lead_sponsor.name == "Intellia Therapeutics Inc."
    assert [c.name for c in t.collaborators] == ["Medpace Finland Oy"]
    assert codes.STATUS.lookup(t.overall_status) == "ActiveNotRecruiting"  # "Not Recruiting"
    assert phase_codes(t) == ["Phase2", "Phase3"]  # the (Phase II) and (Phase III) marked yes
    assert codes.STUDY_TYPE.lookup(t.study_type) == "Interventional"
    assert ids(t) == [("U1111-1296-5487", "UTN"), ("2022-003405-30", "EudraCT"), ("NCT05697861", "NCT")]
    assert t.countries == ["Sweden", "United Kingdom", "New Zealand"]
    assert t.eligibility.minimum_age == Decimal(18)
    assert t.eligibility.maximum_age is None  # "65+" is an open band
    assert t.eligibility.sex == "All"  # "Female: yes Male: yes"
    assert t.eligibility.inclusion == [
        "A subject has completed or discontinued from an Intellia-sponsored clinical study in which "
        "a complete or partial dose of NTLA-2001 was received.",
        "A subject has provided informed consent for the LTFU study."]
    assert t.eligibility.exclusion == []  # "Exclusion criteria: Not applicable."
    [iv] = t.interventions
    assert (iv.name, iv.type, iv.other_names) == ("NTLA-2001", "Drug", ["PRD8425756"])
    assert t.conditions == [
        "Hereditary Transthyretin Amyloidosis with Polyneuropathy (ATTRv-PN)",
        "Transthyretin Amyloidosis-Related Cardiomyopathy (ATTR-CM)",
        "Cardiac amyloidosis", "Hereditary neuropathic amyloidosis"]
    assert t.enrollment == 74
    assert t.start_date.date == PartialDate(2024, 4, 16)
    [primary] = [o for o in t.outcomes if o.kind == "primary"]  # objectives are not outcomes
    assert primary.measure.startswith("For ATTR-CM and ATTRv-PN subjects, incidence of:")


@pytest.mark.corpus
def test_eu_ctr_record(export: dict[str, Trial]) -> None:
    t = export["2021-000037-14-PL"]  # TrialID EUCTR2021-000037-14-PL
    assert t.nct_id is None
    assert ids(t) == [("2021-000037-14", "EudraCT"), ("NEOD001301", None), ("NCT04973137", "NCT"),
                      ("146070", None), ("2021-000037-14-DK", "EudraCT")]
    assert codes.STATUS.lookup(t.overall_status) == "UnknownStatus"  # "Authorised"
    assert phase_codes(t) == ["Phase3"]
    assert t.eligibility.sex == "All"
    # No age fields; the age-group check list says: under 18 no, adults yes, elderly yes.
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(18), None)
    assert not any("F.1.3" in c or "under 18?" in c for c in t.eligibility.inclusion)
    # Product name, code, INN and sponsor code all spell "Birtamimab"; a placebo form is given.
    assert [(i.name, i.other_names) for i in t.interventions] == [
        ("Birtamimab", ["Humanized IgG1 kappa antiamyloid"]), ("Placebo", [])]
    assert (t.design.allocation, t.design.masking) == ("Randomised", "Double blind")
    assert codes.ALLOCATION.lookup(t.design.allocation) == "Randomized"
    assert t.conditions == ["Primary amyloidosis"]  # the MedDRA term; the long paragraph is no name
    primary = [o for o in t.outcomes if o.kind == "primary"]
    assert [(o.measure, o.time_frame) for o in primary] == [
        ("Time to all-cause mortality",
         "Time from the first dose of study drug until death or end of study over 9 months")]
    assert [o.measure for o in t.outcomes if o.kind == "secondary"] == [
        "Change from baseline to Month 9 in the 6MWT distance (meters)",
        "Change from baseline to Month 9 in the Physical Component Summary (PCS) score of the SF-36v2"]
    assert t.start_date.date == PartialDate(2021, 8, 20)  # 20/08/2021, day first
    assert t.countries[:3] == ["Hungary", "United States", "Czechia"] and "Türkiye" in t.countries


@pytest.mark.corpus
def test_drks_record(export: dict[str, Trial]) -> None:
    t = export["DRKS00032447"]
    assert t.lead_sponsor.name == "Deutsches Rheuma-Foschungszentrum Berlin"  # sic
    assert codes.STATUS.lookup(t.overall_status) == "ActiveNotRecruiting"
    assert codes.STUDY_TYPE.lookup(t.study_type) == "Observational"  # "observational"
    assert t.enrollment == 250
    assert t.start_date.date == PartialDate(2024, 1, 15)
    assert t.countries == ["Austria", "Germany"]
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (None, Decimal(18))
    assert t.eligibility.inclusion == ["autoinflammatory disease diagnosed by paediatric rheumatologist",
                                       "written informed consent"]
    assert t.eligibility.exclusion == [
        "Lack of cognitive maturity to understand the requirements and content of the project",
        "Diagnoses: systemic JIA, CRMO"]
    # ICD-10 codes and the ORPHA code line are dropped, the names kept.
    assert t.conditions[1:] == ["Non-neuropathic heredofamilial amyloidosis", "Behçet disease"]
    assert not any(re.search(r"ORPHA:|^[A-Z]\d\d\.\d$", c) for c in t.conditions)
    assert codes.PRIMARY_PURPOSE.lookup(t.design.primary_purpose) == "HealthServicesResearchPurpose"
    secondary = [o.measure for o in t.outcomes if o.kind == "secondary"]
    assert len(secondary) == 7 and secondary[1] == "Damage (ADDI) at last visit"
    assert [a.label for a in t.arms] == ["Group 1"] and t.interventions == []
    assert [(c.name, c.affiliation) for c in t.contacts] == [
        ("Tatjana Welzel", "Deutsches Rheuma-Forschungszentrum Berlin")]
    assert t.has_results is None  # a results link alone says nothing


@pytest.mark.corpus
def test_chictr_record(export: dict[str, Trial]) -> None:
    t = export["ChiCTR2100050713"]
    assert t.lead_sponsor.name == "Northern Jiangsu People's Hospital"
    assert t.enrollment == 100  # "control group:50;sepsis group:50;"
    assert codes.SEX.lookup(t.eligibility.sex) == "AllSexes"  # "Both"
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(18), Decimal(90))
    assert t.start_date.date == PartialDate(2021, 9, 20)
    assert t.first_posted.date == PartialDate(2021, 9, 3)
    assert t.phases == []  # "0" on an observational study
    assert t.conditions == ["Sepsis"]
    assert [(a.label, a.intervention_names) for a in t.arms] == [("control group", []), ("sepsis group", [])]
    assert t.interventions == []  # both groups say "No"
    assert [o.measure for o in t.outcomes] == ["Apolipoprotein A1", "serum amyloid A", "high density lipoprotein",
                                               "C reactive protein", "procalcitonin"]
    exc = t.eligibility.exclusion
    assert len(exc) == 13 and exc[0] == "Sepsis occurred in the past 1 month;"
    assert exc[-1] == "Eliminate patients who received parenteral nutrition during the course of the disease."
    assert codes.INTERVENTION_MODEL.lookup(t.design.intervention_model) == "FactorialAssignment"
    assert t.countries == ["China"]


@pytest.mark.corpus
def test_jprn_records(export: dict[str, Trial]) -> None:
    t = export["jRCT2080224769"]  # TrialID JPRN-jRCT2080224769
    assert ids(t) == [("NCT03759379", "NCT"), ("JapicCTI-194846", "JPRN")]
    assert t.lead_sponsor.name == "CMIC Co., Ltd."
    assert phase_codes(t) == ["Phase3"]  # "3"
    assert t.countries == ["Japan"]  # "Asia except Japan", "Europe"... are regions
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(18), Decimal(85))
    assert [(i.name, i.other_names) for i in t.interventions] == [
        ("ALN-TTRSC02", ["vutrisiran"]), ("Patisiran Sodium (JAN)", ["Patisiran"])]
    assert t.start_date.date == PartialDate(2019, 7, 31) and t.enrollment == 16

    s = export["jRCTs031210288"]
    assert (s.eligibility.minimum_age, s.eligibility.maximum_age) == (None, Decimal(90))  # "<= 90age old"
    assert codes.INTERVENTION_MODEL.lookup(s.design.intervention_model) == "SingleGroupAssignment"
    assert codes.masking_of(s.design.masking) == "NoMasking"  # "open(masking not used)"
    assert codes.PRIMARY_PURPOSE.lookup(s.design.primary_purpose) == "DiagnosticPurpose"

    assert export["UMIN000027045"].phases == []  # "Not selected"


@pytest.mark.corpus
def test_nl_omon_record(export: dict[str, Trial]) -> None:
    t = export["NL-OMON55279"]
    assert ids(t) == [("2019-001698-10-NL", "EudraCT"), ("NCT04136184", "NCT"), ("NL73848.000.21", "CCMO")]
    assert t.overall_status is None and t.start_date is None  # both empty in the export
    assert phase_codes(t) == ["Phase3"]
    assert t.enrollment == 2
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(18), Decimal(99))
    assert t.interventions == []  # "Please refer to section E6 of the protocol." names none
    assert t.conditions == ["Familial amyloid polyneuropathy - Transthyretin (TTR) amyloid polyneuropathy"]
    d = t.design
    assert (codes.ALLOCATION.lookup(d.allocation), codes.INTERVENTION_MODEL.lookup(d.intervention_model),
            codes.PRIMARY_PURPOSE.lookup(d.primary_purpose), codes.masking_of(d.masking)) == \
        ("Randomized", "ParallelAssignment", "TreatmentPurpose", "NoMasking")


@pytest.mark.corpus
def test_cris_record(export: dict[str, Trial]) -> None:
    t = export["KCT0000379"]
    assert t.lead_sponsor.name == "Seoul National University Bundang Hospital"
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(60), Decimal(80))  # "60(Year)"
    assert phase_codes(t) == ["Phase1", "Phase2"]  # "Phase1/Phase2"
    assert codes.STUDY_TYPE.lookup(t.study_type) == "Interventional"  # "Interventional Study"
    [iv] = t.interventions
    assert (iv.name, iv.type) == ("radiopharmaceutical: SNUBH-NM-333(18F)", "Radiation")
    assert iv.description.startswith("volume: 5~10CC")
    assert t.conditions == ["Mental and behavioral disorders"]
    assert t.countries == ["Korea, Republic of"]
    assert t.start_date.date == PartialDate(2010, 10, 25)
    assert (codes.ALLOCATION.lookup(t.design.allocation), codes.PRIMARY_PURPOSE.lookup(t.design.primary_purpose),
            codes.masking_of(t.design.masking)) == ("AllocationNotApplicable", "DiagnosticPurpose", "NoMasking")


@pytest.mark.corpus
def test_ctgov_records_keep_their_ctgov_shapes(export: dict[str, Trial]) -> None:
    t = export["NCT01821118"]
    assert [(i.name, i.type) for i in t.interventions] == [("Ponezumab", "Biological"), ("placebo", "Other")]
    assert (t.design.masking, t.design.who_masked) == ("Triple", ["Participant", "Investigator", "Outcomes Assessor"])
    assert t.start_date.date == PartialDate(2013, 6)  # "June 2013": a month, no day
    assert t.has_results is True
    assert export["NCT05697861"].countries == ["New Zealand", "Sweden", "United Kingdom"]  # repeated 2x


# --- every ICTRP export in the corpus -------------------------------------------------------------

_ROOT = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?<Trials_downloaded_from_ICTRP\b")


def ictrp_exports() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    out = []
    for p in sorted(CORPUS.rglob("*.xml")):
        with open(p, "rb") as fh:
            if _ROOT.match(fh.read(512)):
                out.append(p)
    return out


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_every_trial_of_every_export_is_loaded_or_reported() -> None:
    exports = ictrp_exports()
    assert EXPORT in exports
    for path in exports:
        raw = path.read_bytes()
        trial_ids = [m.decode().strip() for m in re.findall(rb"<TrialID>([^<]*)</TrialID>", raw)]
        assert len(trial_ids) == raw.count(b"<Trial>")
        expected = {re.sub(r"^(?:EUCTR|CTIS|JPRN-)", "", i) for i in trial_ids}
        trials, errors = read_all(path)
        loaded = {t.nct_id or t.registry_id for t in trials}
        reported = {e.record for e in errors}
        assert len(trials) + len(errors) == len(trial_ids), path
        assert expected == loaded | {re.sub(r"^(?:EUCTR|CTIS|JPRN-)", "", r) for r in reported}, path


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.skipif(not EXPORT.is_file(), reason=f"shared corpus not found: {EXPORT} is absent")
def test_detected_by_content() -> None:
    assert loaders.detect(EXPORT).name == "who-ictrp"
    assert loaders.detect(FIXTURES / "single-trial.xml").name == "who-ictrp"


def test_sniffer_rejects_seeds() -> None:
    seeds = sorted((ROOT / "examples").iterdir())
    assert seeds
    for p in seeds:
        assert not who_ictrp.sniff(loaders.head_of(p)), p


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_sniffer_rejects_ctgov_files() -> None:
    files = sorted((CORPUS / "ctgov-xml" / "trec2022-sample").rglob("*.xml"))[:20]
    files += sorted((CORPUS / "ctgov-v2").rglob("*.json"))[:20]
    files += sorted((CORPUS / "other-registries" / "ctrdata-json").glob("*.json"))
    assert len(files) > 40
    for p in files:
        assert not who_ictrp.sniff(loaders.head_of(p)), p


# --- hand-made variants ---------------------------------------------------------------------------


def test_variants_good_and_bad_records() -> None:
    trials, errors = read_all(FIXTURES / "variants.xml")
    assert [(e.record, e.message) for e in errors] == [
        ("<Trial> #2", "<TrialID> is missing or empty"),
        ("ChiCTR2399900002", "<Date_enrollement>: unreadable date 'soon'"),
        ("ISRCTN99900004", "<Inclusion_agemin>: unreadable age 'eighteen'"),
    ]
    first, eu = trials
    assert (first.registry_id, first.nct_id) == ("ISRCTN99900001", None)
    # Its own id and "Not applicable" are left out; the bridged child records are the same trial.
    assert ids(first) == [("NCT09990003", "NCT"), ("U1111-0000-0001", "UTN"), ("NCT09990006", "NCT"),
                          ("2023-999999-11-FR", "EudraCT")]
    assert first.enrollment == 40  # "Group A: 20; Group B: 20"
    assert first.start_date.date == PartialDate(2023, 1, 15)  # 20230115
    assert first.first_posted.date == PartialDate(2023, 1, 10)
    assert first.eligibility.minimum_age == Decimal(19) and first.eligibility.maximum_age is None
    assert first.eligibility.sex == "Female"
    assert first.eligibility.inclusion == ["Adult women;", "Signed consent"]
    assert first.eligibility.exclusion == []
    assert first.phases == []  # every phase marked "no"
    assert codes.STATUS.lookup(first.overall_status) == "NotYetRecruiting"  # "Pending"
    assert first.countries == ["Germany", "Austria"]
    assert first.conditions == ["Breast cancer"]
    assert [i.name for i in first.interventions] == ["Alpha", "Beta"]
    assert [o.measure for o in first.outcomes] == ["Overall survival", "Quality of life"]
    assert [c.name for c in first.collaborators] == ["Example Foundation"]
    assert [(c.name, c.affiliation) for c in first.contacts] == [("Ada Lovelace", "Example University")]
    assert first.has_results is False

    assert eu.registry_id == "2022-999999-20-DE"
    assert eu.title is None and eu.official_title == "Only a scientific title here"
    assert ids(eu) == [("2022-999999-20", "EudraCT"), ("2022-999999-20-FR", "EudraCT"), ("NCT09990005", "NCT")]
    assert eu.phases == ["Phase I", "Phase II"]
    assert eu.enrollment is None  # "about 40" is no number
    assert eu.start_date.date == PartialDate(2022, 2, 5)


def test_broken_export_keeps_trials_before_the_break() -> None:
    trials, errors = read_all(FIXTURES / "broken.xml")
    assert [t.registry_id for t in trials] == ["DRKS99900001"]
    assert len(errors) == 1 and "broken XML" in errors[0].message


def test_single_trial_document() -> None:
    trials, errors = read_all(FIXTURES / "single-trial.xml")
    assert not errors
    [t] = trials
    assert t.registry_id == "UMIN999900001"
    assert t.phases == []
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(20), None)


def test_other_xml_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?><clinical_study><id_info/></clinical_study>")
    assert not who_ictrp.sniff(other.read_text())
    with pytest.raises(LoaderError, match="not a WHO ICTRP export"):
        list(who_ictrp.read(other))
    garbled = tmp_path / "garbled.xml"
    garbled.write_text("<Trials_downloaded_from_ICTRP><Trial><TrialID>X</Trial>")
    with pytest.raises(LoaderError, match="not well-formed"):
        list(who_ictrp.read(garbled))


# --- into the store ------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.skipif(not EXPORT.is_file(), reason=f"shared corpus not found: {EXPORT} is absent")
def test_pipeline_iris_and_same_as() -> None:
    store = TrialStore(in_memory=True)
    res = load_file(store, EXPORT)
    assert res.status == "loaded" and res.trials == 95 and not res.errors
    assert not res.warnings  # every status, phase, type and design word is in a code list
    q = "ASK { <%s> a tg:Trial }"
    for iri in (TRIAL + "NCT06360289", TRIAL + "2021-000037-14-ES", TRIAL + "DRKS00032447",
                trial_iri("ChiCTR2100050713"), TRIAL + "2023-507385-11-00", TRIAL + "NL-OMON55279"):
        assert store.query(q % iri), iri
    reg = store.query(f"SELECT ?r WHERE {{ <{trial_iri('ChiCTR2100050713')}> tg:registryId ?r }}")
    assert [r["r"].value for r in reg] == ["ChiCTR2100050713"]
    same = {(r["a"].value, r["b"].value)
            for r in store.query("SELECT ?a ?b WHERE { ?a owl:sameAs ?b }")}
    assert (TRIAL + "2023-507385-11-00", TRIAL + "NCT05697861") in same
    assert (TRIAL + "NL-OMON55279", TRIAL + "NCT04136184") in same
    assert (TRIAL + "2021-000037-14-PL", TRIAL + "NCT04973137") in same
    assert not any(a.endswith("/NCT06360289") for a, _ in same)  # no NCT secondary id there
    status = store.query(f"SELECT ?s WHERE {{ <{TRIAL}2021-000037-14-ES> tg:overallStatus ?s }}")
    assert [r["s"].value for r in status] == ["https://w3id.org/trialgraph/ontology#UnknownStatus"]
