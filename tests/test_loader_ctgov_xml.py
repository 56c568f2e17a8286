"""Legacy ClinicalTrials.gov <clinical_study> XML loader, on real records from ../shared/corpus.

Expected values were read off the source XML files named in each test.
"""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

import loaders
from kg import codes
from kg.record import PartialDate, RecordError, Trial
from loaders import ctgov_json, ctgov_xml
from loaders.base import LoaderError
from tests.conftest import CORPUS_DIR as CORPUS
from tests.conftest import corpus_marks, split_items

XML = CORPUS / "ctgov-xml"
AACT = CORPUS / "aact-fixtures" / "spec" / "support" / "xml_data"
MCODE = CORPUS / "ctgov-v2" / "mcode" / "spec" / "data"

pytestmark = corpus_marks()


def read_all(path: Path) -> tuple[list[Trial], list[RecordError]]:
    return split_items(ctgov_xml.read(path))


def one(path: Path) -> Trial:
    trials, errors = read_all(path)
    assert not errors and len(trials) == 1
    return trials[0]


def test_cediranib_phase_1_2_record() -> None:
    """allpublicxml-2023/NCT0049xxxx/NCT00494221.xml."""
    path = XML / "allpublicxml-2023" / "NCT0049xxxx" / "NCT00494221.xml"
    assert loaders.detect(path).name == "ctgov-xml"
    t = one(path)
    assert t.nct_id == "NCT00494221" and t.org_study_id == "D8480C00039" and t.secondary_ids == []
    assert t.title.startswith("A Phase I/II Study of Cediranib (AZD2171) in Japanese Metastatic")
    assert t.phases == ["Phase 1", "Phase 2"]
    assert t.overall_status == "Completed" and t.study_type == "Interventional"
    assert (t.start_date.date, t.start_date.kind) == (PartialDate(2007, 6), None)
    assert (t.completion_date.date, t.completion_date.kind) == (PartialDate(2012, 8), "actual")
    assert t.primary_completion_date.date == PartialDate(2009, 10)
    assert (t.first_posted.date, t.first_posted.kind) == (PartialDate(2007, 6, 29), "estimated")
    assert t.last_update.date == PartialDate(2014, 3, 27) and t.last_update.date.precision == "day"
    assert (t.enrollment, t.enrollment_type) == (172, "actual")
    assert t.design.masking == "Quadruple"
    assert t.design.who_masked == ["Participant", "Care Provider", "Investigator", "Outcomes Assessor"]
    assert t.design.intervention_model == "Parallel Assignment"
    assert t.conditions == ["Metastatic Colorectal Cancer"]
    assert t.keywords == ["Colorectal cancer", "Recentin", "Metastatic Cancer", "FOLFOX"]
    folfox = "FOLFOX (5-fluorouracil, Leucovorin, Oxaliplatin)"
    assert {a.label: a.intervention_names for a in t.arms} == {
        "FOLFOX + Cediranib 20 mg": ["AZD2171", folfox],
        "FOLFOX + Cediranib 30 mg": ["AZD2171", folfox],
        "FOLFOX + Placebo Cediranib": [folfox, "Placebo Cediranib"],
    }
    assert [a.type for a in t.arms] == ["Active Comparator", "Active Comparator", "Placebo Comparator"]
    assert [(i.name, i.type) for i in t.interventions] == [
        ("AZD2171", "Drug"), (folfox, "Drug"), ("Placebo Cediranib", "Drug")]
    assert t.interventions[0].other_names == ["cediranib", "RECENTIN™"]
    assert t.interventions[1].description == "intravenous infusion"
    assert [o.kind for o in t.outcomes] == ["primary"] + ["secondary"] * 4
    assert t.outcomes[0].measure == "Progression Free Survival"
    # "&gt;50%" in the XML is plain ">50%".
    assert "non-estimable if >50% of subjects" in t.outcomes[-1].description
    e = t.eligibility
    assert (e.minimum_age, e.maximum_age) == (Decimal(18), None)  # maximum "N/A"
    assert e.sex == "All" and e.healthy_volunteers is False
    assert e.inclusion == ["Metastatic colorectal cancer", "WHO performance status 0-1",
                           "Life expectancy is 12 weeks or longer"]
    assert len(e.exclusion) == 3
    assert [(p.name, p.role) for p in t.investigators] == [
        ("Jane Robertson", "Study Director"),
        ("Hideyuki Mishima, M.D., PhD", "Principal Investigator"),
        ("Xiaojin Shi, MD", "Study Chair")]
    assert [(s.facility, s.city, s.country) for s in t.sites] == [
        ("Research Site", "Osaka", "Japan"), ("Research Site", "Saitama", "Japan")]
    assert t.countries == ["Japan"]
    assert t.lead_sponsor.name == "AstraZeneca" and t.lead_sponsor.agency_class == "Industry"
    assert [m.term for m in t.intervention_mesh] == [
        "Leucovorin", "Fluorouracil", "Oxaliplatin", "Cediranib", "Levoleucovorin"]
    assert all(m.mesh_id is None for m in t.intervention_mesh + t.condition_mesh)
    assert t.has_results is True
    assert t.source_url == "https://clinicaltrials.gov/show/NCT00494221"
    # Hard-wrapped prose is one paragraph again.
    assert "\n" not in t.brief_summary and t.brief_summary.startswith("This Study is in two parts")


def test_pallas_record() -> None:
    """mcode/spec/data/NCT02513394.xml."""
    t = one(MCODE / "NCT02513394.xml")
    assert [(i.value, i.scheme) for i in t.secondary_ids] == [
        ("ABCSG 42", None), ("BIG 14-03", None), ("2014-005181-30", "EudraCT")]
    assert t.acronym == "PALLAS" and t.phases == ["Phase 3"]
    assert t.overall_status == "Active, not recruiting"
    assert (t.primary_completion_date.date, t.primary_completion_date.kind) == (PartialDate(2020, 9), "estimated")
    assert t.design.masking == "None (Open Label)" and t.design.who_masked == []
    assert [c.name for c in t.collaborators][0] == "Austrian Breast & Colorectal Cancer Study Group"
    assert len(t.collaborators) == 5
    assert [a.label for a in t.arms] == ["Arm A", "Arm B"]
    assert t.arms[1].intervention_names == ["Standard Adjuvant Endocrine Therapy"]
    assert t.responsible_party is None  # responsible party type "Sponsor"
    assert [m.term for m in t.condition_mesh] == ["Breast Neoplasms"]
    assert "Korea, Republic of" in t.countries
    assert t.eligibility.inclusion[2] == ("Pre- and postmenopausal women or men with Stage II (Stage IIA "
                                          "limited to max. 1000 patients) or Stage III early invasive breast cancer")


def test_same_trial_as_json_and_xml_gives_the_same_core_facts() -> None:
    """NCT02513394 as v2 JSON (2023) and legacy XML (2020): the facts both versions share."""
    [j] = [i for i in ctgov_json.read(MCODE / "NCT02513394.json") if isinstance(i, Trial)]
    x = one(MCODE / "NCT02513394.xml")
    assert j.nct_id == x.nct_id == "NCT02513394"
    assert j.org_study_id == x.org_study_id
    assert [i.value for i in j.secondary_ids] == [i.value for i in x.secondary_ids]
    assert j.title == x.title and j.official_title == x.official_title and j.acronym == x.acronym
    assert [codes.phases(p)[0] for p in j.phases] == [codes.phases(p)[0] for p in x.phases] == [["Phase3"]]
    assert codes.STATUS.lookup(j.overall_status) == codes.STATUS.lookup(x.overall_status) == "ActiveNotRecruiting"
    assert codes.STUDY_TYPE.lookup(j.study_type) == codes.STUDY_TYPE.lookup(x.study_type)
    assert (j.enrollment, j.enrollment_type) == (x.enrollment, x.enrollment_type) == (5796, "actual")
    assert j.conditions == x.conditions == ["Breast Cancer"]
    assert [i.name for i in j.interventions] == [i.name for i in x.interventions]
    assert [(a.label, a.intervention_names) for a in j.arms] == [(a.label, a.intervention_names) for a in x.arms]
    # Sites differ for real: the XML of 2020 lists 233 <location>s, the JSON of 2023 lists 437;
    # both start with the same site.
    assert (len(x.sites), len(j.sites)) == (233, 437)
    first = ("University of South Alabama Mitchell Cancer Institute", "Mobile", "Alabama", "36604",
             "United States")
    assert (x.sites[0].facility, x.sites[0].city, x.sites[0].state, x.sites[0].zip, x.sites[0].country) == first
    assert (j.sites[0].facility, j.sites[0].city, j.sites[0].state, j.sites[0].zip, j.sites[0].country) == first
    assert j.start_date.date == x.start_date.date == PartialDate(2015, 8)
    assert j.brief_summary == x.brief_summary
    assert j.eligibility.inclusion == x.eligibility.inclusion
    assert j.eligibility.exclusion == x.eligibility.exclusion


def test_old_records_with_one_line_design_and_firstreceived_dates() -> None:
    """aact NCT02028676_modified.xml (2016 layout): <study_design> text, <firstreceived_date>."""
    t = one(AACT / "NCT02028676_modified.xml")
    assert t.design.allocation == "Randomized"
    assert t.design.intervention_model == "Factorial Assignment"
    assert t.design.masking == "Open Label" and t.design.primary_purpose == "Treatment"
    assert t.first_posted.date == PartialDate(2013, 12, 31)
    assert t.last_update.date == PartialDate(2014, 6, 4)
    assert t.collaborators == []  # the altered copy dropped them; the original lists three
    assert len(one(AACT / "NCT02028676.xml").collaborators) == 3


def test_altered_and_alias_files_are_read_as_they_are() -> None:
    assert one(AACT / "NCT00513591_mod.xml").official_title == "This Is An Updated Title"
    assert one(AACT / "NCT00513591.xml").official_title == "Duke Autoimmunity in Pregnancy Registry"
    # A file named after an alias: the record's own id wins, the alias is kept as an NCT id.
    t = one(AACT / "NCT00980226-id-mismatch.xml")
    assert t.nct_id == "NCT00081588"
    assert [(i.value, i.scheme, i.type) for i in t.secondary_ids if i.scheme == "NCT"] == [
        ("NCT00980226", "NCT", "NCT_ALIAS")]


def test_zip_of_xml_files() -> None:
    zipped = AACT / "download_xml_files.zip"
    assert loaders.detect(zipped).name == "ctgov-xml"
    trials, errors = read_all(zipped)
    assert not errors and [t.nct_id for t in trials] == ["NCT00513591", "NCT00482794"]
    [from_zip] = read_all(MCODE / "search_result.zip")[0]
    assert from_zip == one(MCODE / "NCT02513394.xml")


def test_several_studies_under_a_wrapper(tmp_path: Path) -> None:
    a = (AACT / "NCT00513591.xml").read_bytes().split(b"?>", 1)[1]
    b = (AACT / "NCT02591940.xml").read_bytes().split(b"?>", 1)[1]
    path = tmp_path / "both.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n<search_results>' + a + b + b"</search_results>")
    assert loaders.detect(path).name == "ctgov-xml"
    trials, errors = read_all(path)
    assert not errors and [t.nct_id for t in trials] == ["NCT00513591", "NCT02591940"]


def test_namespaced_copy_reads_the_same(tmp_path: Path) -> None:
    text = (AACT / "NCT00513591.xml").read_text(encoding="utf-8")
    path = tmp_path / "ns.xml"
    path.write_text(text.replace("<clinical_study>", '<clinical_study xmlns="urn:example:ctgov">', 1),
                    encoding="utf-8")
    assert loaders.detect(path).name == "ctgov-xml"
    assert one(path) == one(AACT / "NCT00513591.xml")


# --- odd input: clear errors, never wrong data ---------------------------------------------------------


def test_rss_search_result_is_not_a_study() -> None:
    path = AACT / "covid_search.xml"
    assert not ctgov_xml.sniff(loaders.head_of(path))
    with pytest.raises(LoaderError, match="root element is <rss>"):
        list(ctgov_xml.read(path))


def test_saved_html_page_is_refused() -> None:
    path = AACT / "Invalid-nct-id.html"
    assert not ctgov_xml.sniff(loaders.head_of(path))
    with pytest.raises(LoaderError, match="not well-formed XML"):
        list(ctgov_xml.read(path))


def test_broken_study_is_a_record_error(tmp_path: Path) -> None:
    text = (AACT / "NCT00513591.xml").read_text(encoding="utf-8")
    bad_id = tmp_path / "bad_id.xml"
    bad_id.write_text(text.replace("<nct_id>NCT00513591</nct_id>", "<nct_id>NCT5135</nct_id>"), encoding="utf-8")
    trials, errors = read_all(bad_id)
    assert trials == [] and "'NCT5135' is not 'NCT' followed by 8 digits" in errors[0].message
    bad_date = tmp_path / "bad_date.xml"
    start = text.split("<start_date>", 1)[1].split("</start_date>", 1)[0]
    bad_date.write_text(text.replace(f"<start_date>{start}</start_date>", "<start_date>soon</start_date>"),
                        encoding="utf-8")
    trials, errors = read_all(bad_date)
    assert trials == [] and errors[0].record == "NCT00513591" and "<start_date>" in errors[0].message


def test_truncated_file_is_a_loader_error(tmp_path: Path) -> None:
    raw = (AACT / "NCT00513591.xml").read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(LoaderError, match="not well-formed XML"):
        list(ctgov_xml.read(path))


def test_break_after_good_studies_keeps_them_and_names_the_place(tmp_path: Path) -> None:
    a = (AACT / "NCT00513591.xml").read_bytes().split(b"?>", 1)[1]
    b = (AACT / "NCT02591940.xml").read_bytes().split(b"?>", 1)[1]
    path = tmp_path / "cut_after_one.xml"
    path.write_bytes(b"<search_results>" + a + b[: len(b) // 2])
    trials, errors = read_all(path)
    assert [t.nct_id for t in trials] == ["NCT00513591"]
    assert len(errors) == 1 and errors[0].record == "after study #1"
    assert "broken XML, the rest of the file is unreadable" in errors[0].message


def test_zip_without_xml_is_a_loader_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "no studies")
    with pytest.raises(LoaderError, match="no study files"):
        list(ctgov_xml.read(path))


def test_sniffer_leaves_v2_json_alone() -> None:
    assert not ctgov_xml.sniff(loaders.head_of(MCODE / "NCT02513394.json"))
    assert not ctgov_xml.sniff(loaders.head_of(CORPUS / "ctgov-v2" / "marc_urology" / "ctg-studies.json.zip"))
