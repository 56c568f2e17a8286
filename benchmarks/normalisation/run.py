"""Normalisation quality against ClinicalTrials.gov's own MeSH terms (see README.md beside this file).

    python benchmarks/normalisation/run.py [--corpus PATH] [--misses 15]

Prints recall and precision for interventions and conditions on each half of the corpus (split by
NCT-id hash: A tuned on, B held out) and overall, the most frequent misses and false hits, and the
normaliser's speed per uncached call.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kg.normalize import benchmark, concepts, mesh  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "ctgov-v2"


def speed(studies: list[benchmark.Study]) -> str:
    """Microseconds per uncached call over every distinct name (dictionaries already loaded)."""
    ivs = sorted({iv for s in studies for iv in s.interventions}, key=lambda x: (x[0], x[1] or ""))
    conds = sorted({c for s in studies for c in s.conditions})
    concepts.intervention_concepts("warm up", "DRUG")
    concepts.condition_concepts("warm up")
    concepts._interventions.cache_clear()
    concepts._conditions.cache_clear()
    concepts._name_heading.cache_clear()
    t0 = time.perf_counter()
    for name, type_word in ivs:
        concepts.intervention_concepts(name, type_word)
    t1 = time.perf_counter()
    for name in conds:
        concepts.condition_concepts(name)
    t2 = time.perf_counter()
    return (f"speed (cache miss): interventions {(t1 - t0) / max(len(ivs), 1) * 1e6:.0f} us/name "
            f"({len(ivs)} names), conditions {(t2 - t1) / max(len(conds), 1) * 1e6:.0f} us/name ({len(conds)} names)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--misses", type=int, default=15, help="how many misses / false hits to list")
    args = ap.parse_args()
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    studies = benchmark.corpus_studies(args.corpus)
    print(f"{len(studies)} distinct CT.gov v2 studies under {args.corpus}")
    for kind in (benchmark.INTERVENTIONS, benchmark.CONDITIONS):
        print(f"\n== {kind} (reported names{' and other names' if kind == benchmark.INTERVENTIONS else ''}; "
              "gold = CT.gov descriptor leaves)")
        overall = scr = None
        for name, part in benchmark.halves(studies):  # the last part is "all"
            overall = benchmark.score(part, kind)
            print(f"  {name:13} {overall.line()}")
            print(f"  {'':13} {overall.breakdown()}")
            if kind == benchmark.INTERVENTIONS:
                scr = benchmark.score_supplementary(part)
                print(f"  {'':13} {benchmark.supplementary_line(scr)}")
        if overall and args.misses:
            print("  most frequent misses (CT.gov leaf not produced):")
            for leaf, n in overall.misses.most_common(args.misses):
                print(f"    {n:4}  {leaf}")
            print("  most frequent false hits (produced, not a CT.gov leaf):")
            for mesh_id, n in overall.extras.most_common(args.misses):
                print(f"    {n:4}  {mesh_id} {mesh.label(mesh_id)}")
        if scr and args.misses:
            print("  supplementary concepts: most frequent misses / false hits (C ids):")
            for leaf, n in scr.misses.most_common(args.misses):
                print(f"    {n:4}  miss {leaf}")
            for scr_id, n in scr.extras.most_common(args.misses):
                print(f"    {n:4}  false {scr_id} {mesh.scr_name(scr_id)}")
    print()
    print(speed(studies))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
