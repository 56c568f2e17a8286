"""MeSH Supplementary Concept Records (C ids): the build script, the lookup, drug linking and the
benchmark's C-id line.

Every C id asserted for a real drug name is the id NLM's record has in the packaged table
(`data/mesh_scr.tsv.gz`, built from gilda's copy of MeSH); the table test checks the same ids
from the file itself, so a rebuild that moved them fails there first.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kg.normalize import benchmark, build_scr, drugs, intervention_concepts, mesh
from kg.vocab import MESH

# (gilda row kind, raw id, MeSH name): a tiny hand-made copy of gilda's layout.
GILDA_ROWS = [
    ("CHEBI", "C579720", "venetoclax"),
    ("CHEBI", "C000500026", "palbociclib"),  # padded as CT.gov pads: stored as C500026
    ("CHEBI", "C000588428", "first nine-digit record"),
    ("DOID", "C535718", "Dubowitz syndrome"),
    ("HGNC", "C000020", "some  protein"),  # two spaces: stored as one
    ("CHEBI", "D008727", "Methotrexate"),  # a descriptor row: skipped
]


def gilda_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(f"MESH\t{i}\t{name}\t{db}\t{db}:1\t{name}\n" for db, i, name in rows), encoding="utf-8")
    return path


def table_rows(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh]


# --- build script ----------------------------------------------------------------------------------


def test_build_writes_nlm_ids_names_and_kinds_in_numeric_order(tmp_path: Path) -> None:
    src = gilda_file(tmp_path / "mesh_mappings.tsv", GILDA_ROWS)
    out = tmp_path / "scr.tsv.gz"
    assert build_scr.build([src], out, min_records=1) == 5
    assert table_rows(out) == [
        ["C000020", "some protein", "protein"],
        ["C500026", "palbociclib", "chemical"],
        ["C535718", "Dubowitz syndrome", "disease"],
        ["C579720", "venetoclax", "chemical"],
        ["C000588428", "first nine-digit record", "chemical"],
    ]


def test_build_is_deterministic_and_merges_files(tmp_path: Path) -> None:
    main = gilda_file(tmp_path / "main.tsv", GILDA_ROWS[:2])
    ambig = gilda_file(tmp_path / "ambig.tsv", [("EFO", "C012345", "tempol"), ("GO", "C579720", "venetoclax")])
    first, second = tmp_path / "a.gz", tmp_path / "b.gz"
    build_scr.build([main, ambig], first, min_records=1)
    build_scr.build([main, ambig], second, min_records=1)
    assert first.read_bytes() == second.read_bytes()
    # same name in both files: one record, the first file's kind
    assert table_rows(first) == [["C012345", "tempol", "other"], ["C500026", "palbociclib", "chemical"],
                                 ["C579720", "venetoclax", "chemical"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("C579720\tvenetoclax\n", "expected MESH"),  # not gilda's six columns
        ("MESH\tC579720\tvenetoclax\tCHEBI\tCHEBI:1\n", "expected MESH"),
        ("MESH\tX12\tvenetoclax\tCHEBI\tCHEBI:1\tv\n", "no MeSH id"),
        ("MESH\tC579720\t \tCHEBI\tCHEBI:1\tv\n", "no MeSH id"),
        ("MESH\tC579720\tvenetoclax\tCHEBI\tCHEBI:1\tv\nMESH\tC579720\tABT-199\tCHEBI\tCHEBI:2\tv\n", "named both"),
    ],
)
def test_build_rejects_a_file_of_another_shape(tmp_path: Path, text: str, message: str) -> None:
    src = tmp_path / "bad.tsv"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(build_scr.BuildError, match=message):
        build_scr.build([src], tmp_path / "out.gz", min_records=1)
    assert not (tmp_path / "out.gz").exists()


def test_build_rejects_a_conflict_across_files_and_a_short_file(tmp_path: Path) -> None:
    a = gilda_file(tmp_path / "a.tsv", [("CHEBI", "C579720", "venetoclax")])
    b = gilda_file(tmp_path / "b.tsv", [("CHEBI", "C579720", "ABT-199")])
    with pytest.raises(build_scr.BuildError, match="named both"):
        build_scr.build([a, b], tmp_path / "out.gz", min_records=1)
    with pytest.raises(build_scr.BuildError, match="only 1 supplementary"):
        build_scr.build([a], tmp_path / "out.gz")  # the real file holds ~25k records


def test_command_line_reports_errors_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build_scr.main([]) == 2
    assert build_scr.main([str(tmp_path / "missing.tsv")]) == 1
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tname\n", encoding="utf-8")
    assert build_scr.main([str(bad)]) == 1
    assert "expected MESH" in capsys.readouterr().err


# --- the packaged table and the lookup --------------------------------------------------------------


def test_packaged_table_is_compact_and_in_nlm_form() -> None:
    assert mesh.SCR_FILE.stat().st_size < 400_000
    t = mesh.scr_table()
    assert len(t.names) > 25000
    assert all(i.startswith("C") and (len(i) == 7 or (len(i) == 10 and int(i[1:]) > 588427)) for i in t.names)
    assert set(t.kinds.values()) == {"chemical", "protein", "disease", "other"}
    rows = {r[0]: r[1:] for r in table_rows(mesh.SCR_FILE)}
    assert rows["C579720"] == ["venetoclax", "chemical"]
    assert rows["C500026"] == ["palbociclib", "chemical"]
    assert rows["C042382"] == ["fludarabine phosphate", "chemical"]
    assert rows["C535718"] == ["Dubowitz syndrome", "disease"]
    assert list(rows)[:2] == ["C000002", "C000009"]  # numeric order, six-digit ids first


def test_scr_by_name_is_exact_ignoring_case_and_spacing() -> None:
    assert mesh.scr_by_name("venetoclax") == "C579720"
    assert mesh.scr_by_name("  Fludarabine   PHOSPHATE ") == "C042382"
    assert mesh.scr_name("C042382") == "fludarabine phosphate"
    assert mesh.scr_by_name("fludarabine phosphat") is None  # no fuzzy matching
    assert mesh.scr_by_name("Methotrexate") is None  # a descriptor, not a supplementary concept
    assert mesh.scr_by_name("") is None


def test_a_name_two_records_share_names_neither() -> None:
    t = mesh._parse_scr(["C000001\tFoo\tchemical\n", "C000002\tfoo \tchemical\n", "C000003\tBar\tchemical\n"])
    assert t.by_name == {"foo": None, "bar": "C000003"}
    with pytest.raises(mesh.MeshTableError):
        mesh._parse_scr(["D000001\tCalcimycin\tchemical\n"])


def test_iris_keep_descriptors_and_supplementary_concepts_apart() -> None:
    assert mesh.scr_id_from_iri(MESH + "C000500026") == "C500026"  # CT.gov padding undone
    assert mesh.id_from_iri(MESH + "C579720") is None
    assert mesh.id_from_iri(MESH + "D008727") == "D008727"
    assert mesh.scr_id_from_iri(MESH + "D008727") is None


# --- linking ---------------------------------------------------------------------------------------


def scr_ids(name: str, type_word: str = "Drug") -> set[str]:
    return {i for c in intervention_concepts(name, type_word) for m in c.exact_matches if (i := mesh.scr_id_from_iri(m))}


@pytest.mark.parametrize(
    ("name", "scr_id", "record_name"),
    [
        ("Venetoclax", "C579720", "venetoclax"),
        ("Palbociclib 125 mg capsules", "C500026", "palbociclib"),
        ("Lorlatinib 100 mg", "C000590786", "lorlatinib"),  # a curated drug without a descriptor
        ("Osimertinib", "C000596361", "osimertinib"),
        ("avanafil and enalapril", "C553414", "avanafil"),
        ("Udenafil", "C419664", "udenafil"),
        ("BAY60-4552 + Vardenafil", "C569640", "BAY 60-4552"),  # no dictionary entry: by the record's name
    ],
)
def test_new_drugs_gain_their_supplementary_concept(name: str, scr_id: str, record_name: str) -> None:
    assert mesh.scr_name(scr_id) == record_name  # the id is the table's, not a guess
    assert scr_id in scr_ids(name)
    drug = next(c for c in intervention_concepts(name, "Drug")
                if MESH + scr_id in c.exact_matches)
    assert drug.key.startswith("drug/") and not drug.mesh_ids  # a C id is no descriptor
    assert all(m.startswith(("http://", "https://")) for m in drug.exact_matches)


def test_a_drug_with_a_descriptor_gains_no_supplementary_concept() -> None:
    (methotrexate,) = intervention_concepts("Methotrexate", "Drug")
    assert methotrexate.mesh_ids == ("D008727",)
    assert scr_ids("Methotrexate") == set()
    # Semaglutide is both a descriptor and (in older MeSH) a supplementary concept: the descriptor wins.
    assert mesh.scr_by_name("semaglutide") and scr_ids("Semaglutide Pill") == set()
    assert {i for c in intervention_concepts("Semaglutide Pill", "Drug") for i in c.mesh_ids} == {"D000099194"}


def test_no_drug_from_a_salt_word_or_a_disease_record() -> None:
    # "sodium phosphate" is a record of its own, but here it is dexamethasone's salt
    assert mesh.scr_by_name("sodium phosphate") == "C018279"
    assert scr_ids("Cervical Transforaminal Epidural Injection with dexamethasone sodium phosphate") == set()
    # rare diseases are supplementary concepts too: never a drug
    assert mesh.scr_kind(mesh.scr_by_name("Dubowitz syndrome") or "") == "disease"
    assert intervention_concepts("Dubowitz syndrome", "Other") == []
    assert drugs.scr_for_drug("Dubowitz syndrome") is None


def test_synonyms_must_name_one_record() -> None:
    assert drugs.scr_for_drug("no such drug", ("ABT-199", "venetoclax")) == "C579720"
    assert drugs.scr_for_drug("no such drug", ("venetoclax", "palbociclib")) is None
    assert drugs.scr_for_drug("Venetoclax", ("palbociclib",)) == "C579720"  # the drug's own name first


def test_placebo_shaped_like_a_new_drug_is_not_the_drug() -> None:
    assert scr_ids("Placebo matching venetoclax") == set()


# --- benchmark -------------------------------------------------------------------------------------


def test_benchmark_scores_supplementary_concepts_on_their_own_line() -> None:
    study = benchmark.Study(
        "NCT00000001",
        [("Venetoclax", "DRUG"), ("Avanafil", "DRUG"), ("Methotrexate", "DRUG")],
        [],
        {"C579720": "Venetoclax", "C024352": "Fludarabine", "D008727": "Methotrexate"},  # NLM form, as loaded
        {},
    )
    s = benchmark.score_supplementary([study])
    assert (s.studies, s.true_pos, s.false_pos, s.false_neg) == (1, 1, 1, 1)  # avanafil not listed, fludarabine missed
    assert s.supplementary == 1  # C024352 (fludarabine) is not in the offline table; venetoclax is
    line = benchmark.supplementary_line(s)
    assert "recall 0.500  precision 0.500" in line and "1 of 2 gold C ids" in line
    main = benchmark.score([study], benchmark.INTERVENTIONS)  # C ids stay out of the main score
    assert (main.true_pos, main.false_pos, main.false_neg, main.supplementary) == (1, 0, 0, 2)


@pytest.mark.corpus
def test_benchmark_supplementary_figures_on_the_corpus(ctgov_v2_studies: list[benchmark.Study]) -> None:
    for name, part in list(benchmark.halves(ctgov_v2_studies))[:2]:
        s = benchmark.score_supplementary(part)
        assert s.recall >= 0.28 and s.precision >= 0.68, (name, benchmark.supplementary_line(s))
