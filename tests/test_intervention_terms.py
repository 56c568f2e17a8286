"""Intervention names that reach MeSH through the routes added for drug classes, procedures,
brands and device-borne drugs: curated class and procedure concepts with their MeSH descriptor
(`ontology/vocabulary.ttl`), the project's own drug names (`kg/normalize/data/drug_terms.tsv`),
dictionary product entries resolved through their canonical name, MeSH pharmacological-action
headings named by the dictionary, "<drug>-eluting" devices and "R-<drug>" enantiomers.

Names are real ones from CT.gov records; every expected id is the MeSH descriptor that the name
means (each is checked against the packaged MeSH label table), and every rule has a case that
shows it does not reach further than it should.
"""

from __future__ import annotations

import pytest

from kg.normalize import intervention_concepts, mesh
from kg.normalize.entry_terms import project_terms


def mesh_ids(name: str, type_word: str | None = "Drug") -> set[str]:
    """The MeSH descriptors the name's concepts are exact matches of."""
    return {i for c in intervention_concepts(name, type_word) for i in c.mesh_ids}


def keys(name: str, type_word: str | None = "Drug") -> set[str]:
    return {c.key for c in intervention_concepts(name, type_word)}


@pytest.mark.parametrize(("mesh_id", "label"), [
    ("D058986", "Phosphodiesterase 5 Inhibitors"),
    ("D000077203", "Sodium-Glucose Transporter 2 Inhibitors"),
    ("D020024", "Leukotriene Antagonists"),
    ("D050781", "Transcranial Magnetic Stimulation"),
    ("D065908", "Transcranial Direct Current Stimulation"),
    ("D026741", "Physical Therapy Modalities"),
    ("D026201", "Musculoskeletal Manipulations"),
    ("D026301", "Manipulation, Osteopathic"),
    ("D005081", "Exercise Therapy"),
    ("D005996", "Nitroglycerin"),
    ("D019980", "Amoxicillin-Potassium Clavulanate Combination"),
    ("D015662", "Trimethoprim, Sulfamethoxazole Drug Combination"),
    ("D000779", "Anesthetics, Local"),
    ("D019274", "Botulinum Toxins, Type A"),
    ("D000961", "Antilymphocyte Serum"),
    ("D009173", "Mycophenolic Acid"),
    ("D001215", "Asparaginase"),
    ("D007252", "Influenza Vaccines"),
    ("D013739", "Testosterone"),
    ("D000068338", "Everolimus"),
    ("D020123", "Sirolimus"),
    ("D014700", "Verapamil"),
    ("D007004", "Hypoglycemic Agents"),
    ("D008012", "Lidocaine"),
])
def test_expected_ids_are_the_mesh_headings_they_stand_for(mesh_id: str, label: str) -> None:
    assert mesh.label(mesh_id) == label


# --- curated classes and procedures (vocabulary.ttl) ---------------------------------------------


@pytest.mark.parametrize(("name", "mesh_id"), [
    ("PDE5I (phosphodiesterase-5 inhibitor)", "D058986"),
    ("SGLT2 inhibitor", "D000077203"),
    ("leukotriene receptor antagonist", "D020024"),
    ("Repetitive Transcranial Magnetic Stimulation", "D050781"),
    ("tDCS", "D065908"),
    ("Transcranial Direct Current Therapy (tDCS)", "D065908"),
    ("Osteopathic Manipulative Therapy", "D026301"),
    ("Physiotherapy", "D026741"),
    ("Manual Therapy", "D026201"),
    ("Therapeutic exercise", "D005081"),
])
def test_classes_and_procedures_reach_their_heading(name: str, mesh_id: str) -> None:
    assert mesh_id in mesh_ids(name, "Other")


def test_a_named_drug_of_a_class_is_not_the_class_heading() -> None:
    # montelukast sits under the curated class by its stem, but its own name is no class
    assert "D020024" not in mesh_ids("Montelukast")
    assert "leukotriene-antagonist" in {b for c in intervention_concepts("Montelukast", "Drug") for b in c.broader}


def test_case_sensitive_stimulation_acronyms_do_not_match_words() -> None:
    assert mesh_ids("tms score questionnaire", "Other") == set()


def test_osteopathic_manipulation_sits_under_manual_therapy() -> None:
    (concept,) = intervention_concepts("Osteopathic Manipulative Therapy", "Other")
    assert "musculoskeletal-manipulation" in concept.broader


# --- the project's own drug names (data/drug_terms.tsv) ------------------------------------------


@pytest.mark.parametrize(("name", "mesh_id"), [
    ("Nitrostat", "D005996"),
    ("Glyceryl Trinitrate", "D005996"),
    ("Augmentin", "D019980"),
    ("Bactrim", "D015662"),
    ("Botox", "D019274"),
    ("Rabbit antithymocyte globulin", "D000961"),
    ("Mycophenolate Mofetil", "D009173"),
    ("recombinant L-Asparaginase", "D001215"),
    ("ccIIV4", "D007252"),
])
def test_brands_and_other_names_reach_their_heading(name: str, mesh_id: str) -> None:
    assert mesh_ids(name) == {mesh_id}


def test_a_brand_and_the_drug_name_share_one_node() -> None:
    assert keys("Glyceryl Trinitrate") == keys("Nitrostat") == keys("Nitroglycerin") == {"drug/nitroglycerin"}


def test_project_terms_need_the_whole_phrase() -> None:
    # "glyceryl" alone (a word of glyceryl trinitrate) names no drug
    assert "D005996" not in mesh_ids("Glyceryl monostearate cream")


def test_project_terms_name_known_headings() -> None:
    terms = project_terms()
    assert terms and all(mesh.label(i) for i in terms.values())


# --- dictionary product entries and class headings (drugs.py) ------------------------------------


@pytest.mark.parametrize(("name", "mesh_id"), [
    ("Fluarix", "D007252"),  # "Influenza Vaccine, Inactivated or Recombinant" in the dictionary
    ("Flucelvax", "D007252"),
    ("Nitroglycerin Sublingual", "D005996"),
    ("Natesto Nasal Gel", "D013739"),
])
def test_product_entries_resolve_to_the_drug_they_name(name: str, mesh_id: str) -> None:
    assert mesh_ids(name) == {mesh_id}


def test_a_class_named_in_a_longer_name_is_that_class() -> None:
    assert mesh_ids("Local infiltration with local anesthetic", "Procedure") == {"D000779"}
    assert mesh_ids("other injectable antidiabetic treatment regimens") == {"D007004"}


def test_a_named_local_anesthetic_is_the_drug_not_the_class() -> None:
    assert mesh_ids("Lidocaine 2%") == {"D008012"}


# --- "<drug>-eluting" devices and enantiomers ----------------------------------------------------


@pytest.mark.parametrize(("name", "mesh_id"), [
    ("Bioabsorbable everolimus-eluting stent deployment", "D000068338"),
    ("Selution SLR™ sirolimus-eluting balloon", "D020123"),
    ("R-verapamil 75 mg tablet", "D014700"),
])
def test_the_drug_a_device_carries_or_an_enantiomer_is_that_drug(name: str, mesh_id: str) -> None:
    assert mesh_id in mesh_ids(name, "Device")


@pytest.mark.parametrize("name", ["drug-eluting balloon", "silver-coated catheter"])
def test_a_carrier_without_a_named_drug_gives_no_drug(name: str) -> None:
    assert mesh_ids(name, "Device") == set()


def test_regimen_and_code_names_with_one_letter_prefixes_stay_as_they_were() -> None:
    assert keys("R-CHOP") == {"regimen/r-chop"}
    assert keys("S-1") == {"drug/s-1"}
