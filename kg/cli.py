"""`trialgraph`: load documents, query, export and serve the store from a shell.

User errors (a bad query, a missing store, an unknown trial) end in one line on stderr and a
non-zero exit status, never a traceback: scripts check the status, people read the line.
Exit status 1 means the work partly failed (a file did not load), 2 means the request itself
was wrong (bad query, unknown format or parameter, no store).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import click
import pyoxigraph as ox

from kg import canned, export, results
from kg.store import TrialStore, store_path

if TYPE_CHECKING:  # the pipeline pulls in every loader: imported only by `load`, for a fast `query`
    from kg.pipeline import FileResult, LoadReport

QUERY_FORMATS = ("json", "xml", "csv", "tsv", "table", "turtle", "ntriples", "jsonld", "rdfxml")
USAGE_ERROR = 2
PARTIAL_FAILURE = 1


class UserError(click.ClickException):
    """A one-line message for the user; click prints it on stderr without a traceback."""

    def __init__(self, message: str, exit_code: int = USAGE_ERROR) -> None:
        super().__init__(" ".join(str(message).split()))
        self.exit_code = exit_code

    def show(self, file: IO[str] | None = None) -> None:
        click.echo(f"trialgraph: error: {self.format_message()}", err=True)


def fail(message: str, exit_code: int = USAGE_ERROR) -> NoReturn:
    raise UserError(message, exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Store folder (default: $TRIALGRAPH_STORE, else ./data/store).")
@click.pass_context
def main(ctx: click.Context, store_dir: Path | None) -> None:
    """trialgraph: a knowledge graph of clinical trials with a SPARQL endpoint."""
    ctx.obj = store_path(store_dir)


def _store_dir() -> Path:
    return click.get_current_context().find_root().obj or store_path(None)


@contextmanager
def _open(read_only: bool) -> Iterator[TrialStore]:
    """The store, read-only for readers so a query never blocks a load in another process."""
    path = _store_dir()
    if read_only and not path.exists():
        fail(f"no store at {path}: run `trialgraph --store {path} load PATH` first")
    try:
        store = TrialStore(path, read_only=read_only)
    except (OSError, RuntimeError) as exc:
        fail(f"cannot open the store at {path}: {exc}", PARTIAL_FAILURE)
    yield store


def _emit(chunks: Iterator[bytes]) -> None:
    """Bytes to stdout; a reader that stops early (`| head`) ends the command quietly."""
    out = sys.stdout.buffer
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit flush
        sys.exit(0)


# --- load ---------------------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Reload documents even when they are unchanged.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Parse in this many processes (0: in this one; default: one per core, up to 2, "
                   "for more than 20 files).")
@click.option("--bulk", is_flag=True,
              help="Fast non-transactional loading (the default for a first load of over 20 files).")
@click.option("-v", "--verbose", is_flag=True, help="Also print every warning.")
def load(paths: tuple[Path, ...], force: bool, workers: int | None, bulk: bool, verbose: bool) -> None:
    """Load files and folders of trial records (formats are detected by content)."""
    from tqdm import tqdm

    from kg.pipeline import iter_files, load_paths

    files = list(iter_files(paths))
    if workers is None:
        workers = min(os.cpu_count() or 1, 2) if len(files) > 20 else 0  # workers cost ~2 s to start
    with _open(read_only=False) as store:
        # Counts trials, not files: one 500 MB download is one file but 100,000 trials.
        bar = tqdm(unit=" trials", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False,
                   dynamic_ncols=True)
        done = [0]

        def on_file(res: FileResult) -> None:
            done[0] += 1
            bar.set_postfix_str(f"{done[0]}/{len(files)} files", refresh=False)
            for line in _file_messages(res, verbose):
                bar.write(line, file=sys.stderr)

        try:
            report = load_paths(store, files, force=force, workers=workers, bulk=bulk or None, on_file=on_file,
                                on_trials=bar.update)
        finally:
            bar.close()
    click.echo(summary_line(report))
    if report.failed:
        sys.exit(PARTIAL_FAILURE)


def _file_messages(res: FileResult, verbose: bool) -> list[str]:
    """One line per file that failed or lost records; warnings only when asked for."""
    lines: list[str] = []
    if res.errors:
        more = f" (and {len(res.errors) - 1} more errors)" if len(res.errors) > 1 else ""
        kind = "error" if res.status == "failed" else "record error"
        lines.append(f"{kind}: {_one_line(res.errors[0])}{more}")
    if verbose:
        lines += [f"warning: {_one_line(w)}" for w in res.warnings]
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def summary_line(report: LoadReport) -> str:
    """Files loaded/skipped/failed, trials, triples, errors, warnings and speed, on one line."""
    seconds = report.seconds or 1e-9
    trials = report.total("trials")
    warnings = sum(len(f.warnings) for f in report.files)
    return (f"{len(report.files)} files: {report.count('loaded')} loaded, {report.count('skipped')} "
            f"skipped, {report.count('failed')} failed; {trials} trials, {report.total('triples')} "
            f"triples, {len(report.errors)} errors, {warnings} warnings; "
            f"{trials / seconds:.1f} trials/s in {report.seconds:.1f} s")


# --- query --------------------------------------------------------------------------------------


@main.command()
@click.argument("sparql", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the query from this file ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default=None,
              help="Default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE.")
def query(sparql: str | None, query_file: IO[str] | None, fmt: str | None) -> None:
    """Run a SPARQL query; the default graph is the union of all graphs."""
    if (sparql is None) == (query_file is None):
        fail("give a query either as an argument or with --file, not both or neither")
    text = sparql if sparql is not None else query_file.read()  # type: ignore[union-attr]
    _run(text, {}, fmt)


def _run(text: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal], fmt: str | None) -> None:
    with _open(read_only=True) as store:
        try:
            result = store.query(text, substitutions)
            name = fmt or ("turtle" if results.kind(result) == "triples" else "table")
            data = results.serialize(result, name)
        except SyntaxError as exc:
            fail(f"bad query: {exc}")
        except ValueError as exc:  # a format that does not fit the kind of result
            fail(str(exc))
        except OSError as exc:  # evaluation errors (e.g. a SERVICE call failing)
            fail(f"query failed: {exc}")
    _emit(iter([data]))


# --- canned queries -----------------------------------------------------------------------------


@main.group()
def queries() -> None:
    """Named, parameterised queries from the queries/ folder."""


@queries.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
def queries_list(as_json: bool) -> None:
    """Every canned query: name, summary and parameters."""
    found = canned.queries()
    if as_json:
        items = [{k: v for k, v in q.as_dict().items() if k != "query"} for q in found.values()]
        click.echo(json.dumps(items, indent=2))
        return
    for q in found.values():
        click.echo(f"{q.name}: {q.summary}")
        for p in q.params:
            flags = "required" if p.required else f"default {p.default}" if p.default else "optional"
            desc = f" -- {p.description}" if p.description else ""
            click.echo(f"    -p {p.name}=<{p.kind}>  ({flags}){desc}")


@queries.command("run")
@click.argument("name")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter value; repeat for several.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default=None,
              help="Default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE.")
def queries_run(name: str, params: tuple[str, ...], fmt: str | None) -> None:
    """Run the canned query NAME with its parameters bound as typed RDF terms."""
    try:
        q = canned.get(name)
    except KeyError as exc:
        fail(exc.args[0])
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"parameter {item!r} is not KEY=VALUE")
        values[key.strip()] = value
    try:
        substitutions = q.bind(values)
    except canned.ParameterError as exc:
        fail(str(exc))
    _run(q.text, substitutions, fmt)


# --- export -------------------------------------------------------------------------------------


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(export.EXPORT_FORMATS), default="turtle",
              show_default=True, help="turtle/ntriples: union of graphs; nquads/trig/jsonld: named graphs.")
@click.option("--trial", "trials", multiple=True, metavar="ID",
              help="Only this trial (NCT id or IRI), self-describing; repeat for several.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout.")
def export_cmd(fmt: str, trials: tuple[str, ...], output: Path | None) -> None:
    """Dump the store (or some trials) as RDF, deterministically."""
    with _open(read_only=True) as store:
        try:
            chunks = export.iter_export(store, fmt, trials or None)
        except KeyError as exc:
            fail(exc.args[0])
        if output is None:
            _emit(chunks)
        else:
            _write_file(output, chunks)


def _write_file(output: Path, chunks: Iterator[bytes]) -> None:
    """Write through a temporary file so a failed export never leaves half a file."""
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc}", PARTIAL_FAILURE)
    finally:
        tmp.unlink(missing_ok=True)


# --- serve and stats ----------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Per-query time limit in seconds (server default when not given).")
def serve(host: str, port: int, timeout: float | None) -> None:
    """Serve the SPARQL endpoint and web page."""
    path = _store_dir()
    if not path.exists():
        fail(f"no store at {path}: run `trialgraph --store {path} load PATH` first")
    try:
        import server
    except ImportError as exc:
        fail(f"the server is not available: {exc}", PARTIAL_FAILURE)
    try:
        if timeout is None:
            server.serve(path, host, port)
        else:
            server.serve(path, host, port, timeout)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc}", PARTIAL_FAILURE)


@main.command()
def derive() -> None:
    """Recompute trial links and the counts graph from what is loaded.

    `load` does this by itself after any change; this is for a store written another way (an
    older version of trialgraph, or bulk writes from a script)."""
    from kg.pipeline import derive as derive_all

    with _open(read_only=False) as store:
        links, count_seconds = derive_all(store)
        store.flush()
    linked = sum(len(members) for members in links.clusters.values())
    click.echo(f"links: {len(links.matches)} matches, {linked} trials known under another IRI "
               f"({links.seconds:.1f} s); counts refreshed ({count_seconds:.1f} s)")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def stats(as_json: bool) -> None:
    """Counts of trials, documents, shared nodes and statements."""
    with _open(read_only=True) as store:
        counts = store.stats()
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True))
        return
    width = max(map(len, counts), default=0)
    for name, value in counts.items():
        click.echo(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="trialgraph")


def _register_fetch() -> None:
    from kg.fetch import fetch_command

    main.add_command(fetch_command)


_register_fetch()
