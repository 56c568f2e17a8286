"""MeSH descriptors offline: ids, labels and the tree hierarchy from `data/mesh.tsv.gz`.

The table is built by `kg.normalize.build_mesh` (see `data/README.md`). A descriptor's parents
are the descriptors at its tree numbers with the last segment removed; where the table holds no
descriptor at that number (tree numbers are known for drugs and diseases only), the walk goes on
up, so the hierarchy skips a missing level instead of breaking.

Supplementary concept records (C ids, new drugs such as venetoclax) are not descriptors and have
no tree place: they come from a second table, `data/mesh_scr.tsv.gz` (`kg.normalize.build_scr`),
looked up by exact name only (`scr_by_name`), and `id_from_iri` never returns one.

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
    return _parse(_table_lines(TABLE_FILE, "kg.normalize.build_mesh"))


def _table_lines(path: Path, builder: str) -> list[str]:
    """The lines of a gzipped table shipped in data/; a missing one says how to build it."""
    if not path.exists():
        raise MeshTableError(f"no MeSH table at {path}: run python -m {builder}")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.readlines()


def iri(mesh_id: str) -> str:
    return MESH + mesh_id


def id_from_iri(value: str) -> str | None:
    """The descriptor id (D) of an id.nlm.nih.gov IRI (NLM form), else None: a supplementary
    concept's IRI is not a descriptor (see `scr_id_from_iri`), so `Concept.mesh_ids` and the
    hierarchy never meet a C id."""
    ui = _ui_from_iri(value)
    return ui if ui and ui.startswith("D") else None


def scr_id_from_iri(value: str) -> str | None:
    """The supplementary concept id (C) of an id.nlm.nih.gov IRI (NLM form), else None."""
    ui = _ui_from_iri(value)
    return ui if ui and ui.startswith("C") else None


def _ui_from_iri(value: str) -> str | None:
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


# --- supplementary concept records (C ids) --------------------------------------------------------

SCR_FILE = Path(__file__).resolve().parent / "data" / "mesh_scr.tsv.gz"


@dataclass(frozen=True)
class ScrTable:
    names: dict[str, str]  # C id -> MeSH name
    kinds: dict[str, str]  # C id -> chemical, protein, disease or other (see build_scr)
    by_name: dict[str, str | None]  # normalised name -> C id, None when two ids share the name


def name_key(text: str) -> str:
    """How SCR names are compared: case-folded, whitespace runs as one space, ends trimmed."""
    return " ".join(text.split()).casefold()


def _parse_scr(lines: list[str]) -> ScrTable:
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    by_name: dict[str, str | None] = {}
    for n, line in enumerate(lines, 1):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3 or not parts[0].startswith("C") or not parts[1] or not parts[2]:
            raise MeshTableError(f"{SCR_FILE.name} line {n}: expected C id<TAB>name<TAB>kind, got {line!r}")
        scr_id, name, kinds[scr_id] = parts
        names[scr_id] = name
        key = name_key(name)
        by_name[key] = scr_id if by_name.get(key, scr_id) == scr_id else None
    return ScrTable(names, kinds, by_name)


@cache
def scr_table() -> ScrTable:
    """The supplementary concept table (`build_scr`), read once per process (about 0.05 s)."""
    return _parse_scr(_table_lines(SCR_FILE, "kg.normalize.build_scr"))


def scr_by_name(name: str) -> str | None:
    """The C id whose MeSH name is exactly this name (ignoring case and spacing); None when no
    record or two records have it: a shared name says nothing about which substance is meant."""
    return scr_table().by_name.get(name_key(name))


def scr_name(scr_id: str) -> str | None:
    return scr_table().names.get(scr_id)


def scr_kind(scr_id: str) -> str | None:
    """"chemical", "protein", "disease" or "other": only chemicals are read as drugs."""
    return scr_table().kinds.get(scr_id)
