"""The embedded Oxigraph store: one named graph per source document, union as default graph.

Writes of single documents are one SPARQL update each (drop the graph and insert its new
triples), which Oxigraph runs as one transaction: a reader never sees a half-replaced document
and a failed write leaves the old one. Bulk loads go through `bulk_load`, which is not atomic, so
the loader records a document as loaded only after its graph (with its provenance) is written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.vocab import ONTOLOGY_GRAPH, PREFIXES, TG, VOCABULARY_GRAPH

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
DEFAULT_STORE = Path("data/store")

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def store_path(path: str | os.PathLike[str] | None) -> Path:
    """`--store`, else `TRIALGRAPH_STORE`, else `./data/store`."""
    if path:
        return Path(path)
    return Path(os.environ.get("TRIALGRAPH_STORE") or DEFAULT_STORE)


class TrialStore:
    """A pyoxigraph store plus the conventions every caller must follow."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 in_memory: bool = False) -> None:
        self.path = None if in_memory else store_path(path)
        self.read_only = read_only
        if self.path is None:
            self.ox = ox.Store()
        elif read_only:
            if not self.path.exists():
                raise FileNotFoundError(f"no store at {self.path}: load something first")
            self.ox = ox.Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.ox = ox.Store(str(self.path))

    # --- reading ---------------------------------------------------------------------------

    def query(self, sparql: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
              *, union: bool = True) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a query with the union of all graphs as default graph (MODEL.md).

        `substitutions` pre-binds variables to RDF terms: parameters never enter query text.
        """
        subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
        return self.ox.query(sparql, use_default_graph_as_union=union, substitutions=subs or None,
                             prefixes=PREFIXES)

    def select(self, sparql: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
               *, union: bool = True) -> ox.QuerySolutions:
        """A SELECT query's solutions (`query` for any form)."""
        result = self.query(sparql, substitutions, union=union)
        assert isinstance(result, ox.QuerySolutions), "not a SELECT query"
        return result

    def documents(self) -> dict[str, tuple[str, str]]:
        """graph IRI -> (sha256, build version) of every finished source document: a document's
        graph states both about itself only once it is wholly written."""
        rows = self.select(f"SELECT ?g ?sha ?v WHERE {{ GRAPH ?g {{ ?g <{TG}sha256> ?sha ; "
                           f"<{TG}loaderVersion> ?v }} }}", union=False)
        return {r["g"].value: (r["sha"].value, r["v"].value) for r in rows}

    def graph_sha(self, graph: str) -> str | None:
        """The sha256 recorded for a document graph, or None if it was never loaded."""
        return self.graph_property(graph, "sha256")

    def graph_property(self, graph: str, predicate: str) -> str | None:
        """A provenance value the graph states about itself: `predicate` is a `tg:` local name
        (sha256, loaderVersion...) or a full IRI (prov:generatedAtTime)."""
        g = ox.NamedNode(graph)
        iri = predicate if ":" in predicate else TG + predicate
        for q in self.ox.quads_for_pattern(g, ox.NamedNode(iri), None, g):
            return q.object.value
        return None

    def has_graph(self, graph: str) -> bool:
        return self.ox.contains_named_graph(ox.NamedNode(graph))

    def graphs(self) -> Iterator[str]:
        for g in self.ox.named_graphs():
            yield g.value

    # --- writing ---------------------------------------------------------------------------

    def replace_graph(self, graph: str, ntriples: str) -> None:
        """Atomically replace one document's graph by these N-Triples statements."""
        self._check_writable()
        g = f"<{graph}>"
        self.ox.update(f"DROP SILENT GRAPH {g} ;\nINSERT DATA {{ GRAPH {g} {{\n{ntriples}}} }}")

    def drop_graph(self, graph: str) -> None:
        self._check_writable()
        self.ox.update(f"DROP SILENT GRAPH <{graph}>")

    def bulk_add(self, nquads: str | bytes | IO[bytes]) -> None:
        """Fast, non-atomic load of N-Quads (whole-registry loads)."""
        self._check_writable()
        self.ox.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)

    def ensure_ontology(self) -> bool:
        """Load `ontology/*.ttl` into the ontology graph and vocabulary graph when they changed."""
        changed = False
        for graph, files in ((ONTOLOGY_GRAPH, ["trialgraph.ttl"]), (VOCABULARY_GRAPH, ["vocabulary.ttl"])):
            paths = [ONTOLOGY_DIR / f for f in files if (ONTOLOGY_DIR / f).exists()]
            if not paths:
                continue
            data = b"".join(p.read_bytes() for p in paths)
            sha = hashlib.sha256(data).hexdigest()
            if self.graph_sha(graph) == sha:
                continue
            self._check_writable()
            parsed = ox.Dataset(ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=None))
            body = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in parsed)
            body += f"<{graph}> <{TG}sha256> \"{sha}\" .\n"
            self.replace_graph(graph, body)
            changed = True
        return changed

    def optimize(self) -> None:
        self._check_writable()
        self.ox.optimize()

    def flush(self) -> None:
        if not self.read_only:
            self.ox.flush()

    def _check_writable(self) -> None:
        if self.read_only:
            raise PermissionError(f"the store at {self.path} is open read-only")

    # --- figures ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counts a user asks for first: trials, documents, triples, shared nodes."""
        counts: dict[str, int] = {"quads": len(self.ox)}
        for name, cls in (("trials", "Trial"), ("interventions", "Intervention"),
                          ("conditions", "Condition"), ("sponsors", "Sponsor"), ("sites", "Site"),
                          ("documents", "SourceDocument")):
            # A trial known under several IRIs (kg.link) counts once: its canonical IRI.
            once = f"FILTER NOT EXISTS {{ ?s <{TG}sameTrialAs> ?c }}" if cls == "Trial" else ""
            rows = self.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{TG}{cls}> {once} }}")
            counts[name] = int(next(iter(rows))["n"].value)
        counts["graphs"] = sum(1 for _ in self.ox.named_graphs())
        return counts
