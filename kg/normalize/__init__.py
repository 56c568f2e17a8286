"""Normalisation: which shared node a reported name belongs to, and which concepts sit above it.

The mapper asks only these functions; how they decide (curated vocabulary, offline drug and
disease dictionaries, MeSH ids from the registry) is this package's business, so better linking
never touches loaders or the mapper.
"""

from __future__ import annotations

from kg.normalize.concepts import Concept, condition_concepts, intervention_concepts, other_name_concepts
from kg.normalize.mesh import label as mesh_label
from kg.normalize.mesh import parents as mesh_parents
from kg.normalize.orgs import site_key, sponsor_key

__all__ = ["Concept", "intervention_concepts", "other_name_concepts", "condition_concepts", "sponsor_key",
           "site_key", "mesh_parents", "mesh_label"]
