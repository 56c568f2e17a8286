"""The `trialgraph` command: load, query, canned queries, export, stats, as a user runs them.

Expected counts come from the pipeline's own report on the same files (loaded into a separate
in-memory store), so the tests check that the CLI reports and stores what the pipeline did.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner, Result
from rdflib.compare import isomorphic

from kg import canned
from kg.cli import main
from kg.pipeline import LoadReport, load_paths
from kg.store import TrialStore
from tests.conftest import run_canned

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"

SUMMARY = re.compile(r"^(\d+) files: (\d+) loaded, (\d+) skipped, (\d+) failed; (\d+) trials, (\d+) triples, "
                     r"(\d+) errors, (\d+) warnings; [\d.]+ trials/s in [\d.]+ s$", re.M)
TRIALS_QUERY = "SELECT ?t ?title WHERE { ?t a tg:Trial ; rdfs:label ?title } ORDER BY ?t"


def run(store: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--store", str(store), *args], input=input)


def summary(output: str) -> dict[str, int]:
    m = SUMMARY.search(output)
    assert m, f"no summary line in {output!r}"
    keys = ("files", "loaded", "skipped", "failed", "trials", "triples", "errors", "warnings")
    return dict(zip(keys, map(int, m.groups())))


@pytest.fixture(scope="module")
def reference() -> LoadReport:
    """What the pipeline itself makes of examples/."""
    return load_paths(TrialStore(in_memory=True), [EXAMPLES_DIR])


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, reference: LoadReport) -> tuple[Path, Result]:
    store = tmp_path_factory.mktemp("cli") / "store"
    result = run(store, "load", str(EXAMPLES_DIR))
    return store, result


@pytest.fixture(scope="module")
def store(loaded: tuple[Path, Result]) -> Path:
    return loaded[0]


@pytest.fixture(scope="module")
def trial_ids(store: Path) -> list[str]:
    rows = TrialStore(store, read_only=True).query("SELECT ?id WHERE { ?t tg:nctId ?id } ORDER BY ?id")
    ids = [r["id"].value for r in rows]
    assert ids, "no seed page with an NCT id loaded"
    return ids


# --- load ---------------------------------------------------------------------------------------


def test_load_reports_what_the_pipeline_did(loaded: tuple[Path, Result], reference: LoadReport) -> None:
    store, result = loaded
    got = summary(result.stdout)
    assert got["files"] == len(reference.files) == len(list(EXAMPLES_DIR.iterdir()))
    assert got["loaded"] == reference.count("loaded") >= 1
    assert got["failed"] == reference.count("failed")
    assert got["trials"] == reference.total("trials")
    assert got["triples"] == reference.total("triples")
    assert got["errors"] == len(reference.errors)
    assert result.exit_code == (1 if reference.failed else 0), result.output
    for f in reference.failed:  # one line each, naming the file
        assert sum(str(f.path) in line for line in result.stderr.splitlines()) == 1
    stats = json.loads(run(store, "stats", "--json").stdout)
    assert stats["trials"] == reference.total("trials")
    assert stats["documents"] == reference.count("loaded")


def test_load_again_skips_every_loaded_file(loaded: tuple[Path, Result], reference: LoadReport) -> None:
    store, _ = loaded
    before = json.loads(run(store, "stats", "--json").stdout)
    again = summary(run(store, "load", str(EXAMPLES_DIR)).stdout)
    assert again["loaded"] == 0 and again["trials"] == 0
    assert again["skipped"] == reference.count("loaded")
    assert json.loads(run(store, "stats", "--json").stdout) == before


def test_bad_files_get_one_line_each_and_the_good_one_loads(tmp_path: Path, reference: LoadReport) -> None:
    good = next(f.path for f in reference.files if f.status == "loaded")
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(good, folder / good.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.txt").write_text("Shopping list:\n- eggs\n- flour\nCall Anna on Tuesday.\n")
    result = run(tmp_path / "store", "load", str(folder))
    assert result.exit_code == 1
    got = summary(result.stdout)
    assert (got["files"], got["loaded"], got["failed"]) == (3, 1, 2)
    assert got["trials"] == next(f.trials for f in reference.files if f.path == good)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2, result.stderr
    assert any("empty.txt" in e and "empty" in e.split("empty.txt", 1)[1] for e in errors)
    assert any("notes.txt" in e for e in errors)
    assert "Traceback" not in result.output


def test_load_as_a_real_process(tmp_path: Path, reference: LoadReport) -> None:
    """`python -m kg` from a shell, as `make load` runs it, with the store given by environment."""
    env = {**os.environ, "TRIALGRAPH_STORE": str(tmp_path / "envstore")}
    proc = subprocess.run([sys.executable, "-m", "kg", "load", "examples/"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == (1 if reference.failed else 0), proc.stderr
    got = summary(proc.stdout)
    assert got["loaded"] == reference.count("loaded")
    assert got["trials"] == reference.total("trials")
    assert "Traceback" not in proc.stderr
    stats = subprocess.run([sys.executable, "-m", "kg", "--store", str(tmp_path / "envstore"), "stats"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert stats.returncode == 0, stats.stderr
    assert re.search(rf"^trials\s+{reference.total('trials')}$", stats.stdout, re.M)


# --- query --------------------------------------------------------------------------------------


def _reference_rows(store: Path) -> list[tuple[str, str]]:
    rows = TrialStore(store, read_only=True).query(TRIALS_QUERY)
    return [(r["t"].value, r["title"].value) for r in rows]


def test_query_json_is_standard_sparql_results(store: Path) -> None:
    result = run(store, "query", "--format", "json", TRIALS_QUERY)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["head"]["vars"] == ["t", "title"]
    rows = [(b["t"]["value"], b["title"]["value"]) for b in doc["results"]["bindings"]]
    assert rows == _reference_rows(store)
    assert all(b["t"]["type"] == "uri" for b in doc["results"]["bindings"])


def test_query_csv_tsv_xml_and_table(store: Path) -> None:
    expected = _reference_rows(store)
    out = run(store, "query", "--format", "csv", TRIALS_QUERY).stdout
    assert [tuple(r) for r in csv.reader(io.StringIO(out))] == [("t", "title"), *expected]
    out = run(store, "query", "--format", "tsv", TRIALS_QUERY).stdout
    assert out.splitlines()[0] == "?t\t?title"
    assert len(out.splitlines()) == len(expected) + 1
    root = ET.fromstring(run(store, "query", "--format", "xml", TRIALS_QUERY).stdout)
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert [e.text for e in root.iter(f"{ns}uri")] == [t for t, _ in expected]
    table = run(store, "query", TRIALS_QUERY).stdout  # the default for SELECT
    lines = table.splitlines()
    assert lines[0].split() == ["t", "title"] and set(lines[1]) <= {"-", " "}
    assert lines[-1] == f"({len(expected)} rows)"
    for iri, _ in expected:
        assert iri in table


def test_ask_and_construct_defaults(store: Path, trial_ids: list[str]) -> None:
    assert run(store, "query", "ASK { ?t a tg:Trial }").stdout.strip() == "yes"
    construct = "CONSTRUCT { ?t rdfs:label ?l } WHERE { ?t a tg:Trial ; rdfs:label ?l }"
    result = run(store, "query", construct)
    assert result.exit_code == 0
    g = rdflib.Graph().parse(data=result.stdout, format="turtle")  # the default for CONSTRUCT
    assert len(g) == len(_reference_rows(store))
    for fmt, parser in (("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")):
        out = run(store, "query", "--format", fmt, construct)
        assert out.exit_code == 0, out.output
        assert isomorphic(rdflib.Graph().parse(data=out.stdout, format=parser), g)


def test_query_from_file_and_stdin(store: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.rq"
    qfile.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?t a tg:Trial }", encoding="utf-8")
    n = len(_reference_rows(store))
    by_file = run(store, "query", "--format", "csv", "--file", str(qfile))
    assert by_file.stdout.splitlines() == ["n", str(n)]
    by_stdin = run(store, "query", "--format", "csv", "--file", "-", input=qfile.read_text())
    assert by_stdin.stdout == by_file.stdout


@pytest.mark.parametrize("args, message", [
    (["SELEC ?x WHERE { ?x ?y ?z }"], "bad query"),
    (["--format", "csv", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"], "format 'csv'"),
    (["--format", "turtle", "SELECT * WHERE { ?s ?p ?o }"], "format 'turtle'"),
    ([], "give a query"),
])
def test_bad_queries_give_one_line_and_status_2(store: Path, args: list[str], message: str) -> None:
    result = run(store, "query", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_reading_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    for args in (["query", "ASK {}"], ["stats"], ["export"], ["queries", "run", "sponsors"]):
        result = run(missing, *args)
        assert result.exit_code == 2, args
        assert f"no store at {missing}" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not missing.exists()  # reading never creates a store


# --- canned queries ---------------------------------------------------------------------------


def test_queries_list_names_every_query_and_its_parameters(store: Path) -> None:
    result = run(store, "queries", "list")
    assert result.exit_code == 0
    found = canned.queries()
    assert found, "no canned queries in queries/"
    for q in found.values():
        assert f"{q.name}: {q.summary}" in result.stdout
        for p in q.params:
            assert f"-p {p.name}=<{p.kind}>" in result.stdout
    listed = json.loads(run(store, "queries", "list", "--json").stdout)
    assert [q["name"] for q in listed] == list(found)


def test_queries_run_binds_parameters(store: Path, trial_ids: list[str]) -> None:
    q = canned.get("trial-summary")
    assert [p.name for p in q.params if p.required] == ["trial"]
    for tid in trial_ids:
        result = run(store, "queries", "run", "trial-summary", "-p", f"trial={tid}", "--format", "json")
        assert result.exit_code == 0, result.output
        values = {b[v]["value"] for b in json.loads(result.stdout)["results"]["bindings"] for v in b}
        assert tid in values
        assert not any(other in values for other in trial_ids if other != tid)


@pytest.mark.parametrize("args, message", [
    (["trial-summary"], "needs parameter 'trial'"),
    (["trial-summary", "-p", "trial=NCT1 OR 1=1 }"], "neither a trial id nor an IRI"),
    (["trial-summary", "-p", "nope=1"], "unknown parameter(s) nope"),
    (["trial-summary", "-p", "trial"], "not KEY=VALUE"),
    (["no-such-query"], "no canned query 'no-such-query'"),
])
def test_queries_run_errors(store: Path, args: list[str], message: str) -> None:
    result = run(store, "queries", "run", *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, parser", [("turtle", "turtle"), ("ntriples", "nt"), ("nquads", "nquads"),
                                         ("trig", "trig"), ("jsonld", "json-ld")])
def test_export_every_format_parses_back(store: Path, tmp_path: Path, fmt: str, parser: str) -> None:
    out = tmp_path / f"all.{fmt}"
    result = run(store, "export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    ds = rdflib.Dataset()
    ds.parse(out, format=parser)
    statements = {(s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))}
    reference = TrialStore(store, read_only=True)
    assert len(statements) == len({q.triple for q in reference.ox})
    assert run(store, "export", "--format", fmt).stdout_bytes == out.read_bytes()  # stdout = file


def test_export_trials(store: Path, trial_ids: list[str]) -> None:
    one = run(store, "export", "--trial", trial_ids[0])
    assert one.exit_code == 0
    g = rdflib.Graph().parse(data=one.stdout, format="turtle")
    tg = rdflib.Namespace("https://w3id.org/trialgraph/ontology#")
    assert set(g.subjects(rdflib.RDF.type, tg.Trial)) == {
        rdflib.URIRef(f"https://w3id.org/trialgraph/trial/{trial_ids[0]}")}
    if len(trial_ids) > 1:
        two = run(store, "export", "--format", "ntriples", "--trial", trial_ids[0], "--trial", trial_ids[1])
        g2 = rdflib.Graph().parse(data=two.stdout, format="nt")
        assert len(set(g2.subjects(rdflib.RDF.type, tg.Trial))) == 2


def test_export_unknown_trial_writes_nothing(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.ttl"
    result = run(store, "export", "--trial", "NCT00000000", "-o", str(out))
    assert result.exit_code == 2
    assert "NCT00000000" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


# --- stats and serve ----------------------------------------------------------------------------


def test_derive_rebuilds_a_missing_counts_graph(tmp_path: Path) -> None:
    """A store without graph/counts (written by an older version): `derive` brings it back, and
    sites-by-country answers again."""
    from kg.counts import COUNTS_GRAPH

    path = tmp_path / "store"
    assert run(path, "load", str(EXAMPLES_DIR)).exit_code == 0
    s = TrialStore(path)
    want = run_canned(s, "sites-by-country")
    assert want
    s.drop_graph(COUNTS_GRAPH)
    assert run_canned(s, "sites-by-country") == []
    s.flush()
    del s
    result = run(path, "derive")
    assert result.exit_code == 0 and "counts refreshed" in result.stdout
    s = TrialStore(path, read_only=True)
    assert s.has_graph(COUNTS_GRAPH)
    assert run_canned(s, "sites-by-country") == want


def test_stats_lines_and_json_agree(store: Path) -> None:
    as_json = json.loads(run(store, "stats", "--json").stdout)
    lines = dict(line.split() for line in run(store, "stats").stdout.splitlines())
    assert {k: int(v) for k, v in lines.items()} == as_json
    ref = TrialStore(store, read_only=True)
    assert as_json["quads"] == len(ref.ox)
    assert as_json["trials"] == len(_reference_rows(store))


def test_serve_without_a_store_is_a_clear_error(tmp_path: Path) -> None:
    result = run(tmp_path / "none", "serve", "--port", "5999")
    assert result.exit_code == 2
    assert "no store at" in result.stderr


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(main, ["--help"]).stdout
    for name in ("load", "query", "queries", "export", "serve", "stats"):
        assert re.search(rf"^\s+{name}\s", out, re.M), name
