"""Normalisation of reported intervention and condition names to vocabulary concepts.

Names come from the five seed pages (each test first checks the page really says it) and from
real CT.gov records; expected concepts are what the name means clinically, not what the code
happened to return.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kg.normalize import Concept, condition_concepts, intervention_concepts
from kg.normalize.concepts import vocabulary
from kg.normalize.tokens import intervention_tokens, prepare
from kg.normalize.vocabulary import CONDITIONS, INTERVENTIONS, VocabularyError, parse
from kg.vocab import DRUGBANK, MESH
from tests.conftest import EXAMPLES_DIR, require_corpus

TP_PF = ("TP (Paclitaxel with cisplatin or carboplatin) or PF (Fluoropyrimidine with cisplatin or "
         "carboplatin) regimen depended on investigator's choice.")


def reach(concepts: list[Concept]) -> set[str]:
    """Every concept key the term node reaches with skos:broader*."""
    anc = vocabulary().ancestors
    out: set[str] = set()
    for c in concepts:
        out.add(c.key)
        for b in c.broader:
            out |= {b} | anc.get(b, frozenset())
        out |= anc.get(c.key, frozenset())
    return out


def keys(concepts: list[Concept]) -> list[str]:
    return [c.key for c in concepts]


# --- seed names ----------------------------------------------------------------------------------

SEED_INTERVENTIONS = [
    # (seed page, name as written there, type word, concepts it must reach, concepts it must not)
    ("medpath_NCT05522582.txt", "Methotrexate tablets", "Drug", {"drug/methotrexate", "antifolate"}, set()),
    ("medpath_NCT05522582.txt", "Anti-PD-1 monoclonal antibody", "Drug",
     {"pd-1-inhibitor", "immune-checkpoint-inhibitor"}, {"pd-l1-inhibitor"}),
    ("medpath_NCT05522582.txt", "Radiotherapy", "Radiation", {"radiotherapy"}, set()),
    ("ctgov-text_NCT05906329.txt", "Low-dose radiotherapy combined with conventional fractionated radiotherapy",
     "Radiation", {"low-dose-radiotherapy", "conventional-fractionated-radiotherapy", "radiotherapy"}, set()),
    ("veeva_esophageal-radiotherapy.txt", "Consolidation Radiation", "Radiation",
     {"consolidation-radiotherapy", "radiotherapy"}, set()),
    ("veeva_esophageal-radiotherapy.txt", "Salvage Radiation", "Radiation", {"salvage-radiotherapy", "radiotherapy"},
     set()),
    ("veeva_esophageal-radiotherapy.txt", "PD-1 inhibitor", "Biological", {"pd-1-inhibitor"}, set()),
    ("veeva_esophageal-radiotherapy.txt", TP_PF, "Drug",
     {"drug/paclitaxel", "drug/cisplatin", "drug/carboplatin", "fluoropyrimidine", "taxane", "platinum-compound"},
     {"radiotherapy"}),
    ("overview_NCT05699811.txt", "MSC-IFNα", "Biological", {"mesenchymal-stromal-cells", "cell-therapy"}, set()),
    ("overview_NCT05699811.txt", "Nab paclitaxel", "Drug", {"drug/nab-paclitaxel", "drug/paclitaxel", "taxane"}, set()),
    ("overview_NCT05699811.txt", "Cyclophosphamide", "Drug", {"drug/cyclophosphamide"}, set()),
    ("summary_NCT05305885.txt", "intrathecal pemetrexed", None, {"drug/pemetrexed", "antifolate"}, set()),
    ("summary_NCT05305885.txt", "involved-field radiation therapy", None,
     {"involved-field-radiotherapy", "radiotherapy"}, set()),
]


@pytest.mark.parametrize("page,name,type_word,expected,unexpected", SEED_INTERVENTIONS,
                         ids=[x[1][:40] for x in SEED_INTERVENTIONS])
def test_seed_intervention_names(page: str, name: str, type_word: str | None, expected: set[str],
                                 unexpected: set[str]) -> None:
    assert name in (EXAMPLES_DIR / page).read_text(encoding="utf-8"), f"{page} no longer says {name!r}"
    got = intervention_concepts(name, type_word)
    reached = reach(got)
    assert expected <= reached, f"{name!r} reached {sorted(reached)}"
    assert not unexpected & reached


SEED_CONDITIONS = [
    ("medpath_NCT05522582.txt", "Solid Tumors", {"solid-tumors", "neoplasms"}),
    ("ctgov-text_NCT05906329.txt", "Lung Neoplasms", {"lung-neoplasms", "neoplasms"}),
    ("ctgov-text_NCT05906329.txt", "Cancer Patients", {"neoplasms"}),
    ("veeva_esophageal-radiotherapy.txt", "Esophageal Neoplasm Metastatic",
     {"esophageal-neoplasms", "neoplasm-metastasis", "neoplasms"}),
    ("veeva_esophageal-radiotherapy.txt", "Esophageal Cancer Stage IVb", {"esophageal-neoplasms", "neoplasms"}),
    ("summary_NCT05305885.txt", "leptomeningeal metastases", {"leptomeningeal-metastases", "meningeal-neoplasms"}),
    ("summary_NCT05305885.txt", "non-small-cell lung cancer", {"nsclc", "lung-neoplasms"}),
]


@pytest.mark.parametrize("page,name,expected", SEED_CONDITIONS, ids=[x[1] for x in SEED_CONDITIONS])
def test_seed_condition_names(page: str, name: str, expected: set[str]) -> None:
    assert name in (EXAMPLES_DIR / page).read_text(encoding="utf-8"), f"{page} no longer says {name!r}"
    assert expected <= reach(condition_concepts(name))


def test_the_two_esophageal_seed_conditions_meet() -> None:
    a = reach(condition_concepts("Esophageal Neoplasm Metastatic"))
    b = reach(condition_concepts("Esophageal Cancer Stage IVb"))
    assert "esophageal-neoplasms" in a & b


def test_regimen_string_names_each_drug_once_in_reading_order() -> None:
    got = keys(intervention_concepts(TP_PF, "Drug"))
    assert got == ["regimen/tp", "drug/paclitaxel", "drug/cisplatin", "drug/carboplatin", "regimen/pf",
                   "fluoropyrimidine"]


# --- real CT.gov names ------------------------------------------------------------------------------


def test_pembrolizumab_reaches_pd1_and_checkpoint_inhibitors() -> None:
    got = intervention_concepts("Pembrolizumab", "DRUG")
    assert keys(got) == ["drug/pembrolizumab"]
    assert got[0].curated
    assert DRUGBANK + "DB09037" in got[0].exact_matches
    assert {"pd-1-inhibitor", "immune-checkpoint-inhibitor"} <= reach(got)


def test_brand_name_from_the_dictionary_resolves_to_the_curated_drug() -> None:
    assert keys(intervention_concepts("Keytruda", "DRUG")) == ["drug/pembrolizumab"]
    assert keys(intervention_concepts("MK-3475", "DRUG")) == ["drug/pembrolizumab"]


@pytest.mark.parametrize("name", ["Placebo", "Placebo Oral Tablet", "Matching placebo", "Placebos"])
def test_placebo(name: str) -> None:
    assert keys(intervention_concepts(name, "DRUG")) == ["placebo"]


@pytest.mark.parametrize("name", ["Placebo matching Spesolimab Formulation 1", "Placebo for Tamsulosin",
                                  "sildenafil matching placebo",
                                  "matching placebo sacubitril/valsartan (LCZ696)", "Placebo Semaglutide"])
def test_a_placebo_shaped_like_a_drug_is_not_that_drug(name: str) -> None:
    assert keys(intervention_concepts(name, "DRUG")) == ["placebo"]


def test_placebo_given_with_a_drug_keeps_the_drug() -> None:
    assert keys(intervention_concepts("Placebo + paclitaxel", "DRUG")) == ["placebo", "drug/paclitaxel"]


@pytest.mark.parametrize("name,expected", [
    ("Stereotactic body radiation therapy", "sbrt"),
    ("SBRT", "sbrt"),
    ("Stereotactic ablative radiotherapy", "sbrt"),
    ("Intensity-Modulated Radiation Therapy", "imrt"),
    ("Proton Beam Therapy", "proton-therapy"),
    ("High dose rate brachytherapy", "brachytherapy"),
    ("Whole brain radiotherapy (WBRT)", "whole-brain-radiotherapy"),
    ("Proton Cranio-spinal Irradiation", "craniospinal-irradiation"),
    ("Concurrent chemoradiotherapy", "chemoradiotherapy"),
    ("Hypofractionated radiation therapy", "hypofractionated-radiotherapy"),
])
def test_kinds_of_radiotherapy_sit_under_radiotherapy(name: str, expected: str) -> None:
    got = intervention_concepts(name, "Radiation")
    assert expected in keys(got)
    assert "radiotherapy" in reach(got)


def test_bare_radiation_counts_only_under_a_radiation_type_word() -> None:
    assert keys(intervention_concepts("Radiation", "Radiation")) == ["radiotherapy"]
    # Under another type word it is only the MeSH heading "Radiation" (the physical agent).
    assert "radiotherapy" not in reach(intervention_concepts("Radiation", "Other"))
    # A named kind is enough: no extra generic radiotherapy link beside it.
    assert keys(intervention_concepts("Radiation by SBRT", "RADIATION")) == ["sbrt"]


def test_light_irradiation_is_not_radiotherapy() -> None:
    for name in ("UV irradiation", "Far Infrared Radiation", "Low level laser therapy"):
        reached = reach(intervention_concepts(name, "Radiation"))
        assert "radiotherapy" not in reached, name


def test_regimen_acronyms_reach_their_drugs() -> None:
    folfox = reach(intervention_concepts("mFOLFOX6 + bevacizumab", "Drug"))
    assert {"regimen/folfox", "drug/fluorouracil", "drug/leucovorin", "drug/oxaliplatin"} <= folfox
    assert "drug/bevacizumab" in folfox  # from the dictionary
    assert {"drug/capecitabine", "drug/oxaliplatin"} <= reach(intervention_concepts("CAPOX", "Drug"))
    assert {"drug/s-1", "drug/oxaliplatin", "fluoropyrimidine"} <= reach(intervention_concepts("S-1 plus oxaliplatin"))


@pytest.mark.parametrize("name", ["PF-06651600", "TP53 mutation testing", "GP visit", "SOX2 expression",
                                  "Arm XP", "S1P receptor modulator trial"])
def test_short_acronyms_need_the_exact_form_and_context(name: str) -> None:
    assert not any(k.startswith("regimen/") or k == "drug/s-1" for k in keys(intervention_concepts(name)))


def test_dictionary_drug_the_vocabulary_lacks_becomes_a_dynamic_concept_under_its_class() -> None:
    got = intervention_concepts("Olaparib 300 mg tablets", "Drug")
    # no MeSH descriptor: its supplementary concept (C531550, data/mesh_scr.tsv.gz) instead
    assert got == [Concept("drug/olaparib", "olaparib", (DRUGBANK + "DB09074", MESH + "C531550"), ("parp-inhibitor",),
                           curated=False)]


def test_salt_forms_reach_the_parent_drug() -> None:
    got = intervention_concepts("Sildenafil citrate", "Drug")
    assert keys(got) == ["drug/sildenafil"]
    assert got[0].broader[0] == "pde5-inhibitor"
    # MeSH files sildenafil under its salt heading "Sildenafil Citrate" (CT.gov: D000068677).
    assert got[0].exact_matches == (MESH + "D000068677", DRUGBANK + "DB00203")
    assert keys(intervention_concepts("Sildenafil", "Drug")) == ["drug/sildenafil"]


def test_mesh_ids_come_from_the_label_table_not_the_drug_dictionary() -> None:
    # The dictionary says D064804 (Urological Agents) for tadalafil; CT.gov indexes D000068581.
    got = intervention_concepts("Tadalafil", "Drug")
    assert keys(got) == ["drug/tadalafil"]
    assert MESH + "D000068581" in got[0].exact_matches
    assert all(MESH + "D064804" != m for c in got for m in c.exact_matches)


@pytest.mark.parametrize("name", ["Questionnaire", "Standard diet", "Interview", "Blood sample collection",
                                  "Surgery", "Walking program", "Renova", "Unconstrained Biomet Zimmer Mobi-C"])
def test_ordinary_words_give_no_concept(name: str) -> None:
    assert intervention_concepts(name, "Other") == []


@pytest.mark.parametrize(("name", "mesh_id"), [("Exercise", "D015444"), ("Music therapy", "D009147"),
                                               ("Health education", "D006266"), ("Water", "D014867")])
def test_a_whole_name_that_is_a_mesh_heading_is_that_heading(name: str, mesh_id: str) -> None:
    assert [c.mesh_ids for c in intervention_concepts(name, "Other")] == [(mesh_id,)]


@pytest.mark.parametrize(("name", "mesh_id"), [("Heart Failure", "D006333"), ("Erectile Dysfunction", "D007172"),
                                               ("Impotence", "D007172"), ("Asthma", "D001249")])
def test_non_cancer_conditions_resolve_to_mesh_descriptors(name: str, mesh_id: str) -> None:
    assert [c.key for c in condition_concepts(name)] == [f"mesh/{mesh_id}"]


def test_names_that_are_no_disease_give_no_condition_concept() -> None:
    for name in ("Healthy Volunteers", "Healthy", "Quality of life questionnaire"):
        assert condition_concepts(name) == [], name


def test_inverted_mesh_style_condition_names() -> None:
    assert keys(condition_concepts("Cancer, Lung")) == ["lung-neoplasms"]
    assert keys(condition_concepts("Carcinoma, Non-Small-Cell Lung")) == ["nsclc"]


def test_doses_routes_and_formulations_are_ignored() -> None:
    for name in ("Methotrexate tablets 5 mg", "methotrexate 7.5mg orally once weekly", "MTX", "Methotrexate Injection"):
        assert keys(intervention_concepts(name, "Drug")) == ["drug/methotrexate"], name
    text = prepare("Paclitaxel 175 mg/m2 IV infusion")
    assert [t.text for t in intervention_tokens(text)] == ["paclitaxel"]


def test_case_hyphens_and_digits_do_not_matter() -> None:
    for name in ("anti-PD1 antibody", "Anti PD-1 antibody", "ANTI-PD-1 ANTIBODY", "PD1 inhibitors"):
        assert keys(intervention_concepts(name, "Drug")) == ["pd-1-inhibitor"], name
    assert keys(intervention_concepts("PD-L1 inhibitor")) == ["pd-l1-inhibitor"]


def test_results_are_cached_and_independent_copies() -> None:
    a = intervention_concepts("Cisplatin", "Drug")
    a.clear()
    assert keys(intervention_concepts("Cisplatin", "Drug")) == ["drug/cisplatin"]


# --- the vocabulary file ---------------------------------------------------------------------------


def test_vocabulary_is_well_formed() -> None:
    v = vocabulary()
    assert len(v.entries) >= 100
    assert {e.scheme for e in v.entries.values()} == {INTERVENTIONS, CONDITIONS}
    for e in v.entries.values():
        assert e.labels, f"{e.key} has no labels to match"
        for m in e.exact_matches:
            assert re.fullmatch(r"http://id\.nlm\.nih\.gov/mesh/D\d{6}(\d{3})?"
                                r"|https://go\.drugbank\.com/drugs/DB\d{5}", m), m
    assert v.ancestors["drug/pembrolizumab"] >= {"pd-1-inhibitor", "immune-checkpoint-inhibitor"}
    assert v.ancestors["drug/nab-paclitaxel"] >= {"drug/paclitaxel", "taxane"}


def test_vocabulary_drugbank_ids_agree_with_the_drug_dictionary() -> None:
    from drug_named_entity_recognition import drugs_finder as df

    checked = 0
    for e in vocabulary().entries.values():
        for m in e.exact_matches:
            if m.startswith(DRUGBANK):
                canon = df.drug_variant_to_canonical[e.label.lower()][0]
                assert DRUGBANK + df.drug_canonical_to_data[canon]["drugbank_id"] == m, e.key
                checked += 1
    assert checked >= 40


def test_bad_vocabulary_fails_loudly() -> None:
    head = ("@prefix skos: <http://www.w3.org/2004/02/skos/core#> . "
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
            "@base <https://w3id.org/trialgraph/concept/> . ")
    scheme = "skos:inScheme <https://w3id.org/trialgraph/vocabulary/interventions> ; "
    with pytest.raises(VocabularyError, match="'nowhere' is not in the vocabulary"):
        parse(head + f'<a> {scheme} rdfs:label "a" ; skos:altLabel "a" ; skos:broader <nowhere> .')
    with pytest.raises(VocabularyError, match="could never match"):
        parse(head + f'<a> {scheme} rdfs:label "a" ; skos:altLabel "a tablets" .')
    with pytest.raises(VocabularyError, match="skos:inScheme"):
        parse(head + '<a> rdfs:label "a" ; skos:altLabel "a" .')
    with pytest.raises(VocabularyError, match="cycle"):
        parse(head + f'<a> {scheme} rdfs:label "a" ; skos:altLabel "a" ; skos:broader <b> . '
                     f'<b> {scheme} rdfs:label "b" ; skos:altLabel "b" ; skos:broader <a> .').ancestors


@pytest.mark.corpus
def test_vocabulary_mesh_ids_name_what_the_registry_says() -> None:
    """Each MeSH id in the vocabulary that CT.gov itself attaches somewhere names that concept."""
    root = require_corpus("ctgov-v2")
    registry: dict[int, str] = {}

    def walk(o: object) -> None:
        if isinstance(o, dict):
            if isinstance(o.get("id"), str) and isinstance(o.get("term"), str) and re.fullmatch(r"D\d+", o["id"]):
                registry[int(o["id"][1:])] = o["term"]
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for p in root.rglob("*.json"):
        try:
            walk(json.loads(p.read_text(encoding="utf-8")))
        except (ValueError, UnicodeDecodeError):
            continue
    checked = []
    for e in vocabulary().entries.values():
        for m in e.exact_matches:
            if m.startswith(MESH) and int(m[len(MESH) + 1:]) in registry:
                term = registry[int(m[len(MESH) + 1:])]
                finder = intervention_concepts if e.scheme == INTERVENTIONS else condition_concepts
                head, _, tail = term.partition(", ")
                readings = [term, f"{tail} {head}"] if tail else [term]
                assert any(e.key in keys(finder(r)) for r in readings), f"{m} is {term!r} at CT.gov, not {e.key}"
                checked.append(e.key)
    assert len(checked) >= 20, checked


@pytest.mark.corpus
def test_real_intervention_names_time_per_call() -> None:
    """Every distinct CT.gov v2 intervention name in the corpus, uncached: well under a millisecond."""
    import time

    from kg.normalize import concepts

    root = require_corpus("ctgov-v2")
    names: set[tuple[str, str]] = set()
    for p in root.rglob("*.json"):
        for m in re.finditer(r'"type":\s*"([A-Z_]+)",\s*"name":\s*"((?:[^"\\]|\\.)*)"', p.read_text(encoding="utf-8",
                                                                                               errors="replace")):
            names.add((json.loads(f'"{m.group(2)}"'), m.group(1)))
    assert len(names) > 500
    intervention_concepts("warm-up: load dictionaries", "DRUG")
    concepts._interventions.cache_clear()
    start = time.perf_counter()
    linked = sum(1 for name, type_word in sorted(names) if intervention_concepts(name, type_word))
    per_call = (time.perf_counter() - start) / len(names)
    assert per_call < 0.002, f"{per_call * 1e6:.0f} us per uncached call"
    assert linked > len(names) // 4


def test_reviewed_term_lists_refuse_an_unknown_id_or_a_missing_tab(tmp_path: Path) -> None:
    """A bad line in data/*_terms.tsv fails on load, naming the file and line."""
    from kg.normalize.phrases import lengths_by_first, read_term_list
    from kg.normalize.tokens import label_tokens

    good = tmp_path / "terms.tsv"
    good.write_text("# comment\n\nglyceryl trinitrate\tD005996\nT2DM\tD003924\n", encoding="utf-8")
    table = read_term_list(good, label_tokens)
    assert table == {label_tokens("glyceryl trinitrate"): "D005996", label_tokens("T2DM"): "D003924"}
    assert lengths_by_first([("a", "b", "c"), ("a",), ("b", "c")]) == {"a": (3, 1), "b": (2,)}
    for bad_line in ("nitro D005996", "nitro\tD999999", "\tD005996"):
        bad = tmp_path / "bad_terms.tsv"
        bad.write_text(f"# ok\n{bad_line}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"bad_terms.tsv line 2: expected phrase<TAB>known MeSH id"):
            read_term_list(bad, label_tokens)
