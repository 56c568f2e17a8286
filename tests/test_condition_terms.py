"""Condition names a clinician writes -> the MeSH headings they mean.

Covers the project's own entry terms (`kg/normalize/data/disease_terms.tsv`), plural names the
disease dictionary lacks, and names whose words are glued by hyphens or semicolons. Every name
below is written as registries write it (from ClinicalTrials.gov records); expected ids are the
MeSH descriptors the name means, checked against MeSH's own entry terms. Each rule has a case it
must leave alone.
"""

from __future__ import annotations

import pytest

from kg.normalize import condition_concepts, diseases

ALL_ = "D054198"  # Precursor Cell Lymphoblastic Leukemia-Lymphoma
LYMPHOID = "D007945"  # Leukemia, Lymphoid
LEUKEMIA = "D007938"
ED = "D007172"  # Erectile Dysfunction


def ids(name: str) -> set[str]:
    """MeSH ids of the concepts a condition name is linked to."""
    return {i for c in condition_concepts(name) for i in c.mesh_ids}


# --- entry terms --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "mesh_id"), [
    ("Lymphoblastic Leukemia", LYMPHOID),  # a MeSH entry term of Leukemia, Lymphoid
    ("Promyelocytic Leukemia", "D015473"),
    ("Depression", "D003863"),
    ("Pain, Postoperative", "D010149"),
    ("Pre-diabetes", "D011236"),
    ("Prolapsed Intervertebral Disc", "D007405"),
    ("Lumbar Herniated Intervertebral Disc", "D007405"),
    ("Cervical Disc Prolapse", "D007405"),
    ("Male Erectile Disorder", ED),
    ("Erectile Disfunction", ED),
    ("Type1diabetes", "D003922"),
    ("Insulin Dependent Diabetes", "D003922"),
    ("Type 1 Diabetes (T1D)", "D003922"),
    ("T2DM", "D003924"),
    ("Dyslipidemia Associated With Type II Diabetes Mellitus", "D003924"),
    ("BPH", "D011470"),
    ("Benign Prostate Hyperplasia", "D011470"),
    ("Coronaropathy", "D003324"),
    ("Spine Fracture", "D016103"),
    ("Cirrhosis", "D008103"),
    ("Asthmatic Smokers", "D001249"),
])
def test_entry_term(name: str, mesh_id: str) -> None:
    assert mesh_id in ids(name)


def test_acute_lymphoblastic_leukemia_nests_the_lymphoid_heading() -> None:
    """The acute form is the narrower heading; the phrase also spells MeSH's "Lymphoblastic
    Leukemia" (Leukemia, Lymphoid), which MeSH puts above it."""
    assert {ALL_, LYMPHOID, LEUKEMIA} <= ids("Acute Lymphoblastic Leukemia")


def test_myeloid_leukemia_is_not_lymphoid() -> None:
    assert LYMPHOID not in ids("Acute Myeloid Leukemia")
    assert "D015470" in ids("Acute Myeloid Leukemia")


def test_cirrhosis_means_the_liver_not_fibrosis_alone() -> None:
    """MeSH files bare "Cirrhosis" under Fibrosis; clinicians mean the liver. Liver Cirrhosis sits
    under Fibrosis, so the term node still reaches it through the hierarchy."""
    (concept,) = condition_concepts("Cirrhosis")
    assert concept.mesh_ids == ("D008103",)
    assert "D005355" in {i for a in concept.lineage for i in a.mesh_ids}


def test_terms_stay_whole_words() -> None:
    """Short terms name one heading ("T1D" is type 1 only), and a word of a longer name is not a
    heading of its own ("Premature Ejaculation" is not Premature Birth)."""
    assert ids("Premature Ejaculation") == {"D061686"}
    assert "D003924" not in ids("Type 1 Diabetes (T1D)")
    assert "D003922" not in ids("T2DM")
    assert "D001249" not in ids("Non-asthmatic Smokers")


# --- plurals ------------------------------------------------------------------------------------


def test_plural_of_a_dictionary_name() -> None:
    assert ids("Erectile Dysfunctions") == {ED}


def test_plural_rule_spares_latin_endings() -> None:
    """-us, -is and -ss words are not plurals: their stem is never looked up."""
    table = {("viru",): "D014777", ("arthriti",): "D001168", ("abces",): "D000038", ("ulcer",): "D014456"}
    assert diseases._lookup(table, ("virus",)) is None
    assert diseases._lookup(table, ("arthritis",)) is None
    assert diseases._lookup(table, ("abcess",)) is None
    assert diseases._lookup(table, ("ulcers",)) == "D014456"


def test_plural_gives_no_sub_phrase_heading() -> None:
    """"Acute Leukemias" is leukemia, not also Acute Disease."""
    assert "D000208" not in ids("Acute Leukemias")
    assert LEUKEMIA in ids("Acute Leukemias")


# --- hyphen- and semicolon-joined words ---------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("Chronic Low-back Pain", {"D017116"}),
    ("Sexual Function and Fertility Disorders NEC-Erectile Dysfunction", {ED}),
    ("Acute Myeloid Leukaemia; Myelodysplastic Syndromes;Chronic Myelomonocytic Leukemia",
     {"D015470", "D009190", "D015477"}),
])
def test_joined_words_taken_apart(name: str, expected: set[str]) -> None:
    assert expected <= ids(name)


def test_hyphenated_names_stay_whole_when_they_match() -> None:
    """"Non-Small Cell" is one word: taking it apart must not find small cell lung cancer."""
    found = ids("Non-Small Cell Lung Cancer")
    assert "D002289" in found
    assert "D055752" not in found  # Small Cell Lung Carcinoma
    assert ids("SARS-CoV-2 Infection") >= {"D000086382"}


def test_a_bound_prefix_stays_on_its_word() -> None:
    """"Non-Cancer Pain" is not Cancer Pain."""
    assert "D000072716" not in ids("Non-Cancer Pain")


# --- capitalised acronyms (ontology/vocabulary.ttl, tg:acronymLabel) --------------------------------


@pytest.mark.parametrize(("name", "mesh_id"), [
    ("AML", "D015470"),  # Leukemia, Myeloid, Acute
    ("Relapsed AML", "D015470"),
    ("ALL", "D054198"),  # Precursor Cell Lymphoblastic Leukemia-Lymphoma
    ("CLL, Refractory", "D015451"),  # Leukemia, Lymphocytic, Chronic, B-Cell
    ("CML", "D015464"),  # Leukemia, Myelogenous, Chronic, BCR-ABL Positive
    ("MDS", "D009190"),  # Myelodysplastic Syndromes
    ("DLBCL", "D016403"),  # Lymphoma, Large B-Cell, Diffuse
    ("Recurrent GBM", "D005909"),  # Glioblastoma
    ("Metastatic RCC", "D002292"),  # Carcinoma, Renal Cell
])
def test_clinical_acronyms_name_their_heading(name: str, mesh_id: str) -> None:
    assert mesh_id in ids(name)


@pytest.mark.parametrize("name", ["all patients", "Cancer of all types", "Aml", "small gbm-like lesion"])
def test_acronyms_match_only_as_written_and_standalone(name: str) -> None:
    assert not ids(name) & {"D015470", "D054198", "D005909"}
