"""MeSH descriptors offline: ids, labels and the tree hierarchy from `data/mesh.tsv.gz`.

The table is built by `kg.normalize.build_mesh` (see `data/README.md`). A descriptor's parents
are the descriptors at its tree numbers with the last segment removed; where the table holds no
descriptor at that number (tree numbers are known for drugs and diseases only), the walk goes on
up, so the hierarchy skips a missing level instead of breaking.

One node per descriptor: a curated vocabulary concept that states `skos:exactMatch` to the
descriptor *is* that descriptor's node (so "Breast Neoplasms" from MeSH and the curated
`breast-neoplasms` meet), every other descriptor is `concept/mesh/<id>`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kg.text import mesh_descriptor_id
from kg.vocab import MESH

TABLE_FILE = Path(__file__).resolve().parent / "data" / "mesh.tsv.gz"
KEY_PREFIX = "mesh/"


class MeshTableError(ValueError):
    """The packaged MeSH table is missing or malformed."""


@dataclass(frozen=True)
class MeshTable:
    labels: dict[str, str]  # id -> preferred label
    trees: dict[str, tuple[str, ...]]  # id -> tree numbers
    by_tree: dict[str, str]  # tree number -> id
    by_label: dict[str, str]  # case-folded preferred label -> id


def _parse(lines: list[str]) -> MeshTable:
    labels: dict[str, str] = {}
    trees: dict[str, tuple[str, ...]] = {}
    for n, line in enumerate(lines, 1):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3 or not parts[0].startswith("D") or not parts[1]:
            raise MeshTableError(f"{TABLE_FILE.name} line {n}: expected id<TAB>label<TAB>trees, got {line!r}")
        mesh_id, label, tree_field = parts
        labels[mesh_id] = label
        if tree_field:
            trees[mesh_id] = tuple(tree_field.split(","))
    by_tree = {t: mesh_id for mesh_id, ts in trees.items() for t in ts}
    by_label = {label.casefold(): mesh_id for mesh_id, label in labels.items()}
    return MeshTable(labels, trees, by_tree, by_label)


@cache
def table() -> MeshTable:
    """The descriptor table, read once per process (about 0.2 s)."""
    if not TABLE_FILE.exists():
        raise MeshTableError(f"no MeSH table at {TABLE_FILE}: run python -m kg.normalize.build_mesh")
    with gzip.open(TABLE_FILE, "rt", encoding="utf-8") as fh:
        return _parse(fh.readlines())


def iri(mesh_id: str) -> str:
    return MESH + mesh_id


def id_from_iri(value: str) -> str | None:
    """The descriptor id of an id.nlm.nih.gov IRI (NLM form), else None."""
    if not value.startswith(MESH):
        return None
    return mesh_descriptor_id(value[len(MESH):])


def label(mesh_id: str) -> str | None:
    return table().labels.get(mesh_id)


def by_label(text: str) -> str | None:
    """The descriptor whose preferred label is exactly this text (ignoring case)."""
    return table().by_label.get(text.strip().casefold())


def _parent_tree(tree: str) -> str | None:
    head, sep, _ = tree.rpartition(".")
    return head if sep else None


@cache
def parents(mesh_id: str) -> tuple[str, ...]:
    """Nearest descriptors above this one, one walk per tree number, missing levels skipped."""
    t = table()
    found: dict[str, None] = {}
    for tree in t.trees.get(mesh_id, ()):
        up = _parent_tree(tree)
        while up is not None and up not in t.by_tree:
            up = _parent_tree(up)
        if up is not None and t.by_tree[up] != mesh_id:
            found[t.by_tree[up]] = None
    return tuple(sorted(found))


@cache
def ancestors(mesh_id: str) -> frozenset[str]:
    """Every descriptor above this one (transitively)."""
    out: set[str] = set()
    for p in parents(mesh_id):
        out |= {p} | ancestors(p)
    return frozenset(out)


@cache
def has_children(mesh_id: str) -> bool:
    """True when some descriptor in the table sits directly below this one: a group, not a leaf."""
    t = table()
    return any(tree + "." in prefix_set() for tree in t.trees.get(mesh_id, ()))


@cache
def prefix_set() -> frozenset[str]:
    """Every parent tree number (with its trailing dot) that has a child in the table."""
    out: set[str] = set()
    for ts in table().trees.values():
        for tree in ts:
            up = _parent_tree(tree)
            if up is not None:
                out.add(up + ".")
    return frozenset(out)


def tree_branches(mesh_id: str) -> frozenset[str]:
    """Top-level letters+digits of the descriptor's trees ("C04", "D03"): what kind of thing it is."""
    return frozenset(tree[:3] for tree in table().trees.get(mesh_id, ()))
