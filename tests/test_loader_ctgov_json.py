"""ClinicalTrials.gov API v2 JSON loader, on real records from ../shared/corpus.

Expected values were read off the source JSON files named in each test.
"""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg import codes
from kg.record import PartialDate, RecordError, Trial
from loaders import ctgov_json
from loaders.base import LoaderError
from tests.conftest import CORPUS_DIR as CORPUS
from tests.conftest import corpus_marks, split_items

V2 = CORPUS / "ctgov-v2"
AACT = CORPUS / "aact-fixtures" / "spec" / "support" / "json_data"

pytestmark = corpus_marks()


def read_all(path: Path) -> tuple[list[Trial], list[RecordError]]:
    return split_items(ctgov_json.read(path))


def by_id(trials: list[Trial]) -> dict[str, Trial]:
    return {t.nct_id: t for t in trials if t.nct_id}


# --- exact facts of specific records ----------------------------------------------------------------


def test_array_download_record_vsuptl() -> None:
    """vsuptl/ctg-studies.json, first study NCT00726505 (website array download)."""
    trials, errors = read_all(V2 / "vsuptl" / "ctg-studies.json")
    assert not errors
    t = trials[0]
    assert t.nct_id == "NCT00726505"
    assert t.org_study_id == "MB102-020"
    assert t.title == "Renal Mechanism of Action/Splay vs. TmG"
    assert t.official_title.startswith("Characterization of the Kinetics of Renal Glucose")
    assert t.acronym == "MOA"
    assert t.phases == ["PHASE1"]
    assert t.overall_status == "TERMINATED"
    assert t.study_type == "INTERVENTIONAL"
    # startDateStruct has no type; the others say ACTUAL / ESTIMATED.
    assert t.start_date.date == PartialDate(2009, 6) and t.start_date.date.precision == "month"
    assert t.start_date.kind is None
    assert (t.primary_completion_date.date, t.primary_completion_date.kind) == (PartialDate(2009, 8), "actual")
    assert (t.first_posted.date, t.first_posted.kind) == (PartialDate(2008, 8, 1), "estimated")
    assert t.last_update.date == PartialDate(2016, 10, 17)
    assert (t.enrollment, t.enrollment_type) == (1, "actual")
    assert t.design.allocation == "RANDOMIZED" and t.design.intervention_model == "PARALLEL"
    assert t.design.primary_purpose == "DIAGNOSTIC" and t.design.masking == "NONE"
    assert t.conditions == ["Diabetes, NOS"]
    # Three arms, each "Drug: Dapagliflozin" -> the intervention's own name.
    assert [a.label for a in t.arms] == ["Group 1", "Group 2", "Group 3"]
    assert all(a.intervention_names == ["Dapagliflozin"] for a in t.arms)
    assert t.arms[2].description == "Healthy Subjects - Dapagliflozin 20 mg"
    assert t.arms[0].type == "ACTIVE_COMPARATOR"
    [iv] = t.interventions
    assert (iv.name, iv.type, iv.other_names) == ("Dapagliflozin", "DRUG", ["BMS-512148"])
    assert iv.arm_labels == ["Group 1", "Group 2", "Group 3"]
    assert [o.kind for o in t.outcomes] == ["primary", "secondary", "secondary", "secondary"]
    assert t.outcomes[0].measure == "The change in urinary glucose excretion dynamics"
    assert t.outcomes[0].time_frame == "after 7 days of treatment"
    e = t.eligibility
    assert (e.minimum_age, e.maximum_age) == (Decimal(18), Decimal(65))
    assert e.sex == "ALL" and e.healthy_volunteers is True
    assert e.std_ages == ["ADULT", "OLDER_ADULT"]
    assert e.inclusion[0] == "Male and female subjects" and len(e.inclusion) == 5
    assert e.exclusion[-1].startswith("Evidence of significant kidney disease") and len(e.exclusion) == 5
    assert t.lead_sponsor.name == "AstraZeneca" and t.lead_sponsor.agency_class == "INDUSTRY"
    assert [c.name for c in t.collaborators] == ["Bristol-Myers Squibb"]
    assert t.responsible_party is None  # type SPONSOR names no person
    assert [(p.name, p.role) for p in t.investigators] == [("Bristol-Myers Squibb", "STUDY_DIRECTOR")]
    [site] = t.sites
    assert site.facility == "University Of Texas Health Center At San Antonio"
    assert (site.city, site.state, site.zip, site.country) == ("San Antonio", "Texas", "78229", "United States")
    assert (site.latitude, site.longitude) == (29.42412, -98.49363)
    assert t.has_results is False
    # One intervention leaf: the module's ancestors belong to it.
    [mesh] = t.intervention_mesh
    assert (mesh.term, mesh.mesh_id) == ("Dapagliflozin", "C529054")  # NLM form of CT.gov's C000529054
    assert [a.term for a in mesh.ancestors][:2] == ["Sodium-Glucose Transporter 2 Inhibitors",
                                                    "Molecular Mechanisms of Pharmacological Action"]
    assert len(mesh.ancestors) == 4


def test_api_page_record_actt() -> None:
    """biomcp .../trials_NCT04280705.json: an API page with one study and a nextPageToken."""
    trials, errors = read_all(V2 / "biomcp" / "tests" / "data" / "ct_gov" / "trials_NCT04280705.json")
    assert not errors
    [t] = trials
    assert t.nct_id == "NCT04280705" and t.org_study_id == "20-0006"
    assert t.title == "Adaptive COVID-19 Treatment Trial (ACTT)"
    assert t.phases == ["PHASE3"] and t.overall_status == "COMPLETED"
    assert (t.start_date.date, t.start_date.kind) == (PartialDate(2020, 2, 21), "actual")
    assert t.start_date.date.precision == "day"
    assert t.design.masking == "DOUBLE" and t.design.who_masked == ["PARTICIPANT", "INVESTIGATOR"]
    assert (t.enrollment, t.enrollment_type) == (1062, "actual")
    assert {a.label: a.intervention_names for a in t.arms} == {"Placebo": ["Placebo"],
                                                              "Remdesivir": ["Remdesivir"]}
    assert [(i.name, i.type) for i in t.interventions] == [("Placebo", "OTHER"), ("Remdesivir", "DRUG")]
    kinds = [o.kind for o in t.outcomes]
    assert kinds.count("primary") == 4 and kinds.count("secondary") == 39
    assert len(t.sites) == 60
    copenhagen = [s for s in t.sites if s.city == "Copenhagen"]
    assert len(copenhagen) == 1 and copenhagen[0].country == "Denmark" and copenhagen[0].zip == "2100"
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == (Decimal(18), Decimal(99))
    assert t.conditions == ["COVID-19"] and "novel coronavirus" in t.keywords
    assert t.lead_sponsor.agency_class == "NIH" and t.has_results is True
    # Markdown escapes ("\>", "\<") are undone in the criteria.
    text = t.eligibility.criteria_text
    assert "\\" not in text
    assert "Aspartate Transaminase (AST) > 5 times the upper limit of normal" in text
    assert "eGFR) < 30 ml/min" in text


def test_single_study_object_trimmed_record() -> None:
    """biomcp get_nct02576665_20260811.json: one study object, few modules, no types."""
    trials, errors = read_all(V2 / "biomcp" / "testdata" / "sources" / "ctgov" / "get_nct02576665_20260811.json")
    assert not errors
    [t] = trials
    assert t.nct_id == "NCT02576665" and t.overall_status == "TERMINATED"
    assert t.start_date.date == PartialDate(2016, 7) and t.completion_date.date == PartialDate(2019, 12, 20)
    assert t.primary_completion_date is None
    assert len(t.conditions) == 12
    assert t.conditions[-1] == "IDH1 Mutated or MGMT Methylated Recurrent HGG (Not Recruiting)"
    assert [i.name for i in t.interventions] == ["Toca 511", "Toca FC"]
    assert t.interventions[1].other_names == ["Flucytosine", "5-FC", "5-Fluorocytosine"]
    assert t.interventions[0].type is None and t.arms == []
    assert t.enrollment == 21 and t.enrollment_type is None
    # "\[rHGG\]" in the source.
    assert "recurrent high grade glioma [rHGG]" in t.brief_summary and "\\" not in t.brief_summary


def test_mesh_ancestors_not_spread_over_several_leaves() -> None:
    """jinash NCT06133985: leaves Asthma and Respiratory Aspiration share one list of 11 ancestors."""
    trials, _ = read_all(V2 / "jinash" / "ctg-studies.json")
    t = by_id(trials)["NCT06133985"]
    assert [m.term for m in t.condition_mesh] == ["Asthma", "Respiratory Aspiration"]
    assert [m.mesh_id for m in t.condition_mesh] == ["D001249", "D053120"]
    assert all(m.ancestors == [] for m in t.condition_mesh)
    assert len(t.condition_mesh_ancestors) == 11
    assert t.condition_mesh_ancestors[0].term == "Bronchial Diseases"


def test_mesh_relevance_joined_by_name() -> None:
    """vsuptl NCT00726505: browseLeaves say Dapagliflozin is HIGH relevance."""
    trials, _ = read_all(V2 / "vsuptl" / "ctg-studies.json")
    assert trials[0].intervention_mesh[0].relevance == "HIGH"


# --- every shape --------------------------------------------------------------------------------------


def _source_ids(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    studies = data if isinstance(data, list) else data.get("studies", [data])
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


@pytest.mark.parametrize("rel", [
    "vsuptl/ctg-studies.json",  # array, pretty-printed
    "scampbe3/ctg-studies.json",  # array, one line per study
    "ruhruh66/data/studies.json",  # {"studies": [...]} page
    "d4nnygao/boston/fitzpatrick_boston_search.json",  # page
    "biomcp/testdata/sources/ctgov/search_phelan_limit5_20260811.json",  # page with nextPageToken
    "vsuptl/NCT03105011.json",  # single object
    "mcode/spec/data/NCT02513394.json",  # single object with results
])
def test_every_shape_reads_every_study(rel: str) -> None:
    path = V2 / rel
    assert loaders.detect(path).name == "ctgov-json"
    trials, errors = read_all(path)
    assert not errors
    assert [t.nct_id for t in trials] == _source_ids(path)


def test_folder_and_zip_download_give_the_same_studies() -> None:
    folder = V2 / "marc_urology" / "ctg-studies.json.unzipped"
    files = sorted(folder.glob("NCT*.json"))
    assert len(files) == 635
    from_folder: dict[str, Trial] = {}
    for f in files:
        trials, errors = read_all(f)
        assert not errors and len(trials) == 1 and trials[0].nct_id == f.stem
        from_folder[f.stem] = trials[0]
    zipped = V2 / "marc_urology" / "ctg-studies.json.zip"
    assert loaders.detect(zipped).name == "ctgov-json"
    trials, errors = read_all(zipped)
    assert not errors
    assert len(trials) == 635 and set(by_id(trials)) == set(from_folder)
    some = by_id(trials)["NCT01321489"]
    assert some.title == from_folder["NCT01321489"].title
    assert some.sites == from_folder["NCT01321489"].sites


def test_json_lines_made_from_an_array(tmp_path: Path) -> None:
    source = V2 / "vsuptl" / "ctg-studies.json"
    studies = json.loads(source.read_text(encoding="utf-8"))
    jsonl = tmp_path / "studies.jsonl"
    jsonl.write_text("\n".join(json.dumps(s) for s in studies) + "\n", encoding="utf-8")
    assert loaders.detect(jsonl).name == "ctgov-json"
    trials, errors = read_all(jsonl)
    assert not errors
    assert [t.nct_id for t in trials] == [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    original, _ = read_all(source)
    assert trials[5].outcomes == original[5].outcomes and trials[5].eligibility == original[5].eligibility


def test_json_lines_of_api_pages_and_of_mixed_values(tmp_path: Path) -> None:
    page = json.loads((V2 / "ruhruh66" / "data" / "studies.json").read_text(encoding="utf-8"))
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in page["studies"]]
    pages = tmp_path / "pages.jsonl"
    pages.write_text(json.dumps({"studies": page["studies"][:2]}) + "\n"
                     + json.dumps({"studies": page["studies"][2:]}) + "\n", encoding="utf-8")
    trials, errors = read_all(pages)
    assert not errors and [t.nct_id for t in trials] == ids
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps(page["studies"][0]) + "\n"
                     + json.dumps({"studies": page["studies"][1:]}) + "\n", encoding="utf-8")
    trials, errors = read_all(mixed)
    assert not errors and [t.nct_id for t in trials] == ids


def test_byte_order_mark_and_page_keys_in_any_order(tmp_path: Path) -> None:
    page = json.loads((V2 / "ruhruh66" / "data" / "studies.json").read_text(encoding="utf-8"))
    reordered = {"nextPageToken": "abc", "totalCount": len(page["studies"]), "studies": page["studies"]}
    path = tmp_path / "page.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(reordered).encode())
    assert loaders.detect(path).name == "ctgov-json"
    trials, errors = read_all(path)
    assert not errors and len(trials) == len(page["studies"])


# --- odd input: clear errors, never wrong data ---------------------------------------------------------


def test_r_wrapped_scalars_give_one_error_per_study() -> None:
    """unl_stat351/json_response.json: every scalar is a one-item list (re-serialised by R)."""
    trials, errors = read_all(V2 / "unl_stat351" / "json_response.json")
    assert trials == []
    assert len(errors) == 10
    assert errors[0].record == "NCT01958125"
    assert all("one-item list" in e.message for e in errors)


def test_retired_v1_api_files_are_refused_with_a_reason() -> None:
    for name in ("NCT00023673.json", "covid-19-search.json", "ctg_api_all.json", "study_statistics.json"):
        path = AACT / name
        assert loaders.detect(path).name == "ctgov-json"
        with pytest.raises(LoaderError, match="retired ClinicalTrials.gov v1 API"):
            list(ctgov_json.read(path))


def test_module_fragments_without_an_nct_id_are_errors() -> None:
    trials, errors = read_all(AACT / "brief_summary.json")
    assert trials == [] and "no NCT id" in errors[0].message
    trials, errors = read_all(AACT / "study_data_phases.json")  # nctId "NCT000001"
    assert trials == [] and "'NCT000001' is not 'NCT' followed by 8 digits" in errors[0].message


def test_a_bad_study_does_not_stop_the_others(tmp_path: Path) -> None:
    studies = json.loads((V2 / "jinash" / "ctg-studies.json").read_text(encoding="utf-8"))
    studies[1]["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "many"
    studies[2]["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "sometime"
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(studies), encoding="utf-8")
    trials, errors = read_all(path)
    assert len(trials) == len(studies) - 2
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    assert [e.record for e in errors] == [ids[1], ids[2]]
    assert "designModule.enrollmentInfo.count" in errors[0].message
    assert "startDateStruct" in errors[1].message and "'sometime'" in errors[1].message


def test_truncated_download_keeps_the_studies_before_the_break(tmp_path: Path) -> None:
    raw = (V2 / "vsuptl" / "ctg-studies.json").read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(raw[: len(raw) // 2])
    trials, errors = read_all(path)
    assert trials and trials[0].nct_id == "NCT00726505"
    assert len(errors) == 1 and "broken JSON" in errors[0].message
    assert len(trials) < len(_source_ids(V2 / "vsuptl" / "ctg-studies.json"))


def test_zip_without_study_files_is_a_loader_error(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "nothing here")
    with pytest.raises(LoaderError, match="no study files"):
        list(ctgov_json.read(path))


def test_sniffer_leaves_other_json_alone() -> None:
    nci = V2 / "biomcp" / "testdata" / "sources" / "nci_cts" / "search_melanoma_20260811.json"
    assert not ctgov_json.sniff(loaders.head_of(nci))
    assert not ctgov_json.sniff(loaders.head_of(V2 / "mcode" / "spec" / "data" / "NCT02513394.xml"))
    assert not ctgov_json.sniff(loaders.head_of(V2 / "mcode" / "spec" / "data" / "search_result.zip"))


def test_words_stay_source_words_that_the_code_lists_know() -> None:
    trials, _ = read_all(V2 / "vsuptl" / "ctg-studies.json")
    for t in trials:
        assert codes.STATUS.lookup(t.overall_status), t.overall_status
        for p in t.phases:
            assert codes.phases(p)[0], p
