"""Files -> loader -> records -> mapper -> store, with a report of what happened to each file.

Parsing and mapping ("producing") can run in worker processes while one process writes, since
Oxigraph allows one writer and parsing is the expensive part. Producers turn each document into a
stream of messages (begin, chunks of N-Triples, end or fail); the writer turns those into store
writes:

- a document that fits in one chunk is written in one transaction (drop its graph, insert its
  triples): a failed document leaves nothing behind and readers never see half of one;
- a bigger document (a 10,000-study JSON download) is written chunk by chunk with `bulk_load`,
  keeping memory flat; its provenance triples go in last, so a document without provenance is
  known to be unfinished and is dropped and reloaded next time;
- `bulk=True` (first load of a whole registry) sends every document through `bulk_load` in
  large batches and writes each batch's provenance only after the batch is on disk.

A document whose bytes and build (loader, mapper and normaliser versions, see `build_version`)
are unchanged since its last load is skipped.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import loaders
from kg import normalize
from kg.mapper import MAPPER_VERSION, Provenance, Statements, map_trial, provenance_statements
from kg.counts import COUNTS_GRAPH, derived_from, refresh_counts, sources_digest
from kg.link import LINKS_GRAPH, LinkReport, link_trials
from kg.normalize.extract import enrich
from kg.record import RecordError
from kg.store import TrialStore
from kg.vocab import graph_iri

BULK_MIN_FILES = 20  # `load_paths(bulk=None)`: more files than this into an empty store load in bulk
SKIP_NAMES = {".DS_Store", "README.md", "README", "LICENSE", "LICENSE.txt"}
CHUNK_TRIALS = 200  # trials per chunk message: bounds producer memory
BULK_BATCH_LINES = 400_000  # statements per bulk_load call


@dataclass
class FileResult:
    path: Path
    status: str = "failed"  # "loaded", "skipped" (unchanged), "failed"
    format: str | None = None
    trials: int = 0
    triples: int = 0
    errors: list[str] = field(default_factory=list)  # one line each, naming file and record
    warnings: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    worker_peak_kib: int = 0  # largest peak RSS of a parsing worker process (0: parsed in-process)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def errors(self) -> list[str]:
        return [e for f in self.files for e in f.errors]

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


# --- finding documents --------------------------------------------------------------------------


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files under folders named, in a stable order; hidden files skipped."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(".") for part in rel) and f.name not in SKIP_NAMES:
                    yield f
        else:
            yield p


def source_iri(path: Path) -> str:
    return path.resolve().as_uri()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def loaded_documents(store: TrialStore) -> dict[str, tuple[str, str]]:
    """graph IRI -> (sha256, build version) of every finished document in the store."""
    return store.documents()


# --- producing (parse + map; may run in a worker process) ------------------------------------------

# Messages: ("skip", path) | ("begin", path, graph, format) | ("chunk", path, ntriples, trials, warnings)
#           | ("end", path, provenance_ntriples, errors) | ("fail", path, errors)
Message = tuple[Any, ...]


def build_version(loader_version: str) -> str:
    """The version a document's graph states (`tg:loaderVersion`): its loader's, the mapper's and
    the normaliser's (code and data), since a change to any of them changes the triples."""
    return f"{loader_version}+mapper.{MAPPER_VERSION}+normalize.{normalize.version()}"


def produce(path: Path, known: dict[str, tuple[str, str]], force: bool = False) -> Iterator[Message]:
    """Messages for one document; never raises for bad input."""
    p = str(path)
    try:
        if not path.is_file():
            raise loaders.LoaderError("no such file")
        fmt = loaders.detect(path)
        sha = sha256_of(path)
        source = source_iri(path)
        graph = graph_iri(source)
        built = build_version(fmt.version)
        if not force and known.get(graph) == (sha, built):
            yield ("skip", p, fmt.name)
            return
        yield ("begin", p, graph, fmt.name)
        errors: list[str] = []
        out = Statements()
        trial_nodes: list[str] = []
        pending = 0
        for item in fmt.read(path):
            if isinstance(item, RecordError):
                errors.append(f"{path}: record {item.record}: {item.message}")
                continue
            try:
                mark = len(out.lines)
                item = enrich(item)  # prose-only records: interventions/conditions from the text
                trial_nodes.append(map_trial(item, out)[1:-1])
                pending += 1
            except (ValueError, TypeError) as exc:  # a record the mapper cannot express
                del out.lines[mark:]
                errors.append(f"{path}: record {item.nct_id or item.registry_id or pending}: {exc}")
                continue
            if pending >= CHUNK_TRIALS:
                yield ("chunk", p, out.ntriples(), pending, [f"{path}: {w}" for w in out.warnings])
                out = Statements()
                pending = 0
        if pending:
            yield ("chunk", p, out.ntriples(), pending, [f"{path}: {w}" for w in out.warnings])
        if not trial_nodes:
            yield ("fail", p, errors or [f"{path}: no trial records found ({fmt.name})"])
            return
        prov = provenance_statements(graph, Provenance(source, fmt.name, built, sha), trial_nodes)
        yield ("end", p, prov.ntriples(), errors)
    except (loaders.LoaderError, ValueError, OSError, UnicodeDecodeError, EOFError) as exc:
        yield ("fail", p, [f"{path}: {exc}"])


# --- writing (the one process that owns the store) ---------------------------------------------


class Writer:
    """Turns producer messages into store writes and per-file results."""

    def __init__(self, store: TrialStore, bulk: bool = False,
                 on_file: Callable[[FileResult], None] | None = None,
                 on_trials: Callable[[int], object] | None = None) -> None:
        self.store = store
        self.bulk = bulk
        self.on_file = on_file
        self.on_trials = on_trials
        self.report = LoadReport()
        self.open: dict[str, dict[str, Any]] = {}  # path -> state of a document in progress
        self.batch: list[tuple[str, str]] = []  # bulk mode: (graph, N-Quads) waiting for bulk_load
        self.batch_prov: list[str] = []  # provenance of documents whose triples are in `batch`
        self.batch_done: list[FileResult] = []
        self.batch_lines = 0

    def handle(self, msg: Message) -> None:
        kind, path = msg[0], msg[1]
        if kind == "skip":
            self._finish(FileResult(Path(path), "skipped", msg[2]))
        elif kind == "begin":
            if self.bulk and self.store.has_graph(msg[2]):
                self.store.drop_graph(msg[2])  # a changed document: its old triples go first
            self.open[path] = {"graph": msg[2], "result": FileResult(Path(path), "failed", msg[3]),
                               "chunks": [], "streamed": False}
        elif kind == "chunk":
            st = self.open[path]
            st["result"].trials += msg[3]
            st["result"].triples += msg[2].count("\n")
            st["result"].warnings += msg[4]
            if self.on_trials:
                self.on_trials(msg[3])
            if self.bulk:
                self._to_batch(st["graph"], msg[2])
            elif st["streamed"] or st["chunks"]:
                self._stream(st, msg[2])
            else:
                st["chunks"].append(msg[2])
        elif kind == "end":
            st = self.open.pop(path)
            res: FileResult = st["result"]
            res.errors += msg[3]
            try:
                if self.bulk:
                    self.batch_prov.append(_as_nquads(msg[2], st["graph"]))
                    res.status = "loaded"
                    self.batch_done.append(res)
                    return
                if st["streamed"]:
                    self.store.bulk_add(_as_nquads(msg[2], st["graph"]))
                else:
                    self.store.replace_graph(st["graph"], "".join(st["chunks"]) + msg[2])
                res.status = "loaded"
            except (SyntaxError, OSError, ValueError) as exc:
                self._discard(st)
                res.status, res.trials, res.triples = "failed", 0, 0
                res.errors.append(f"{path}: could not be stored: {exc}")
            self._finish(res)
        elif kind == "fail":
            st = self.open.pop(path, None)
            res = st["result"] if st else FileResult(Path(path))
            if st:
                self._discard(st)
            res.status, res.trials, res.triples = "failed", 0, 0
            res.errors += msg[2]
            self._finish(res)

    def _stream(self, st: dict[str, Any], chunk: str) -> None:
        """A document too big for one transaction: drop its old graph once, then bulk-load."""
        if not st["streamed"]:
            self.store.drop_graph(st["graph"])
            st["streamed"] = True
            for c in st["chunks"]:
                self.store.bulk_add(_as_nquads(c, st["graph"]))
            st["chunks"] = []
        self.store.bulk_add(_as_nquads(chunk, st["graph"]))

    def _discard(self, st: dict[str, Any]) -> None:
        """Nothing of a failed document stays in the store."""
        if self.bulk:
            self.batch = [(g, text) for g, text in self.batch if g != st["graph"]]
        if (st["streamed"] or self.bulk) and self.store.has_graph(st["graph"]):
            self.store.drop_graph(st["graph"])
        st["chunks"] = []

    def _to_batch(self, graph: str, ntriples: str) -> None:
        self.batch.append((graph, _as_nquads(ntriples, graph)))
        self.batch_lines += ntriples.count("\n")
        if self.batch_lines >= BULK_BATCH_LINES:
            self.flush_batch()

    def flush_batch(self) -> None:
        """Write the batch; only then record its documents as finished (their provenance)."""
        if self.batch:
            self.store.bulk_add("".join(text for _, text in self.batch))
            self.batch, self.batch_lines = [], 0
        if self.batch_prov:
            self.store.bulk_add("".join(self.batch_prov))
            self.batch_prov = []
        for res in self.batch_done:
            self._finish(res)
        self.batch_done = []

    def _finish(self, res: FileResult) -> None:
        self.report.files.append(res)
        if self.on_file:
            self.on_file(res)

    def close(self) -> LoadReport:
        self.flush_batch()
        for path, st in list(self.open.items()):  # producers that died mid-document
            self._discard(st)
            self.handle(("fail", path, [f"{path}: loading stopped before the document was finished"]))
        return self.report


def _as_nquads(ntriples: str, graph: str) -> str:
    # split("\n"), not splitlines(): literals may hold U+2028 and other characters it splits on.
    g = f" <{graph}> .\n"
    return g.join(line[:-2] for line in ntriples.rstrip("\n").split("\n")) + g if ntriples else ""


# --- running ------------------------------------------------------------------------------------------


def _worker(tasks: Any, results: Any, known: dict[str, tuple[str, str]], force: bool) -> None:
    import resource

    while (path := tasks.get()) is not None:
        for msg in produce(Path(path), known, force):
            results.put(msg)
        results.put(("done", path))
    results.put(("rss", "", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def load_paths(store: TrialStore, paths: Iterable[str | Path], *, force: bool = False, workers: int = 0,
               bulk: bool | None = False, on_file: Callable[[FileResult], None] | None = None,
               on_trials: Callable[[int], object] | None = None) -> LoadReport:
    """Load every document under `paths`. `workers` > 0 parses in that many processes. `bulk`
    None: bulk for a first load of more than BULK_MIN_FILES files (nothing to replace, and
    `bulk_load` is about 2.5x faster than transactions)."""
    started = time.perf_counter()
    store.ensure_ontology()
    documents = loaded_documents(store)
    known = {} if force else documents
    files = [str(p) for p in iter_files(paths)]
    if bulk is None:
        bulk = not documents and len(files) > BULK_MIN_FILES
    writer = Writer(store, bulk=bulk, on_file=on_file, on_trials=on_trials)
    if workers <= 0 or len(files) < 2:
        for path in files:
            for msg in produce(Path(path), known, force):
                writer.handle(msg)
    else:
        _run_workers(files, known, force, writer, workers)
    report = writer.close()
    derive_if_stale(store)
    if bulk and report.count("loaded"):
        store.optimize()
    store.flush()
    report.seconds = time.perf_counter() - started
    return report


def _run_workers(files: list[str], known: dict[str, tuple[str, str]], force: bool, writer: Writer,
                 workers: int) -> None:
    ctx = mp.get_context("forkserver" if os.name == "posix" else "spawn")
    tasks = ctx.Queue()
    results = ctx.Queue(maxsize=4 * workers)  # bounded: producers wait for the writer
    for f in files:
        tasks.put(f)
    procs = [ctx.Process(target=_worker, args=(tasks, results, known, force), daemon=True)
             for _ in range(workers)]
    for _ in procs:
        tasks.put(None)
    for proc in procs:
        proc.start()
    remaining = len(files)
    try:
        while remaining:
            try:
                msg = results.get(timeout=5)
            except Exception:  # queue.Empty: is anybody still alive?
                if not any(p.is_alive() for p in procs):
                    break
                continue
            if msg[0] == "done":
                remaining -= 1
            elif msg[0] == "rss":
                writer.report.worker_peak_kib = max(writer.report.worker_peak_kib, msg[2])
            else:
                writer.handle(msg)
        deadline = time.monotonic() + 5  # collect the workers' memory figures as they exit
        while any(p.is_alive() for p in procs) and time.monotonic() < deadline:
            try:
                msg = results.get(timeout=0.5)
            except Exception:
                continue
            if msg[0] == "rss":
                writer.report.worker_peak_kib = max(writer.report.worker_peak_kib, msg[2])
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def load_file(store: TrialStore, path: Path, *, force: bool = False, derive: bool = True) -> FileResult:
    """Load one document (in this process); the result says what happened. `derive=False` leaves
    links and counts to the next load (or `derive_if_stale`): one re-derive for many files."""
    known = {} if force else loaded_documents(store)
    writer = Writer(store)
    for msg in produce(Path(path), known, force):
        writer.handle(msg)
    report = writer.close()
    if derive:
        derive_if_stale(store)
    return report.files[0]


# --- derived graphs ------------------------------------------------------------------------------


def derive(store: TrialStore, digest: str | None = None) -> tuple[LinkReport, float]:
    """Everything derived from the loaded documents, in order: trial links, then the counts
    (which count a linked trial once, so need the links first). The counts graph records the
    digest of the documents it was derived from (`kg.counts.sources_digest`)."""
    digest = digest or sources_digest(store)
    return link_trials(store), refresh_counts(store, digest=digest)


def derive_if_stale(store: TrialStore) -> bool:
    """Derive when the documents (or the vocabulary) differ from those the derived graphs were
    made from: after a load that changed something, and after one whose derive pass was
    interrupted or skipped, whatever this run itself changed."""
    digest = sources_digest(store)
    if derived_from(store) == digest:
        return False
    if digest is None:  # no document left: nothing is derived from nothing
        for graph in (LINKS_GRAPH, COUNTS_GRAPH):
            if store.has_graph(graph):
                store.drop_graph(graph)
        return True
    derive(store, digest)
    return True
