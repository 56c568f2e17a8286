"""Query benchmark: every canned query, timed on the corpus and on a synthetic registry-size store.

    python benchmarks/queries.py [--scale 60000] [--runs 3] [--store DIR] [--keep]

1. Loads the ctgov-v2 and ctgov-xml folders of ../shared/corpus into a fresh on-disk store
   (kg.pipeline.load_paths, two worker processes) and times every canned query on it.
2. With `--scale N` (default 60000; 0 skips it) adds N synthetic trials: the corpus records again
   under new NCT ids (NCT8xxxxxxx), through the real mapper, so terms, concepts, sponsors and sites
   are shared the way a registry shares them. A third of them also report "Placebo" and a fifth
   "Radiotherapy": hub concepts that a third of the registry shares, the worst case for the
   ranking queries. Long texts (eligibility, outcomes, descriptions) are left out of the copies;
   no canned query reads them.

`--store DIR --keep` reuses DIR when it already holds a finished run (corpus plus synthetic trials,
which take minutes to build): its counts are refreshed and only the second step is timed then.
Every refresh of graph/counts (kg.counts.refresh_counts) is timed and printed too.

Prints one line per query and parameter set: rows and the median of `--runs` runs in ms. It is a
measurement, not a test: `make test` does not run it.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import loaders  # noqa: E402
from kg import canned  # noqa: E402
from kg.counts import refresh_counts  # noqa: E402
from kg.mapper import Provenance, Statements, map_trial, provenance_statements  # noqa: E402
from kg.normalize.extract import enrich  # noqa: E402
from kg.pipeline import iter_files, load_paths  # noqa: E402
from kg.record import Intervention, Trial  # noqa: E402
from kg.store import TrialStore  # noqa: E402
from kg.vocab import graph_iri  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
FOLDERS = ("ctgov-v2", "ctgov-xml")
CHUNK = 1000  # synthetic trials per document graph
PLACEBO = Intervention("Placebo", "Drug")
RADIOTHERAPY = Intervention("Radiotherapy", "Radiation")


# --- the stores --------------------------------------------------------------------------------


def corpus_records(paths: list[Path]) -> list[Trial]:
    """Every readable trial record of the folders, as the pipeline sees it."""
    out: list[Trial] = []
    for path in iter_files(paths):
        try:
            fmt = loaders.detect(path)
            out += [enrich(item) for item in fmt.read(path) if isinstance(item, Trial)]
        except (loaders.LoaderError, ValueError, OSError, UnicodeDecodeError, EOFError):
            continue
    return [t for t in out if t.nct_id]


def synthetic(base: list[Trial], n: int) -> Iterator[Trial]:
    """`n` copies of the base records under new ids, with the placebo and radiotherapy hubs."""
    for i in range(n):
        t = base[i % len(base)]
        extra = ([PLACEBO] if i % 3 == 0 else []) + ([RADIOTHERAPY] if i % 5 == 0 else [])
        yield dataclasses.replace(
            t, nct_id=f"NCT8{i:07d}", registry_id=None, secondary_ids=[], brief_summary=None,
            detailed_description=None, outcomes=[], references=[], related_trials=[],
            investigators=[], contacts=[], eligibility=dataclasses.replace(t.eligibility, criteria_text=None,
                                                                           inclusion=[], exclusion=[]),
            interventions=list(t.interventions) + extra)


def add_synthetic(store: TrialStore, base: list[Trial], n: int) -> None:
    """Map the copies with the real mapper and bulk-load them, CHUNK trials per graph."""
    out, nodes, chunk = Statements(), [], 0
    for trial in synthetic(base, n):
        nodes.append(map_trial(trial, out)[1:-1])
        if len(nodes) == CHUNK:
            _write(store, out, nodes, chunk)
            out, nodes, chunk = Statements(), [], chunk + 1
    if nodes:
        _write(store, out, nodes, chunk)
    store.optimize()


def has_synthetic(store: TrialStore, n: int) -> bool:
    """Whether a kept store already holds a finished run of `n` synthetic trials (its last one)."""
    return n > 0 and store.has_graph(graph_iri(f"https://example.org/synthetic/{(n - 1) // CHUNK}"))


def _write(store: TrialStore, out: Statements, nodes: list[str], chunk: int) -> None:
    source = f"https://example.org/synthetic/{chunk}"
    graph = graph_iri(source)
    out.lines += provenance_statements(graph, Provenance(source, "synthetic", "1", "0" * 64), nodes).lines
    store.bulk_add(out.nquads(graph).encode())


# --- parameters --------------------------------------------------------------------------------


def one(store: TrialStore, sparql: str) -> str | None:
    for row in store.query(sparql):  # type: ignore[union-attr]
        return row[0].value  # type: ignore[index]
    return None


def trial_params(store: TrialStore) -> dict[str, str]:
    """Typical trials: one with a rare drug, placebo and radiotherapy (hubs when synthetic)."""
    picks: dict[str, str] = {}
    hub = one(store, """SELECT ?t WHERE {
        ?t tg:hasIntervention <https://w3id.org/trialgraph/intervention/placebo> .
        ?t tg:hasIntervention <https://w3id.org/trialgraph/intervention/radiotherapy> .
        ?t tg:hasIntervention ?i . ?i skos:broader/skos:broader ?class .
        FILTER NOT EXISTS { ?t tg:sameTrialAs ?c } } LIMIT 1""")
    any_trial = one(store, """SELECT ?t WHERE { ?t tg:hasIntervention ?i . ?i skos:broader ?c .
        ?t tg:studiesCondition ?d . FILTER NOT EXISTS { ?t tg:sameTrialAs ?x }
        FILTER(!STRSTARTS(STR(?t), "https://w3id.org/trialgraph/trial/NCT8")) } LIMIT 1""")
    if hub:
        picks["hub"] = hub
    if any_trial:
        picks["corpus"] = any_trial
    return picks


def param_sets(store: TrialStore, q: canned.CannedQuery) -> list[tuple[str, dict[str, str]]]:
    if any(p.kind == "trial" for p in q.params):
        return [(label, {"trial": iri}) for label, iri in trial_params(store).items()]
    sets = [("defaults", {})] if not any(p.required for p in q.params) else []
    sets += [(" ".join(f"{k}={v}" for k, v in ex.items()), ex) for ex in q.examples]
    return sets


def refresh(store: TrialStore) -> None:
    """Recompute graph/counts, timed: the synthetic trials bypass load_paths, which would do it."""
    print(f"counts refreshed in {refresh_counts(store):.1f} s", flush=True)


# --- timing ------------------------------------------------------------------------------------


def time_query(store: TrialStore, q: canned.CannedQuery, params: dict[str, str], runs: int) -> tuple[int, float]:
    subs = q.bind(params)
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = sum(1 for _ in store.query(q.text, subs))  # type: ignore[union-attr]
        times.append(time.perf_counter() - started)
    return rows, statistics.median(times) * 1000


def report(store: TrialStore, title: str, runs: int) -> None:
    print(f"\n== {title}: {store.stats()['trials']} trials")
    for q in canned.queries().values():
        for label, params in param_sets(store, q):
            rows, ms = time_query(store, q, params, runs)
            flag = "  SLOW" if ms > 2000 else ""
            print(f"{q.name:36} {label[:34]:34} rows={rows:6d} {ms:9.1f} ms{flag}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=60000, help="synthetic trials to add (0: none)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--store", type=Path, help="store folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true",
                    help="with --store: reuse the store if it already holds synthetic trials")
    args = ap.parse_args()
    paths = [CORPUS / f for f in FOLDERS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"not found: {', '.join(missing)} (the corpus lives at ../shared/corpus)")
    with tempfile.TemporaryDirectory() as tmp:
        store = TrialStore(args.store or Path(tmp) / "store")
        if args.keep and args.store and has_synthetic(store, args.scale):
            refresh(store)
            report(store, f"kept store {args.store}", args.runs)
            return
        started = time.perf_counter()
        loaded = load_paths(store, paths, workers=2)
        print(f"corpus: {loaded.total('trials')} trials in {time.perf_counter() - started:.1f} s")
        refresh(store)  # load_paths made them already: timed again to show what a refresh costs
        report(store, "corpus", args.runs)
        if args.scale > 0:
            started = time.perf_counter()
            add_synthetic(store, corpus_records(paths), args.scale)
            print(f"\nsynthetic: {args.scale} trials added in {time.perf_counter() - started:.1f} s")
            refresh(store)
            report(store, f"corpus + {args.scale} synthetic trials", args.runs)


if __name__ == "__main__":
    main()
