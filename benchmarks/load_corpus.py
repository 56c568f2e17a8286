"""Load benchmark: trials/s and peak memory for loading folders into a fresh on-disk store.

    python benchmarks/load_corpus.py [--workers 2] [--bulk] [PATH ...]

Defaults to the registry folders of ../shared/corpus (ctgov-xml and ctgov-v2). Prints one line
per run with files, trials, triples, seconds, trials/s and peak RSS of the writer and of the
worker processes.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.pipeline import load_paths  # noqa: E402
from kg.store import TrialStore  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def run(paths: list[Path], workers: int, bulk: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = TrialStore(Path(tmp) / "store")
        started = time.perf_counter()
        report = load_paths(store, paths, workers=workers, bulk=bulk)
        seconds = time.perf_counter() - started
        q0 = time.perf_counter()
        rows = list(store.query(
            "SELECT ?i (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t tg:hasIntervention ?i } GROUP BY ?i ORDER BY DESC(?n) LIMIT 10"))
        query_ms = (time.perf_counter() - q0) * 1000
        n_rows = len(rows)
        del store, rows  # RocksDB must let go of its files before the folder is removed
        gc.collect()
        return {
            "files": len(report.files),
            "failed": report.count("failed"),
            "trials": report.total("trials"),
            "triples": report.total("triples"),
            "seconds": seconds,
            "trials_per_s": report.total("trials") / seconds if seconds else 0.0,
            "top_interventions_query_ms": query_ms,
            "rows": n_rows,
            "worker_peak_mb": report.worker_peak_kib / 1024,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--bulk", action="store_true")
    args = ap.parse_args()
    paths = args.paths or [CORPUS / "ctgov-xml", CORPUS / "ctgov-v2"]
    for p in paths:
        if not p.exists():
            sys.exit(f"{p}: not found (the corpus lives at ../shared/corpus)")
    for p in paths:
        r = run([p], args.workers, args.bulk)
        print(f"{p.name}: files={r['files']} failed={r['failed']} trials={r['trials']} triples={r['triples']} "
              f"seconds={r['seconds']:.1f} trials/s={r['trials_per_s']:.0f} "
              f"top-interventions query={r['top_interventions_query_ms']:.0f} ms "
              f"worker peak RSS={r['worker_peak_mb']:.0f} MB")
    print(f"peak RSS of the writer process: {peak_mb(resource.RUSAGE_SELF):.0f} MB")


if __name__ == "__main__":
    main()
