"""Files -> loader -> records -> mapper -> store, with a report of what happened to each file.

Each document is written in one transaction, so a file that fails leaves nothing behind and
the others still load. A document whose bytes and loader are unchanged since its last load is
skipped; a changed one replaces its graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import loaders
from kg.mapper import Provenance, map_document
from kg.record import RecordError, Trial
from kg.store import TrialStore
from kg.vocab import graph_iri

SKIP_NAMES = {".DS_Store", "README.md", "README", "LICENSE"}


@dataclass
class FileResult:
    path: Path
    status: str  # "loaded", "skipped" (unchanged), "failed"
    format: str | None = None
    trials: int = 0
    triples: int = 0
    errors: list[str] = field(default_factory=list)  # one line each, naming file and record
    warnings: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def errors(self) -> list[str]:
        return [e for f in self.files for e in f.errors]

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files under folders named, in a stable order; hidden files skipped."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts) \
                        and f.name not in SKIP_NAMES:
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


def load_file(store: TrialStore, path: Path, *, force: bool = False) -> FileResult:
    """Load one document into its own graph; never raises for bad input."""
    result = FileResult(path=path, status="failed")
    try:
        if not path.exists():
            raise loaders.LoaderError("no such file")
        fmt = loaders.detect(path)
        result.format = fmt.name
        sha = sha256_of(path)
        source = source_iri(path)
        graph = graph_iri(source)
        if not force and store.graph_sha(graph) == sha \
                and store.graph_property(graph, "loaderVersion") == fmt.version:
            result.status = "skipped"
            return result
        trials: list[Trial] = []
        for item in fmt.read(path):
            if isinstance(item, RecordError):
                result.errors.append(f"{path}: record {item.record}: {item.message}")
            else:
                trials.append(item)
        if not trials:
            if not result.errors:
                result.errors.append(f"{path}: no trial records found ({fmt.name})")
            return result
        stmts, _ = map_document(trials, graph, Provenance(source, fmt.name, fmt.version, sha))
        store.replace_graph(graph, stmts.ntriples())
        result.status = "loaded"
        result.trials = len(trials)
        result.triples = len(stmts.lines)
        result.warnings = [f"{path}: {w}" for w in stmts.warnings]
    except (loaders.LoaderError, ValueError, OSError, UnicodeDecodeError) as exc:
        result.errors.append(f"{path}: {exc}")
    return result


def load_paths(store: TrialStore, paths: Iterable[str | Path], *, force: bool = False,
               on_file: Callable[[FileResult], None] | None = None) -> LoadReport:
    report = LoadReport()
    store.ensure_ontology()
    for path in iter_files(paths):
        res = load_file(store, path, force=force)
        report.files.append(res)
        if on_file:
            on_file(res)
    return report
