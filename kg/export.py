"""Dump the store, or a few trials, as RDF files that other tools can read back.

Determinism: the same store always gives the same bytes. Statements are sorted (by their
N-Triples text: subject, predicate, object), prefixes are the `kg.vocab.PREFIXES` the output
actually uses, and nothing time- or run-dependent is added.

Memory, for whole-store exports (the full registry is tens of millions of triples):

* `nquads`, `trig`, `jsonld` keep the named graphs and are written one graph at a time, so memory
  is bounded by the largest source document, not by the store.
* `ntriples`, `turtle` give the union of all graphs with duplicates removed (a shared node's label
  stated by many documents is written once). That needs a global sort: graphs are read one at a
  time into a buffer of at most `RUN_LINES` statements, full buffers are sorted into temporary
  files and merged (an external sort). Memory is one buffer plus one output batch; disk holds
  about one N-Triples copy of the store while the export runs.
* `turtle` and `trig` can only declare their prefixes once the body is known (the writer abbreviates
  some IRIs away, e.g. `rdf:type` becomes `a`), so their body goes to a spooled temporary file that
  stays in memory up to `SPOOL_BYTES` and moves to disk beyond.

A per-trial export is small and built in memory: the trial's own statements, its sub-nodes (IRIs
under `<trial IRI>/`), the type, labels, literals and `skos:broader` chain of every node it links
to (term nodes, concepts, sponsors, sites, code-list values), and the provenance of the documents
it comes from. Other trials appear only as link targets, never with statements of their own.
"""

from __future__ import annotations

import heapq
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import IO

import pyoxigraph as ox

from kg.counts import COUNTS_GRAPH
from kg.results import serialize_rdf
from kg.store import TrialStore
from kg.vocab import (
    BASE, ONTOLOGY_GRAPH, PREFIXES, RDF_TYPE, RDFS_LABEL, SKOS_BROADER, SKOS_EXACT_MATCH,
    SKOS_PREF_LABEL, TG, VOCABULARY_GRAPH, trial_iri,
)

EXPORT_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld")
QUAD_FORMATS = frozenset({"nquads", "trig", "jsonld"})
MEDIA_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
}
EXTENSIONS = {"turtle": "ttl", "ntriples": "nt", "nquads": "nq", "trig": "trig", "jsonld": "jsonld"}
BATCH_TRIPLES = 50_000  # statements handed to the writer at once
RUN_LINES = 2_000_000  # union exports: statements sorted in memory before spilling to disk
SPOOL_BYTES = 64 << 20

_TYPE = ox.NamedNode(RDF_TYPE)
_TRIAL_CLASS = ox.NamedNode(TG + "Trial")
_DESCRIBES = ox.NamedNode(TG + "describesTrial")
_BROADER = ox.NamedNode(SKOS_BROADER)
# What a linked node contributes to a per-trial export besides its literal-valued statements.
_DESCRIBING = frozenset({RDF_TYPE, RDFS_LABEL, SKOS_BROADER, SKOS_EXACT_MATCH, SKOS_PREF_LABEL})
_COUNTS = ox.NamedNode(COUNTS_GRAPH)
_TRIAL_PREFIX = BASE + "trial/"

GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


def iter_export(store: TrialStore, fmt: str, trials: Iterable[str] | None = None) -> Iterator[bytes]:
    """The export as chunks of bytes, in order.

    Checks the format and the trial ids before returning, so a bad request fails before any
    byte is written: ValueError for an unknown format, KeyError for a trial not in the store.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(EXPORT_FORMATS)}")
    wanted = list(dict.fromkeys(trials or ()))
    if wanted:
        quads = select_trials(store, wanted)
        return iter([_serialize_selection(quads, fmt)])
    if fmt == "ntriples":
        return _union_ntriples(store)
    if fmt == "turtle":
        return _with_prefix_header(_union_batches(store), ox.RdfFormat.TURTLE)
    if fmt == "trig":
        return _with_prefix_header(_graph_batches(store), ox.RdfFormat.TRIG)
    if fmt == "nquads":
        return _nquads(store)
    return _jsonld(store)


def export_bytes(store: TrialStore, fmt: str, trials: Iterable[str] | None = None) -> bytes:
    """The whole export in memory: for tests, the endpoint and small stores."""
    return b"".join(iter_export(store, fmt, trials))


def write_export(store: TrialStore, fmt: str, out: IO[bytes], trials: Iterable[str] | None = None) -> int:
    """Stream the export into a binary file; returns the number of bytes written."""
    written = 0
    for chunk in iter_export(store, fmt, trials):
        out.write(chunk)
        written += len(chunk)
    return written


# --- whole store: union of graphs ---------------------------------------------------------------


def _graph_lines(store: TrialStore, name: GraphName) -> list[bytes]:
    """A graph's statements as sorted canonical N-Triples lines (each ends in ` .`)."""
    triples = [q.triple for q in store.ox.quads_for_pattern(None, None, None, name)]
    if not triples:
        return []
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return sorted(line for line in text.split(b"\n") if line)


def _union_lines(store: TrialStore) -> Iterator[bytes]:
    """Every statement of every graph once, sorted by its N-Triples text (an external sort).

    Graphs are read one at a time into a buffer; a full buffer is sorted and written to a
    temporary file (a run), and the runs are merged at the end, dropping duplicates. Memory is
    one buffer of `RUN_LINES` lines whatever the size of the store.
    """
    with ExitStack() as stack:
        runs: list[IO[bytes]] = []
        buffer: set[bytes] = set()
        for name in _graph_names(store):
            buffer.update(_graph_lines(store, name))
            if len(buffer) >= RUN_LINES:
                runs.append(stack.enter_context(_write_run(sorted(buffer))))
                buffer = set()
        last = sorted(buffer)
        if not runs:
            yield from last
            return
        previous = None
        for line in heapq.merge(*(_read_run(r) for r in runs), last):
            if line != previous:
                yield line
                previous = line


def _write_run(lines: list[bytes]) -> IO[bytes]:
    run = tempfile.TemporaryFile()
    for line in lines:
        run.write(line + b"\n")
    run.seek(0)
    return run


def _read_run(run: IO[bytes]) -> Iterator[bytes]:
    for line in run:
        yield line.rstrip(b"\n")


def _union_ntriples(store: TrialStore) -> Iterator[bytes]:
    batch: list[bytes] = []
    for line in _union_lines(store):
        batch.append(line)
        if len(batch) >= BATCH_TRIPLES:
            yield b"\n".join(batch) + b"\n"
            batch = []
    if batch:
        yield b"\n".join(batch) + b"\n"


def _union_batches(store: TrialStore) -> Iterator[list[ox.Triple]]:
    """The sorted union as batches of triples that never split one subject's statements.

    Lines of one subject are adjacent because they share the prefix `<subject> `; a subject
    term never contains a space.
    """
    batch: list[bytes] = []
    subject = b""
    for line in _union_lines(store):
        this = line.split(b" ", 1)[0]
        if this != subject and len(batch) >= BATCH_TRIPLES:
            yield _parse_lines(batch)
            batch = []
        subject = this
        batch.append(line)
    if batch:
        yield _parse_lines(batch)


def _parse_lines(lines: list[bytes]) -> list[ox.Triple]:
    """N-Triples lines back to triples, keeping blank node labels (shared across batches)."""
    text = b"\n".join(lines) + b"\n"
    return [q.triple for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]


# --- whole store: graph by graph ----------------------------------------------------------------


def _graph_names(store: TrialStore) -> list[GraphName]:
    """The default graph (if it holds anything) then the named graphs, sorted."""
    names: list[GraphName] = []
    default = ox.DefaultGraph()
    if next(iter(store.ox.quads_for_pattern(None, None, None, default)), None) is not None:
        names.append(default)
    names.extend(sorted(store.ox.named_graphs(), key=str))
    return names


def _nquads(store: TrialStore) -> Iterator[bytes]:
    """N-Quads graph by graph: each graph's sorted N-Triples lines with the graph name added."""
    for name in _graph_names(store):
        lines = _graph_lines(store, name)
        if not lines:
            continue
        if isinstance(name, ox.DefaultGraph):
            yield b"\n".join(lines) + b"\n"
        else:
            g = b" " + str(name).encode() + b" ."
            yield b"".join(line[:-2] + g + b"\n" for line in lines)


def _graph_batches(store: TrialStore) -> Iterator[list[ox.Quad]]:
    """One sorted batch per graph: memory is bounded by the largest document."""
    for name in _graph_names(store):
        quads = list(store.ox.quads_for_pattern(None, None, None, name))
        if quads:
            yield sorted(quads, key=_statement_key)


def _statement_key(q: ox.Quad | ox.Triple) -> tuple[str, str, str]:
    return (str(q.subject), str(q.predicate), str(q.object))


def _jsonld(store: TrialStore) -> Iterator[bytes]:
    """A JSON-LD array with one object per graph, each serialised on its own."""
    yield b"["
    first = True
    for quads in _graph_batches(store):
        body = ox.serialize(quads, format=ox.RdfFormat.JSON_LD).strip()
        inner = body[1:-1].strip() if body.startswith(b"[") else body
        if not inner:
            continue
        yield (b"" if first else b",\n") + inner
        first = False
    yield b"]\n"


# --- prefixes -----------------------------------------------------------------------------------


def _prefix_pattern(name: str) -> re.Pattern[bytes]:
    """`name:` where a prefixed name can start (not inside an IRI or another name)."""
    return re.compile(rb"(?<![\w:/#.-])" + re.escape(name.encode()) + rb":")


_PREFIX_PATTERNS = {name: (name.encode() + b":", _prefix_pattern(name)) for name in PREFIXES}


def _strip_header(chunk: bytes) -> bytes:
    """Drop the `@prefix` lines the writer puts first (they are written once, at the top)."""
    lines = chunk.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"@prefix "):
        i += 1
    return b"\n".join(lines[i:])


def _used_in(body: bytes, known: set[str]) -> set[str]:
    """Prefixes the body uses, checking only those not seen yet (the regex is the slow part)."""
    return {name for name, (text, pattern) in _PREFIX_PATTERNS.items()
            if name not in known and text in body and pattern.search(body)}


def _with_prefix_header(batches: Iterator[list[ox.Triple]] | Iterator[list[ox.Quad]],
                        fmt: ox.RdfFormat) -> Iterator[bytes]:
    """Turtle/TriG: body to a spool while noting the prefixes it uses, then header and body."""
    used: set[str] = set()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for batch in batches:
            body = _strip_header(ox.serialize(batch, format=fmt, prefixes=PREFIXES))
            used |= _used_in(body, used)
            spool.write(body)
        header = "".join(f"@prefix {name}: <{PREFIXES[name]}> .\n" for name in sorted(used))
        yield header.encode()
        spool.seek(0)
        while chunk := spool.read(1 << 20):
            yield chunk


# --- per trial ----------------------------------------------------------------------------------


def trial_node(trial: str) -> ox.NamedNode:
    """A trial given as NCT/registry id or as its IRI."""
    value = trial.strip()
    if value.startswith(("http://", "https://")):
        return ox.NamedNode(value)
    return ox.NamedNode(trial_iri(value))


def select_trials(store: TrialStore, trials: Iterable[str]) -> list[ox.Quad]:
    """The quads of a self-describing export of these trials; KeyError names unknown ones."""
    asked = list(trials)
    nodes = [trial_node(t) for t in asked]
    missing = [t for t, n in zip(asked, nodes) if not _is_trial(store, n)]
    if missing:
        raise KeyError(f"no trial {', '.join(map(repr, missing))} in the store "
                       f"(give an NCT or registry id, or a trial IRI)")
    selected: set[ox.Quad] = set()
    for node in nodes:
        selected |= _trial_selection(store, node)
    return sorted(selected, key=lambda q: (str(q.graph_name), *_statement_key(q)))


def _is_trial(store: TrialStore, node: ox.NamedNode) -> bool:
    return next(iter(store.ox.quads_for_pattern(node, _TYPE, _TRIAL_CLASS, None)), None) is not None


def _is_other_trial(node: ox.NamedNode, own: str) -> bool:
    v = node.value
    return v.startswith(_TRIAL_PREFIX) and v != own and not v.startswith(own + "/")


def _trial_selection(store: TrialStore, trial: ox.NamedNode) -> set[ox.Quad]:
    # The counts graph's figures (a trial's sort position) describe the store, not the trial.
    own = {q for q in _own_quads(store, trial) if q.graph_name != _COUNTS}
    graphs = {q.graph_name for q in own}
    documents = {g for g in graphs if isinstance(g, ox.NamedNode)}
    allowed = graphs | {ox.NamedNode(ONTOLOGY_GRAPH), ox.NamedNode(VOCABULARY_GRAPH)}
    own_subjects = {q.subject for q in own}
    linked = {
        q.object for q in own
        if isinstance(q.object, ox.NamedNode) and q.predicate != _TYPE
        and q.object not in own_subjects and not _is_other_trial(q.object, trial.value)
    }
    return own | _describe(store, linked, allowed) | _provenance(store, documents, trial)


def _own_quads(store: TrialStore, trial: ox.NamedNode) -> set[ox.Quad]:
    """The trial's statements and its sub-nodes', found by following links under its IRI."""
    prefix = trial.value + "/"
    found: set[ox.Quad] = set()
    seen = {trial}
    todo = [trial]
    while todo:
        node = todo.pop()
        for q in store.ox.quads_for_pattern(node, None, None, None):
            found.add(q)
            obj = q.object
            if isinstance(obj, ox.NamedNode) and obj.value.startswith(prefix) and obj not in seen:
                seen.add(obj)
                todo.append(obj)
    return found


def _describe(store: TrialStore, nodes: set[ox.NamedNode], graphs: set[object]) -> set[ox.Quad]:
    """Type, labels, literals and exact matches of linked nodes, following `skos:broader` up."""
    found: set[ox.Quad] = set()
    seen = set(nodes)
    todo = list(nodes)
    while todo:
        node = todo.pop()
        for q in store.ox.quads_for_pattern(node, None, None, None):
            if q.graph_name not in graphs:
                continue
            if q.predicate.value not in _DESCRIBING and not isinstance(q.object, ox.Literal):
                continue
            found.add(q)
            if q.predicate == _BROADER and isinstance(q.object, ox.NamedNode) and q.object not in seen:
                seen.add(q.object)
                todo.append(q.object)
    return found


def _provenance(store: TrialStore, documents: set[ox.NamedNode], trial: ox.NamedNode) -> set[ox.Quad]:
    """Where the trial's statements come from, minus the document's links to its other trials."""
    found: set[ox.Quad] = set()
    for g in documents:
        for q in store.ox.quads_for_pattern(g, None, None, g):
            if q.predicate == _DESCRIBES and q.object != trial:
                continue
            found.add(q)
    return found


def _serialize_selection(quads: list[ox.Quad], fmt: str) -> bytes:
    """Small enough for memory; Turtle/TriG share the whole-store writer's sorted prefix header."""
    if fmt == "trig":
        return b"".join(_with_prefix_header(iter([quads]), ox.RdfFormat.TRIG))
    if fmt in QUAD_FORMATS:
        return serialize_rdf(quads, fmt)
    triples = sorted({q.triple for q in quads}, key=_statement_key)
    if fmt == "turtle":
        return b"".join(_with_prefix_header(iter([triples]), ox.RdfFormat.TURTLE))
    return serialize_rdf(triples, fmt)

