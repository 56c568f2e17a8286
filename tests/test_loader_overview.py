"""The overview-page loader on its seed, on hand-varied pages of the same site, and on bad pages.

Every expected value below was read off the page itself (examples/overview_NCT05699811.txt and
the fixtures in tests/fixtures/overview/, which render the CT.gov records NCT02390960 and
NCT06490887 in this layout), not copied from the loader's output.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg.pipeline import load_file
from kg.record import PartialDate, Trial
from kg.store import TrialStore
from loaders import overview
from loaders.base import LoaderError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "overview_NCT05699811.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "overview"
CROSSOVER = FIXTURES / "overview_NCT02390960_crossover.txt"
OBSERVATIONAL = FIXTURES / "overview_NCT06490887_observational.txt"
TRIAL = "https://w3id.org/trialgraph/trial/"


def parse(path: Path) -> Trial:
    return overview.parse(loaders.read_text(path))


@pytest.fixture(scope="module")
def seed() -> Trial:
    return parse(SEED)


@pytest.fixture(scope="module")
def crossover() -> Trial:
    return parse(CROSSOVER)


@pytest.fixture(scope="module")
def observational() -> Trial:
    return parse(OBSERVATIONAL)


# --- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SEED, CROSSOVER, OBSERVATIONAL], ids=lambda p: p.name)
def test_sniffer_claims_pages_of_the_layout(path: Path) -> None:
    assert overview.sniff(loaders.head_of(path))
    assert loaders.detect(path).name == "overview"


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.iterdir() if p != SEED),
                         ids=lambda p: p.name)
def test_sniffer_rejects_the_other_seeds(path: Path) -> None:
    assert not overview.sniff(loaders.head_of(path))


@pytest.mark.parametrize("head", [
    '{"protocolSection": {"identificationModule": {"nctId": "NCT05699811"}}}',
    '<?xml version="1.0"?>\n<clinical_study><brief_title>Basic Information</brief_title>',
    "Basic Information Study Groups Sponsors Principal Investigators",  # not on lines of their own
    "Trial Title:\nX\nNCT ID:\nNCT05906329\nBrief Summary\nConditions\nInterventions\n",
])
def test_sniffer_rejects_other_shapes(head: str) -> None:
    assert not overview.sniff(head)


# --- the seed page ----------------------------------------------------------------------------


def test_seed_identity_and_basic_information(seed: Trial) -> None:
    assert seed.nct_id == "NCT05699811"
    assert seed.title == ("IFNα Expressing Mesenchymal Stromal Cells for Locally "
                          "Advanced/Metastatic Solid Tumors")
    assert seed.org_study_id == "CHN-PLAGH-BT-078"
    assert seed.secondary_ids == []
    assert seed.overall_status == "RECRUITING"
    assert seed.phases == ["PHASE1/PHASE2"]
    assert seed.enrollment == 40
    assert seed.study_type == "INTERVENTIONAL"
    assert seed.start_date is not None and seed.start_date.date == PartialDate(2023, 2, 23)
    assert seed.completion_date is not None and seed.completion_date.date == PartialDate(2026, 12, 31)
    assert seed.primary_completion_date is None
    assert seed.last_update is not None and seed.last_update.date == PartialDate(2023, 4, 28)
    assert seed.has_results is False


def test_seed_texts_are_cleaned(seed: Trial) -> None:
    assert seed.brief_summary is None  # the section holds only its blurb
    desc = seed.detailed_description or ""
    assert desc.startswith("Interferon(IFN) has been widely used")
    assert "[Study design] Phase 1 Arm 1." in desc and "\\[" not in desc
    assert "2×10^6 cells/kg" in desc and "\\^" not in desc
    assert desc.endswith("whichever occurs first.")
    assert seed.conditions == []  # the page's Conditions section is empty


def test_seed_design(seed: Trial) -> None:
    d = seed.design
    assert (d.allocation, d.intervention_model, d.primary_purpose, d.masking) == \
        ("NON_RANDOMIZED", "SEQUENTIAL", "TREATMENT", "NONE")
    assert d.observational_model is None and d.time_perspective is None


def test_seed_interventions(seed: Trial) -> None:
    assert [(iv.name, iv.description) for iv in seed.interventions] == [
        ("MSC-IFNα", "MSC-IFNα form a dose of 2×10^6 cells/kg, intravenous infusion every 4-6 weeks"),
        ("Nab paclitaxel", "125mg/m2, intravenous infusion every 4-6 weeks"),
        ("Cyclophosphamide", "200mg/m2, intravenous infusion every 4-6 weeks"),
        ("Anti-PD-1 monoclonal antibody", "200mg, intravenous infusion every 4-6 weeks"),
    ]
    assert all(iv.type is None for iv in seed.interventions)  # the page shows no types


def test_seed_arms_with_their_interventions(seed: Trial) -> None:
    assert [a.label for a in seed.arms] == ["MSC-IFNα monotherapy",
                                           "MSC-IFNα combined with immunochemotherapy"]
    mono, combo = seed.arms
    assert mono.intervention_names == ["MSC-IFNα"]
    assert combo.intervention_names == ["MSC-IFNα", "Nab paclitaxel", "Cyclophosphamide",
                                        "Anti-PD-1 monoclonal antibody"]
    assert (mono.description or "").startswith("Subjects will be enrolled for safety evaluation")
    assert (mono.description or "").endswith("at least 28 days after the cell infusion.")
    # Two description paragraphs, and no intervention line leaked into the description.
    assert (combo.description or "").count("\n") == 1
    assert (combo.description or "").endswith("for efficacy maintenance.")
    assert "intravenous infusion every" not in (combo.description or "")


def test_seed_eligibility(seed: Trial) -> None:
    e = seed.eligibility
    assert len(e.inclusion) == 9 and len(e.exclusion) == 9  # the page numbers both 2..10
    assert e.inclusion[0].startswith("Histopathological confirmed locally advanced")
    assert e.inclusion[-1].startswith("Women of child-bearing potential")
    assert e.exclusion[0].startswith("Known brain metastases")
    assert e.exclusion[1] == ("Subjects are being treated with either corticosteroid (>10 mg daily "
                              "prednisone equivalent) or other immunosuppressive medications within "
                              "14 days of enrollment.")
    assert e.exclusion[-1] == "Previous or concurrent cancer within 3 years prior to treatment start."
    assert (e.minimum_age, e.maximum_age) == (Decimal(18), Decimal(75))
    assert e.sex == "ALL"
    assert e.healthy_volunteers is False
    assert "18 Years" not in (e.criteria_text or "")


def test_seed_organisations_and_people(seed: Trial) -> None:
    assert seed.lead_sponsor is not None
    assert (seed.lead_sponsor.name, seed.lead_sponsor.agency_class) == \
        ("Wuxi Sinotide New Drug Discovery Institutes", "UNKNOWN")
    assert [(c.name, c.agency_class) for c in seed.collaborators] == \
        [("Chinese PLA General Hospital", "OTHER")]
    assert [(p.name, p.role, p.affiliation) for p in seed.investigators] == [
        ("WeiDong Han, PhD", "PRINCIPAL_INVESTIGATOR", "Chinsese PLA Gereral Hospital"),
        ("Yufang Shi, PhD", "STUDY_CHAIR", "Wuxi Sinotide New Drug Discovery Institutes"),
    ]
    rp = seed.responsible_party
    assert rp is not None and rp.name == "Han weidong"
    assert rp.title == "Director of Biotherapeutic Department"
    assert seed.contacts == []


def test_seed_site_and_related_trials(seed: Trial) -> None:
    assert len(seed.sites) == 1
    site = seed.sites[0]
    assert site.facility == "Department of Biotherapeutic, Chinese PLA General Hospital"
    assert (site.city, site.state, site.zip, site.country) == ("Beijing", None, None, "China")
    assert [r.trial_id for r in seed.related_trials] == [
        "NCT06087770", "NCT05373147", "NCT05944185", "NCT05730361", "NCT05773937"]
    assert seed.related_trials[0].title == "Clinical Study of SM3321 With Solid Tumors"
    assert seed.related_trials[2].title == ("Phase I/II Study of αPD1-MSLN-CAR T Cells in "
                                            "MSLN-positive Advanced Solid Tumors")
    assert all(r.status is None and r.phases == [] for r in seed.related_trials)


# --- hand-varied pages of the same site -----------------------------------------------------


def test_crossover_basic_information_out_of_order(crossover: Trial) -> None:
    t = crossover
    assert t.nct_id == "NCT02390960"
    assert t.title == "Phase 2a Topical Sildenafil Proof-of-Concept Study in Men With Mild to Moderate ED"
    assert t.overall_status == "COMPLETED"
    assert t.phases == ["PHASE2"]
    assert t.enrollment == 33
    assert t.study_type == "INTERVENTIONAL"
    # Dates are listed in mixed order with other values; month precision is kept.
    assert t.start_date is not None and t.start_date.date == PartialDate(2015, 3)
    assert t.primary_completion_date is not None and t.primary_completion_date.date == PartialDate(2017, 4)
    assert t.completion_date is not None and t.completion_date.date == PartialDate(2017, 6)
    assert t.detailed_description is None  # section absent
    assert t.conditions == ["Erectile Dysfunction"]
    assert (t.brief_summary or "").startswith("This is a Phase 2a, single-dose, double-blind")


def test_crossover_design_in_any_order(crossover: Trial) -> None:
    d = crossover.design
    assert (d.allocation, d.intervention_model, d.primary_purpose, d.masking) == \
        ("RANDOMIZED", "CROSSOVER", "TREATMENT", "TRIPLE")
    assert d.who_masked == ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"]


def test_crossover_interventions_arms_outcomes(crossover: Trial) -> None:
    t = crossover
    assert [(iv.name, iv.type) for iv in t.interventions] == [
        ("Sildenafil Cream", "DRUG"), ("Placebo Cream", "DRUG"),
        ("Penile Plethysmography (RigiScan)", "DEVICE")]
    assert t.interventions[0].other_names == ["SST-6006"]
    assert (t.interventions[2].description or "").endswith("approximately 75 minutes.")
    assert [(a.label, a.type, a.intervention_names) for a in t.arms] == [
        ("Sildenafil", "ACTIVE_COMPARATOR", ["Sildenafil Cream", "Penile Plethysmography (RigiScan)"]),
        ("Placebo", "PLACEBO_COMPARATOR", ["Placebo Cream", "Penile Plethysmography (RigiScan)"]),
    ]
    assert (t.arms[1].description or "").startswith("Placebo cream will be the same as SST-6006")
    assert [(o.kind, o.time_frame) for o in t.outcomes] == [
        ("primary", "60 minutes"), ("secondary", "60 minutes"),
        ("secondary", "From first application of cream (Week 5) through follow-up phone call (Week 9)")]
    assert t.outcomes[2].measure == "Adverse Events"
    assert t.outcomes[0].measure.startswith("Cumulative duration of ≥ 60% rigidity")


def test_crossover_eligibility_sites_and_rest(crossover: Trial) -> None:
    t = crossover
    e = t.eligibility
    assert len(e.inclusion) == 4 and len(e.exclusion) == 4
    assert e.inclusion[0] == "Patient is a heterosexual male ≥ 18 and ≤ 70 years of age."
    assert e.exclusion[-1].startswith("Subject has a known hypersensitivity")
    assert (e.minimum_age, e.maximum_age, e.sex, e.healthy_volunteers) == \
        (Decimal(18), Decimal(70), "MALE", False)
    assert [(s.facility, s.city, s.state, s.zip, s.country) for s in t.sites] == [
        ("San Diego Sexual Medicine", "San Diego", "California", "92120", "United States"),
        ("Tulane Medical Center", "New Orleans", "Louisiana", "70112", "United States"),
        ("Manhattan Medical Research", "New York", "New York", "10016", "United States"),
    ]
    assert t.countries == ["United States"]
    assert t.lead_sponsor is not None
    assert (t.lead_sponsor.name, t.lead_sponsor.agency_class) == \
        ("Strategic Science & Technologies, LLC", "INDUSTRY")
    assert t.collaborators == []
    assert t.responsible_party is None  # the page names only the type SPONSOR
    assert [(p.name, p.role, p.affiliation) for p in t.investigators] == \
        [("Eric Fossel, PhD", "STUDY_DIRECTOR", "Sponsor GmbH")]
    assert t.org_study_id == "SST-6006-007-01"
    assert [(r.trial_id, r.status, r.phases) for r in t.related_trials] == [
        ("NCT01305083", "COMPLETED", ["PHASE3"]), ("NCT00893113", "COMPLETED", ["PHASE3"])]
    assert t.related_trials[0].title == "Efficacy and Safety Study of Udenafil Tablets in Erectile Dysfunction."


def test_observational_page(observational: Trial) -> None:
    t = observational
    assert t.nct_id == "NCT06490887"
    assert (t.overall_status, t.study_type, t.phases, t.enrollment) == \
        ("RECRUITING", "OBSERVATIONAL", [], 20)
    assert t.start_date is not None and t.start_date.date == PartialDate(2023, 6, 28)
    assert t.primary_completion_date is not None and t.primary_completion_date.date == PartialDate(2025, 8)
    assert t.completion_date is not None and t.completion_date.date == PartialDate(2025, 8)
    # OTHER is both a primary purpose and an observational model: the study type decides.
    d = t.design
    assert (d.observational_model, d.time_perspective) == ("OTHER", "PROSPECTIVE")
    assert d.primary_purpose is None and d.allocation is None and d.masking is None
    assert t.conditions == ["Degenerative Disc Disease"]
    assert t.keywords == ["inflammation", "degeneration", "spine unit", "intervertebral disc",
                          "mesenchymal stem cell"]
    assert "* To identify specific degenerative features" in (t.detailed_description or "")


def test_observational_groups_outcomes_sites(observational: Trial) -> None:
    t = observational
    sample = "Use of patient-derived biological samples"
    assert [iv.name for iv in t.interventions] == [sample]
    assert [a.label for a in t.arms] == ["Degenerative Disc Disease patients undergoing spine surgery",
                                        "Subjects undergoing plastic surgery", "Pregnant female subjects"]
    assert all(a.intervention_names == [sample] for a in t.arms)
    assert t.arms[2].description == ("Collection of amnion of human term placenta (38-40 weeks of "
                                     "gestation) within 6 hours of birth.")
    assert [(o.kind, o.measure, o.time_frame) for o in t.outcomes] == [
        ("primary", "Efficacy of MSC-derived secretome", "30 months"),
        ("secondary", "Characterization of patient-specific degenerative features", "30 months"),
        ("secondary", "Development of an organotypic spine unit model", "30 months"),
    ]
    assert (t.outcomes[0].description or "").startswith("Changes in gene expression")
    assert [(s.facility, s.city, s.state, s.country, s.status) for s in t.sites] == [
        ("IRCCS Ospedale Galeazzi-Sant'Ambrogio", "Milan", "MI", "Italy", "RECRUITING"),
        ("IStituto MEditerraneo per i Trapianti e Terapie ad alta specializzazione", "Palermo", None,
         "Italy", "NOT_YET_RECRUITING"),
    ]
    e = t.eligibility
    # The criteria carry no inclusion/exclusion headings: kept whole, not guessed into either.
    assert e.inclusion == [] and e.exclusion == []
    assert "Pfirrmann grade III-V" in (e.criteria_text or "")
    assert (e.minimum_age, e.maximum_age, e.sex, e.healthy_volunteers) == \
        (Decimal(18), Decimal(60), "ALL", True)
    # Facility contacts and the unknown "Patient Resources" section leak nowhere.
    assert t.contacts == [] and t.investigators == []
    assert t.org_study_id == "SUIT" and t.secondary_ids == []
    assert t.countries == ["Italy"]


# --- through the pipeline -------------------------------------------------------------------


def _values(store: TrialStore, query: str) -> set[str]:
    return {row[0].value for row in store.query(query)}  # type: ignore[union-attr]


def test_seed_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    res = load_file(store, SEED)
    assert res.status == "loaded", res.errors
    assert res.format == "overview"
    t = f"<{TRIAL}NCT05699811>"
    assert _values(store, f"SELECT ?p WHERE {{ {t} tg:phase ?p }}") == {
        "https://w3id.org/trialgraph/ontology#Phase1", "https://w3id.org/trialgraph/ontology#Phase2"}
    assert _values(store, f"SELECT ?s WHERE {{ {t} tg:overallStatus ?s }}") == {
        "https://w3id.org/trialgraph/ontology#Recruiting"}
    rows = list(store.query(f"""SELECT ?arm ?iv WHERE {{ {t} tg:hasArm ?a . ?a rdfs:label ?arm .
                               ?a tg:armIntervention ?i . ?i rdfs:label ?iv }}"""))
    pairs = {(r["arm"].value, r["iv"].value) for r in rows}  # type: ignore[index]
    assert ("MSC-IFNα monotherapy", "MSC-IFNα") in pairs
    assert ("MSC-IFNα combined with immunochemotherapy", "Cyclophosphamide") in pairs
    assert len(pairs) == 5
    assert _values(store, f"SELECT ?c WHERE {{ {t} tg:hasSite ?s . ?s tg:country ?c }}") == {"China"}
    assert _values(store, f"SELECT ?c WHERE {{ {t} tg:hasSite ?s . ?s tg:city ?c }}") == {"Beijing"}
    assert _values(store, f"""SELECT ?d WHERE {{ {t} tg:startDate ?d
                             FILTER(datatype(?d) = xsd:date) }}""") == {"2023-02-23"}
    assert _values(store, f"SELECT ?n WHERE {{ {t} tg:enrollment ?n }}") == {"40"}
    assert _values(store, f"SELECT ?s WHERE {{ {t} tg:leadSponsor/rdfs:label ?s }}") == {
        "Wuxi Sinotide New Drug Discovery Institutes"}


def test_crossover_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    res = load_file(store, CROSSOVER)
    assert res.status == "loaded", res.errors
    t = f"<{TRIAL}NCT02390960>"
    assert _values(store, f"""SELECT ?d WHERE {{ {t} tg:startDate ?d
                             FILTER(datatype(?d) = xsd:gYearMonth) }}""") == {"2015-03"}
    assert _values(store, f"SELECT ?s WHERE {{ {t} tg:overallStatus ?s }}") == {
        "https://w3id.org/trialgraph/ontology#Completed"}
    assert _values(store, f"SELECT ?c WHERE {{ {t} tg:hasSite/tg:city ?c }}") == {
        "San Diego", "New Orleans", "New York"}
    assert _values(store, f"SELECT ?l WHERE {{ {t} tg:hasArm/rdfs:label ?l }}") == {"Sildenafil", "Placebo"}
    assert len(_values(store, f"SELECT ?i WHERE {{ {t} tg:hasIntervention ?i }}")) == 3


def test_observational_through_pipeline() -> None:
    store = TrialStore(in_memory=True)
    res = load_file(store, OBSERVATIONAL)
    assert res.status == "loaded", res.errors
    t = f"<{TRIAL}NCT06490887>"
    assert _values(store, f"SELECT ?s WHERE {{ {t} tg:studyType ?s }}") == {
        "https://w3id.org/trialgraph/ontology#Observational"}
    assert _values(store, f"SELECT ?c WHERE {{ {t} tg:hasSite/tg:country ?c }}") == {"Italy"}
    assert _values(store, f"SELECT ?p WHERE {{ {t} tg:phase ?p }}") == set()


# --- bad pages --------------------------------------------------------------------------------


def _sections_only(text: str) -> str:
    """The seed with its title and id lines cut off, as a truncated save would leave it."""
    return text.split("\n", 3)[3]


def test_page_without_title_or_id_fails_with_record_error(tmp_path: Path) -> None:
    bad = tmp_path / "cut.txt"
    bad.write_text(_sections_only(SEED.read_text(encoding="utf-8")), encoding="utf-8")
    assert loaders.detect(bad).name == "overview"
    store = TrialStore(in_memory=True)
    res = load_file(store, bad)
    assert res.status == "failed"
    assert res.trials == 0
    assert len(res.errors) == 1 and "cut.txt" in res.errors[0]
    assert "neither a title nor an 'NCT ID:'" in res.errors[0]
    assert not list(store.query("SELECT ?t WHERE { ?t a tg:Trial }"))


def test_malformed_nct_id_is_an_error_not_data() -> None:
    text = SEED.read_text(encoding="utf-8").replace("NCT ID: NCT05699811", "NCT ID: NCT0569")
    with pytest.raises(LoaderError, match="not an NCT number"):
        overview.parse(text)


def test_unknown_and_empty_sections_do_not_break_parsing() -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "Sponsors\n",
        "Patient Resources\nBrowse plain-language guides that help patients understand this trial.\n"
        "A guide to trials\nSponsors\n")
    t = overview.parse(text)
    assert t.lead_sponsor is not None
    assert t.lead_sponsor.name == "Wuxi Sinotide New Drug Discovery Institutes"
    assert t.eligibility.healthy_volunteers is False  # the line before stays in Eligibility


def test_header_only_page_is_rejected() -> None:
    with pytest.raises(LoaderError, match="no sections"):
        overview.parse("Some Trial\nNCT ID: NCT01234567\n")


def test_subheadings_inside_text_stay_text() -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "During post-treatment follow-up,",
        "Interventions:\nMSC-IFNα infusion.\nPrimary Outcomes\nSafety.\nDuring post-treatment follow-up,")
    t = overview.parse(text)
    assert "Interventions:\nMSC-IFNα infusion.\nPrimary Outcomes\nSafety." in (t.detailed_description or "")
    assert len(t.interventions) == 4 and t.outcomes == []


def test_identifier_kinds_and_site_status_before_address() -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "Identifier Source: org_study_id\n",
        "Identifier Source: org_study_id\n2022-500123-45\nIdentifier Type: EUDRACT_NUMBER\n"
        "Identifier Source: secondary_id\n").replace(
        "Department of Biotherapeutic, Chinese PLA General Hospital\nBeijing, , China\n",
        "Department of Biotherapeutic, Chinese PLA General Hospital\nRECRUITING\nBeijing, , China\n"
        "Peking University Cancer Hospital\nNOT_YET_RECRUITING\nBeijing, Beijing, 100142, China\n")
    t = overview.parse(text)
    assert t.org_study_id == "CHN-PLAGH-BT-078"
    assert [(i.value, i.scheme, i.type) for i in t.secondary_ids] == \
        [("2022-500123-45", "EudraCT", "EUDRACT_NUMBER")]
    assert [(s.facility, s.state, s.zip, s.status) for s in t.sites] == [
        ("Department of Biotherapeutic, Chinese PLA General Hospital", None, None, "RECRUITING"),
        ("Peking University Cancer Hospital", "Beijing", "100142", "NOT_YET_RECRUITING")]
