"""The ClinicalTrials.gov text-export loader, checked against what the exports show.

Expected values were read off the documents: the seed (examples/ctgov-text_NCT05906329.txt) and
a hand-written export of a richer trial (tests/fixtures/ctgov-text/) with arm group blocks,
several interventions, outcomes, sites and sponsors, officials, joined phases and sections in
another order.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg.pipeline import load_file
from kg.record import PartialDate, Trial
from kg.store import TrialStore
from loaders import ctgov_text
from loaders.base import LoaderError, read_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "ctgov-text_NCT05906329.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "ctgov-text"
VARIED = FIXTURES / "ctgov-text_NCT09990002_varied.txt"
TRUNCATED = FIXTURES / "ctgov-text_truncated.txt"
BAD_NCT = FIXTURES / "ctgov-text_bad_nct.txt"

SEED_IV = "Low-dose radiotherapy combined with conventional fractionated radiotherapy"
SEED_ARM = "Low-dose radiotherapy combined with conventional radiotherapy after immunotherapy resistance"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def seed() -> Trial:
    return ctgov_text.parse(read_text(SEED))


@pytest.fixture(scope="module")
def varied() -> Trial:
    return ctgov_text.parse(read_text(VARIED))


def _rows(store: TrialStore, sparql: str) -> list[tuple[str, ...]]:
    return [tuple(term.value for term in sol) for sol in store.query(sparql)]


# --- sniffing ---------------------------------------------------------------------------------------


def test_sniff_claims_exports() -> None:
    for path in (SEED, VARIED, TRUNCATED):
        assert ctgov_text.sniff(loaders.head_of(path)), path.name
        assert loaders.detect(path).name == "ctgov-text", path.name


@pytest.mark.parametrize("other", sorted(p.name for p in EXAMPLES.iterdir() if p != SEED))
def test_sniff_rejects_other_seed_layouts(other: str) -> None:
    assert not ctgov_text.sniff(loaders.head_of(EXAMPLES / other))


def test_sniff_rejects_json_xml_and_inline_labels() -> None:
    assert not ctgov_text.sniff('{"Trial Title:": 1}\nTrial Title:\nNCT ID:\nStudy type:\n')
    assert not ctgov_text.sniff("<clinical_study>\nTrial Title:\nNCT ID:\nStudy type:\n")
    # Labels with their value on the same line are another site's layout.
    assert not ctgov_text.sniff("A title\nNCT ID: NCT05699811\nStudy type: Interventional\n")


@pytest.mark.corpus
def test_sniff_claims_no_corpus_file(corpus_dir: Path) -> None:
    claimed = [p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix != ".zip"
               and ctgov_text.sniff(loaders.head_of(p))]
    assert claimed == []


# --- the seed ---------------------------------------------------------------------------------------


def test_seed_identity_status_design(seed: Trial) -> None:
    assert seed.nct_id == "NCT05906329"
    assert seed.title == ("Low-dose Radiotherapy Combined With Conventional Fractionated Radiotherapy "
                          "in Lung Cancer After Immunotherapy Resistance")
    assert seed.phases == ["N/A"]
    assert seed.overall_status == "Recruiting"
    assert seed.study_type == "Interventional"
    d = seed.design
    assert (d.allocation, d.intervention_model, d.primary_purpose, d.masking) == (
        "N/A", "Single Group Assignment", "Treatment", "None (Open Label)")
    assert d.who_masked == []
    assert seed.enrollment is None  # the export shows none
    assert seed.source_url == "https://clinicaltrials.gov/ct2/show/NCT05906329"


def test_seed_conditions_and_keywords(seed: Trial) -> None:
    assert seed.conditions == ["Cancer Patients"]
    assert [m.term for m in seed.condition_mesh] == ["Lung Neoplasms"]
    assert seed.keywords == ["lung cancer", "radiotherapy", "immunotherapy resistance"]


def test_seed_dates(seed: Trial) -> None:
    assert seed.start_date is not None and seed.start_date.date == PartialDate(2022, 12, 31)
    assert seed.completion_date is not None and seed.completion_date.date == PartialDate(2024, 6, 30)
    assert seed.primary_completion_date is None


def test_seed_intervention_and_its_arm(seed: Trial) -> None:
    assert len(seed.interventions) == 1
    iv = seed.interventions[0]
    assert (iv.name, iv.type) == (SEED_IV, "Radiation")
    assert iv.description is not None
    assert iv.description.startswith("Select the primary lesion, the largest metastatic lesion, or the "
                                     "lesion causing symptoms, and perform routine segmentation")
    assert iv.description.endswith("should be given 1.6Gy/f, 1f/w, 4-6 times in total.")
    assert iv.arm_labels == [SEED_ARM]
    assert [(a.label, a.intervention_names) for a in seed.arms] == [(SEED_ARM, [SEED_IV])]


def test_seed_summaries_unwrapped(seed: Trial) -> None:
    assert seed.brief_summary is not None and "\n" not in seed.brief_summary
    assert "regulates tumor stroma to better promote T cell infiltration" in seed.brief_summary
    text = seed.detailed_description
    assert text is not None
    assert text.startswith("This study is a researcher initiated, prospective, single arm")
    # The author's paragraph breaks stay; the export's line wrapping goes.
    assert "PET/CT examination results.\nThe primary lesion, the largest" in text
    assert "who have undergone first-line or multi-line immunotherapy" in text


def test_seed_eligibility(seed: Trial) -> None:
    e = seed.eligibility
    assert len(e.inclusion) == 11 and len(e.exclusion) == 9
    assert e.inclusion[0] == ("Patients are able to understand the informed consent form, voluntarily "
                              "participate and sign the informed consent form.")
    assert e.inclusion[-1] == ("There are measurable primary lesions, regional lymph node metastasis, "
                               "and distant metastatic lesions.")
    assert e.exclusion[0].startswith("Missing key patient information (pathological diagnosis")
    assert e.exclusion[-1] == "Previous history of radiation therapy."
    assert (e.sex, e.minimum_age, e.maximum_age, e.healthy_volunteers) == (
        "All", Decimal(18), Decimal(65), False)


def test_seed_site_and_sponsor(seed: Trial) -> None:
    assert len(seed.sites) == 1
    s = seed.sites[0]
    assert s.facility == ("The First Affiliated Hospital of Shandong First Medical University "
                          "(Qianfoshan Hospital)16766 Jingshi Road, Jinan City")
    assert (s.city, s.state, s.zip, s.country, s.status) == ("Jinan", None, "250013", "China", "Recruiting")
    assert seed.lead_sponsor is not None
    assert (seed.lead_sponsor.name, seed.lead_sponsor.agency_class) == ("Qianfoshan Hospital", "Other")
    assert seed.collaborators == []
    assert seed.investigators == [] and seed.contacts == []  # a site contact is not kept


def test_seed_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    result = load_file(store, SEED)
    assert result.status == "loaded", result.errors
    assert result.format == "ctgov-text"
    t = "<https://w3id.org/trialgraph/trial/NCT05906329>"
    assert store.query(f"ASK {{ {t} tg:phase tg:PhaseNotApplicable ; tg:overallStatus tg:Recruiting ;"
                       f" tg:studyType tg:Interventional }}")
    dates = _rows(store, f"SELECT ?s ?c WHERE {{ {t} tg:startDate ?s ; tg:completionDate ?c }}")
    assert dates == [("2022-12-31", "2024-06-30")]
    types = _rows(store, f"SELECT (DATATYPE(?s) AS ?d) WHERE {{ {t} tg:startDate ?s }}")
    assert types == [(XSD + "date",)]
    arms = _rows(store, f"""SELECT ?arm ?iv WHERE {{ {t} tg:hasArm ?a . ?a rdfs:label ?arm ;
                 tg:armIntervention ?i . ?i rdfs:label ?iv }}""")
    assert arms == [(SEED_ARM, SEED_IV)]
    sites = _rows(store, f"SELECT ?city ?c WHERE {{ {t} tg:hasSite ?s . ?s tg:city ?city ; tg:country ?c }}")
    assert sites == [("Jinan", "China")]
    ages = _rows(store, f"SELECT ?lo ?hi WHERE {{ {t} tg:minimumAge ?lo ; tg:maximumAge ?hi }}")
    assert ages == [("18", "65")]


# --- a richer export -----------------------------------------------------------------------------


def test_varied_identity(varied: Trial) -> None:
    assert varied.nct_id == "NCT09990002"
    assert varied.org_study_id == "HN-2021-007"
    assert [(i.value, i.scheme) for i in varied.secondary_ids] == [("2020-004321-11", "EudraCT")]
    assert varied.official_title == (
        "A Randomized Phase 1/2 Study of Nivolumab With or Without Stereotactic Body Radiotherapy in "
        "Patients With Recurrent or Metastatic Head and Neck Squamous Cell Carcinoma")
    assert varied.phases == ["Phase 1/Phase 2"]
    assert varied.overall_status == "Active, not recruiting"
    assert (varied.enrollment, varied.enrollment_type) == (120, "actual")
    d = varied.design
    assert (d.allocation, d.intervention_model, d.masking) == (
        "Randomized", "Parallel Assignment", "Double (Participant, Investigator)")
    assert d.who_masked == ["Participant", "Investigator"]


def test_varied_conditions_skip_unknown_label(varied: Trial) -> None:
    # "Number of arms:" is a label this loader does not know: its value is no condition.
    assert varied.conditions == ["Head and Neck Squamous Cell Carcinoma", "Recurrent Head and Neck Cancer",
                                 "Metastatic Head and Neck Cancer"]
    assert [m.term for m in varied.condition_mesh] == ["Carcinoma, Squamous Cell",
                                                       "Squamous Cell Carcinoma of Head and Neck"]
    assert varied.keywords == ["nivolumab", "SBRT", "abscopal effect"]


def test_varied_arms_and_interventions(varied: Trial) -> None:
    got = [(a.label, a.type, a.intervention_names) for a in varied.arms]
    assert got == [("Nivolumab + SBRT", "Experimental", ["Nivolumab", "Stereotactic body radiotherapy"]),
                   ("Nivolumab alone", "Active Comparator", ["Nivolumab"])]
    assert varied.arms[0].description == ("Nivolumab 240 mg every 2 weeks; stereotactic body radiotherapy "
                                          "8 Gy x 3 fractions to one lesion before the second dose.")
    ivs = [(iv.name, iv.type, iv.description, iv.other_names) for iv in varied.interventions]
    assert ivs == [("Nivolumab", "Drug", "240 mg intravenously every 2 weeks until progression.", ["Opdivo"]),
                   ("Stereotactic body radiotherapy", "Radiation", "8 Gy x 3 fractions.", [])]


def test_varied_outcomes(varied: Trial) -> None:
    got = [(o.kind, o.measure, o.time_frame) for o in varied.outcomes]
    assert got == [("primary", "Objective response rate in non-irradiated lesions", "Up to 24 weeks"),
                   ("primary", "Incidence of dose-limiting toxicities", "Day 1 to Day 42"),
                   ("secondary", "Overall survival", "Up to 3 years")]
    assert varied.outcomes[0].description == ("Proportion of participants with a complete or partial "
                                              "response per RECIST 1.1 in lesions outside the radiation field.")
    assert varied.outcomes[1].description is None


def test_varied_people_sponsors_sites(varied: Trial) -> None:
    assert varied.lead_sponsor is not None
    assert (varied.lead_sponsor.name, varied.lead_sponsor.agency_class) == ("Example Cancer Centre", "Other")
    assert [(c.name, c.agency_class) for c in varied.collaborators] == [("Example Pharma Inc.", "Industry")]
    people = [(p.name, p.role, p.affiliation) for p in varied.investigators]
    assert people == [("Jane Roe, MD", "Principal Investigator", "Example Cancer Centre"),
                      ("John Doe, MD, PhD", "Study Chair", "Example Cancer Centre")]
    sites = [(s.facility, s.city, s.state, s.zip, s.country, s.status) for s in varied.sites]
    assert sites == [
        ("Example Cancer Centre", "Toronto", "Ontario", "M5G 2M9", "Canada", "Active, not recruiting"),
        ("Hospital Universitario Ejemplo", "Madrid", None, None, "Spain", "Completed"),
        ("Example Medical Center", "Houston", "Texas", "77030", "United States", None),
    ]


def test_varied_eligibility_and_dates(varied: Trial) -> None:
    e = varied.eligibility
    assert e.inclusion == ["Histologically confirmed squamous cell carcinoma of the head and neck, "
                           "recurrent or metastatic", "At least two measurable lesions",
                           "ECOG performance status 0 or 1"]
    assert len(e.exclusion) == 2
    assert (e.sex, e.minimum_age, e.maximum_age, e.healthy_volunteers) == ("All", Decimal(18), None, None)
    assert varied.start_date is not None and varied.start_date.date == PartialDate(2021, 3)
    assert varied.primary_completion_date is not None
    assert varied.primary_completion_date.date == PartialDate(2023, 6, 15)
    assert varied.completion_date is not None and varied.completion_date.date == PartialDate(2024, 12)
    assert varied.detailed_description is None


def test_varied_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    result = load_file(store, VARIED)
    assert result.status == "loaded", result.errors
    t = "<https://w3id.org/trialgraph/trial/NCT09990002>"
    phases = _rows(store, f"SELECT ?p WHERE {{ {t} tg:phase ?p }} ORDER BY ?p")
    assert phases == [("https://w3id.org/trialgraph/ontology#Phase1",),
                      ("https://w3id.org/trialgraph/ontology#Phase2",)]
    assert store.query(f"ASK {{ {t} tg:overallStatus tg:ActiveNotRecruiting }}")
    start = _rows(store, f"SELECT ?s (DATATYPE(?s) AS ?d) WHERE {{ {t} tg:startDate ?s }}")
    assert start == [("2021-03", XSD + "gYearMonth")]
    arms = _rows(store, f"""SELECT ?arm ?iv WHERE {{ {t} tg:hasArm ?a . ?a rdfs:label ?arm ;
                 tg:armIntervention ?i . ?i rdfs:label ?iv }} ORDER BY ?arm ?iv""")
    assert arms == [("Nivolumab + SBRT", "Nivolumab"), ("Nivolumab + SBRT", "Stereotactic body radiotherapy"),
                    ("Nivolumab alone", "Nivolumab")]
    countries = _rows(store, f"SELECT ?c WHERE {{ {t} tg:hasSite ?s . ?s tg:country ?c }} ORDER BY ?c")
    assert countries == [("Canada",), ("Spain",), ("United States",)]
    assert store.query(f"ASK {{ {t} tg:collaborator ?c . ?c rdfs:label 'Example Pharma Inc.' }}")


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path,message", [
    (TRUNCATED, "title and NCT ID are empty"),
    (BAD_NCT, "NCT ID 'NCT0590' is not an NCT number"),
])
def test_malformed_export_fails_in_pipeline_naming_the_file(path: Path, message: str) -> None:
    with pytest.raises(LoaderError, match=message):
        ctgov_text.parse(read_text(path))
    store = TrialStore(in_memory=True)
    result = load_file(store, path)
    assert result.status == "failed"
    assert result.errors and path.name in result.errors[0] and message in result.errors[0]
    assert len(store.ox) == 0


def test_unreadable_date_is_an_error() -> None:
    text = read_text(SEED).replace("Start date:\nDecember 31, 2022", "Start date:\nsoon")
    with pytest.raises(LoaderError, match="Start date: 'soon' is not a date"):
        ctgov_text.parse(text)


def test_value_with_label_like_line_inside_prose_stays_text() -> None:
    text = read_text(SEED).replace("Summary:\n", "Summary:\nBackground:\n", 1)
    trial = ctgov_text.parse(text)
    assert trial.brief_summary is not None and trial.brief_summary.startswith("Background:")


def test_block_label_inside_top_level_prose_stays_text() -> None:
    text = read_text(SEED).replace("Detailed description:\n", "Detailed description:\nRole:\n", 1)
    trial = ctgov_text.parse(text)
    assert trial.detailed_description is not None
    assert trial.detailed_description.startswith("Role:\nThis study is a researcher initiated")
