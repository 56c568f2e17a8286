"""Normalisation quality: MeSH ids of named drugs and conditions, and agreement with CT.gov's indexing.

The unit tests name descriptors checked against NLM's MeSH (ids as CT.gov itself attaches them in
the corpus). The corpus tests run the benchmark's scoring (`kg.normalize.benchmark`, the same code
as `benchmarks/normalisation/run.py`) on the CT.gov v2 records of ../shared/corpus and hold the
scores above floors a little below what was measured, so a regression fails.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kg.normalize import Concept, condition_concepts, entry_terms, intervention_concepts, mesh, other_name_concepts
from kg.normalize import benchmark
from kg.normalize.build_mesh import BuildError, read_labels
from kg.normalize.concepts import vocabulary


def mesh_reach(concepts: list[Concept]) -> set[str]:
    """Every MeSH id the term node reaches with skos:broader* (own ids and all ancestors)."""
    out: set[str] = set()
    for c in concepts:
        for node in (c, *c.lineage):
            out.update(node.mesh_ids)
        for key in vocabulary().ancestors.get(c.key, frozenset()) | set(c.broader):
            if key in vocabulary().entries:
                out.update(benchmark._entry_mesh(key))
    return out


# --- the table -------------------------------------------------------------------------------------


def test_table_is_compact_and_in_nlm_form() -> None:
    assert mesh.TABLE_FILE.stat().st_size < 1_000_000
    t = mesh.table()
    assert len(t.labels) > 30000
    assert all(len(i) in (7, 10) and i.startswith("D") for i in t.labels)
    assert t.labels["D008727"] == "Methotrexate" and t.labels["D000068437"] == "Pemetrexed"
    assert t.trees["D001943"] == ("C04.588.180", "C17.800.090.500")  # Breast Neoplasms, two branches
    with gzip.open(mesh.TABLE_FILE, "rt", encoding="utf-8") as fh:
        first = fh.readline().rstrip("\n").split("\t")
    assert first[:2] == ["D000001", "Calcimycin"] and "D03.633.100.221.173" in first[2].split(",")


def test_build_script_rejects_a_table_that_is_not_mesh(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("id,scheme,subject\nhttps://id.nlm.nih.gov/mesh/D000001,MeSH,Calcimycin\n", encoding="utf-8")
    with pytest.raises(BuildError, match="only 1 descriptors"):
        read_labels(bad)
    bad.write_text("code,name\nD1,x\n", encoding="utf-8")
    with pytest.raises(BuildError, match="expected columns"):
        read_labels(bad)


def test_parents_skip_levels_the_table_lacks_and_never_loop() -> None:
    assert mesh.parents("D006333") == ("D006331",)  # Heart Failure -> Heart Diseases
    assert mesh.ancestors("D006333") == {"D006331", "D002318"}
    assert mesh.parents("D009369") == ()  # Neoplasms is a tree top (C04)


# --- drugs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "key", "mesh_id"), [
    ("Methotrexate", "drug/methotrexate", "D008727"),  # the dictionary says D019384
    ("Methotrexate tablets 5 mg", "drug/methotrexate", "D008727"),
    ("intrathecal pemetrexed", "drug/pemetrexed", "D000068437"),
    ("Pemetrexed disodium 500 mg/m2 IV", "drug/pemetrexed", "D000068437"),
    ("Imatinib Mesylate", "drug/imatinib", "D000068877"),
    ("Cytarabine", "drug/cytarabine", "D003561"),
])
def test_named_drugs_carry_their_mesh_descriptor(name: str, key: str, mesh_id: str) -> None:
    got = intervention_concepts(name, "Drug")
    assert [c.key for c in got] == [key]
    assert got[0].mesh_ids == (mesh_id,)


def test_pembrolizumab_and_its_brand_are_one_concept_without_a_descriptor() -> None:
    # Pembrolizumab is a MeSH supplementary concept, not a descriptor: the table has no heading.
    assert mesh.by_label("Pembrolizumab") is None
    for name in ("Pembrolizumab", "Keytruda", "KEYTRUDA 200 mg IV"):
        got = intervention_concepts(name, "Drug")
        assert [c.key for c in got] == ["drug/pembrolizumab"], name
        assert got[0].mesh_ids == ()
    assert "pd-1-inhibitor" in vocabulary().ancestors["drug/pembrolizumab"]


def test_salt_and_base_forms_meet_in_one_concept_with_both_ids() -> None:
    base = intervention_concepts("Vardenafil", "Drug")
    salt = intervention_concepts("Vardenafil Dihydrochloride", "Drug")
    assert [c.key for c in base] == [c.key for c in salt] == ["drug/vardenafil"]
    assert base[0].exact_matches == salt[0].exact_matches == (
        "http://id.nlm.nih.gov/mesh/D000069058", "https://go.drugbank.com/drugs/DB00862")


@pytest.mark.parametrize(("name", "mesh_id"), [
    # Entry terms and labels compared as token phrases once doses and forms are set aside; ids
    # as NLM's MeSH gives them (Testosterone D013739, Botulinum Toxins, Type A D019274).
    ("Testosterone gel 1%", "D013739"),  # the drug dictionary has no "testosterone" variant
    ("Testosterone Solution 2%", "D013739"),
    ("Botulinum Toxin Type A 25 IU", "D019274"),  # label "Botulinum Toxins, Type A"
    ("Lysergic acid diethylamide", "D008238"),  # whole name, not the dictionary's "lysergic acid"
    ("Salmeterol", "D000068299"),  # MeSH files it under the salt: Salmeterol Xinafoate
])
def test_whole_names_reach_their_descriptor_through_entry_terms(name: str, mesh_id: str) -> None:
    got = intervention_concepts(name, "Drug")
    assert [c.mesh_ids for c in got] == [(mesh_id,)], name


def test_code_names_are_not_cut_at_their_digits() -> None:
    # "HIP0908" is a product code; without its digits it would read as the heading "Hip".
    assert intervention_concepts("HIP0908", "Drug") == []
    assert entry_terms.lookup(("hip",)) == "D006615"


def test_other_names_add_what_the_name_does_not_say() -> None:
    # NCT03826992 reports "Vyxeos" with the other name below; CT.gov indexes Cytarabine and
    # Daunorubicin for it.
    assert intervention_concepts("Vyxeos", "DRUG") == []
    got = other_name_concepts("Vyxeos", "DRUG", ["cytarabine and daunorubicin liposome, CPX-351"])
    assert [(c.key, c.mesh_ids) for c in got] == [("drug/cytarabine", ("D003561",)),
                                                  ("drug/daunorubicin", ("D003630",))]
    # What the name already gives is not repeated.
    assert other_name_concepts("MK-3475", "DRUG", ["Pembrolizumab", "Keytruda"]) == []
    assert other_name_concepts("Placebo", "DRUG", ["Placebo arm (blinded)"]) == []


def test_groups_of_substances_are_not_taken_for_a_drug() -> None:
    for name in ("Antibodies, Monoclonal", "Sulfates"):
        assert all(not c.key.startswith("drug/") for c in intervention_concepts(name, "Drug")), name


# --- conditions ------------------------------------------------------------------------------------


def test_solid_tumors_are_neoplasms() -> None:
    got = condition_concepts("Solid tumors")
    assert "D009369" in mesh_reach(got)
    assert "solid-tumors" in [c.key for c in got]


def test_non_small_cell_is_not_small_cell() -> None:
    got = condition_concepts("Non-small cell lung cancer")
    # The phrase also spells out "lung cancer", a MeSH ancestor: linked too, as CT.gov does.
    assert [c.mesh_ids for c in got] == [("D002289",), ("D008175",)]
    reached = mesh_reach(got)
    assert "D055752" not in reached
    # Carcinoma, Bronchogenic -> Bronchial Neoplasms -> Lung Neoplasms -> ... Neoplasms
    assert {"D002283", "D001984", "D008175", "D009369"} <= reached


def test_breast_cancer_is_breast_neoplasms_with_both_branches() -> None:
    got = condition_concepts("Breast Cancer")
    assert [c.key for c in got] == ["breast-neoplasms"]
    assert got[0].mesh_ids == ("D001943",)
    # Neoplasms by Site -> Neoplasms, and Breast Diseases -> Skin and Connective Tissue Diseases
    assert {"D009371", "D009369", "D001941", "D017437"} <= mesh_reach(got)


def test_nested_broader_heading_is_also_linked() -> None:
    got = condition_concepts("Type 2 Diabetes")
    assert [c.mesh_ids for c in got] == [("D003924",), ("D003920",)]


def test_head_heading_of_unknown_place_is_presumed_broader() -> None:
    # Back Pain (D001416) has no tree number in the table; it is the head of "Low Back Pain".
    assert "D001416" not in mesh.table().trees
    assert [c.mesh_ids for c in condition_concepts("Chronic Low Back Pain")] == [("D017116",), ("D001416",)]
    # A head whose place is known must really be above: Lung Diseases is a grouping heading.
    assert [c.mesh_ids for c in condition_concepts("Interstitial Lung Disease")] == [("D017563",)]


def test_french_spelling_of_diabetes_is_read() -> None:
    # One registry writes "Diabete Mellitus" throughout; CT.gov indexes Diabetes Mellitus.
    assert [c.mesh_ids for c in condition_concepts("Diabete Mellitus")] == [("D003920",)]


# --- agreement with CT.gov -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def studies(ctgov_v2_studies: list[benchmark.Study]) -> list[benchmark.Study]:
    return ctgov_v2_studies


# Measured (reported names and other names, CT.gov descriptor leaves, see
# benchmarks/normalisation/README.md): interventions recall 0.871 / 0.837 and precision 0.917 /
# 0.903 on halves A / B, conditions recall 0.846 / 0.809 and precision 0.882 / 0.920.
FLOORS = {
    benchmark.INTERVENTIONS: (0.82, 0.89),
    benchmark.CONDITIONS: (0.80, 0.87),
}


@pytest.mark.corpus
@pytest.mark.parametrize("kind", [benchmark.INTERVENTIONS, benchmark.CONDITIONS])
def test_agreement_with_ctgov_mesh_terms_stays_above_the_floor(studies: list[benchmark.Study], kind: str) -> None:
    recall_floor, precision_floor = FLOORS[kind]
    for half, part in benchmark.halves(studies):
        s = benchmark.score(part, kind)
        assert s.studies > 200, half
        assert s.recall >= recall_floor, f"{kind} {half}: {s.line()}"
        assert s.precision >= precision_floor, f"{kind} {half}: {s.line()}"


@pytest.mark.corpus
def test_scoring_compares_like_with_like(studies: list[benchmark.Study]) -> None:
    """Gold is CT.gov's descriptor leaves in NLM form; supplementary concepts and placebos are out."""
    by_id = {s.nct_id: s for s in studies}
    s = by_id["NCT05848687"]  # nine drugs; CT.gov lists Blinatumomab and Pegaspargase as C ids
    want, supplementary = benchmark.gold(s, benchmark.INTERVENTIONS)
    assert supplementary == 2
    assert {"D008727", "D003907", "D000069286"} <= want  # methotrexate, dexamethasone, bortezomib
    assert all(len(i) in (7, 10) for i in want)
    assert {"D008727", "D003907", "D000069286"} <= benchmark.predicted(s, benchmark.INTERVENTIONS)
    placebo_trials = [t for t in studies if any("placebo" in n.casefold() for n, _ in t.interventions)]
    assert placebo_trials and all("D010919" not in benchmark.predicted(t, benchmark.INTERVENTIONS)
                                  for t in placebo_trials)


def test_false_hits_and_misses_are_told_apart_by_where_ctgov_found_them() -> None:
    """A broader heading, a heading CT.gov found at low relevance, and a leaf CT.gov took from the
    title are counted apart, so the benchmark shows how much of its gap is the comparison's own."""
    study = benchmark.Study(
        "NCT00000001", [], ["Type 2 Diabetes Mellitus", "Prostate Cancer"], {},
        {"D003924": "Diabetes Mellitus, Type 2", "D007172": "Erectile Dysfunction"},
        condition_found=frozenset({"D003924", "D007172", "D011471"}),  # Prostatic Neoplasms: LOW
        condition_as_found={"D007172": "Erectile Dysfunction"},
        titles_keywords="Erectile dysfunction after radical prostatectomy",
    )
    assert benchmark.predicted(study, benchmark.CONDITIONS) == {"D003924", "D003920", "D011471"}
    s = benchmark.score([study], benchmark.CONDITIONS)
    assert (s.true_pos, s.false_pos, s.false_neg) == (1, 2, 1)
    assert (s.extras_broader, s.extras_found_low, s.misses_elsewhere) == (1, 1, 1)  # D003920, D011471, D007172
    assert s.recall_ceiling == 0.5
    study.titles_keywords = "Diabetes and the prostate"  # no evidence for the miss anywhere else
    assert benchmark.score([study], benchmark.CONDITIONS).misses_elsewhere == 0


@pytest.mark.corpus
def test_ctgov_browse_leaves_are_read_with_their_relevance(studies: list[benchmark.Study]) -> None:
    """NCT01321489 (marc_urology): Erectile Dysfunction HIGH, its MeSH ancestors LOW."""
    s = {s.nct_id: s for s in studies}["NCT01321489"]
    assert s.condition_as_found == {"D007172": "Erectile Dysfunction"}
    assert {"D007172", "D005832", "D012735"} <= s.condition_found  # + Genital Diseases, Male; Sexual Dysfunction
    assert {"D000068677", "D019343", "D000077559"} <= s.intervention_found  # Sildenafil Citrate, Citric Acid, Sodium Citrate
