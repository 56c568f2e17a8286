"""Where SPARQL runs for the endpoint: in this process, or in a pool of killable worker processes.

pyoxigraph has no query timeout and a running query cannot be interrupted from Python, so the
only real cancellation is to kill the process running it. The pool keeps N worker processes,
each with its own read-only view of the store; a query that overruns its time limit takes its
worker down with it and a fresh worker takes the place. Results are serialised in the worker,
so only bytes cross the process boundary (never millions of Python term objects).

The in-process executor serves an in-memory or writable store (tests, and a server that accepts
updates); it cannot enforce a time limit.

Both refuse queries that would make the server fetch something from elsewhere (SPARQL
`SERVICE`, update `LOAD`): Oxigraph would follow them over HTTP.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import re
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from kg import results
from kg.store import TrialStore

Term = ox.NamedNode | ox.Literal
ANY = "*"  # in a format preference list: the result kind's default format
READY_WAIT = 120.0  # seconds a new worker may take to open the store


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A serialised result: what goes back to the client."""

    body: bytes
    format: str  # a kg.results.FORMATS name

    @property
    def media_type(self) -> str:
        return results.FORMATS[self.format].media_type


class ExecutorError(Exception):
    """A query that did not give an answer; the message is safe to show to the client."""

    status = 500


class QuerySyntaxError(ExecutorError):
    status = 400


class RemoteAccessRefused(ExecutorError):
    status = 400


class NotAcceptable(ExecutorError):
    status = 406


class QueryTimeout(ExecutorError):
    status = 503


class Executor(Protocol):
    """Runs one query and returns its result serialised in the first acceptable format."""

    def run(self, sparql: str, substitutions: Mapping[str, Term] | None = None,
            timeout: float = 30.0, formats: Sequence[str] = (ANY,)) -> Answer: ...

    def close(self) -> None: ...


# --- refusing outbound requests ---------------------------------------------------------------

# Strings, IRIs and comments, in the order SPARQL's tokenizer meets them: a keyword inside any of
# them is not a keyword.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.S,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _keyword(word: str) -> re.Pattern[str]:
    # Not part of a prefixed name, variable or longer word (`ex:service`, `?service`, `hasService`).
    return re.compile(rf"(?<![\w:?$.\-]){word}(?![\w:\-])", re.I)


_SERVICE = _keyword("SERVICE")
_LOAD = _keyword("LOAD")


def _code_only(text: str) -> str:
    return _OPAQUE.sub(" ", text)


def _unescaped(text: str) -> str:
    """SPARQL lets `\\u` escapes stand for any character of a query; check the decoded form too."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def refuse_remote(sparql: str, *, update: bool = False) -> None:
    """RemoteAccessRefused if the query or update could make the server fetch a remote resource.

    A token check outside strings, IRIs and comments: pyoxigraph exposes no algebra to inspect.
    It errs on the side of refusing (a local name that reads `SERVICE` after a dot is refused).
    """
    for text in {sparql, _unescaped(sparql)}:
        code = _code_only(text)
        if _SERVICE.search(code):
            raise RemoteAccessRefused("SERVICE (federated query) is not allowed here: this endpoint "
                                      "makes no requests to other servers")
        if update and _LOAD.search(code):
            raise RemoteAccessRefused("LOAD is not allowed here: this endpoint makes no requests "
                                      "to other servers")


# --- running and serialising (shared by both executors) --------------------------------------


def choose_format(result: results.Result, formats: Sequence[str]) -> str:
    """The first preferred format that fits the result kind; NotAcceptable when none does."""
    for name in formats:
        if name == ANY:
            return results.default_format(result)
        fmt = results.FORMATS.get(name)
        if fmt and (fmt.for_triples if results.kind(result) == "triples" else fmt.for_solutions):
            return name
    kind = results.kind(result)
    offered = [f.name for f in results.FORMATS.values()
               if (f.for_triples if kind == "triples" else f.for_solutions)]
    raise NotAcceptable(f"none of the requested formats ({', '.join(formats) or 'none'}) fits a "
                        f"{kind} result; available: {', '.join(offered)}")


def execute(store: TrialStore, sparql: str, substitutions: Mapping[str, Term] | None,
            formats: Sequence[str]) -> Answer:
    refuse_remote(sparql)
    try:
        result = store.query(sparql, substitutions)
        name = choose_format(result, formats)
        return Answer(results.serialize(result, name), name)
    except SyntaxError as exc:
        raise QuerySyntaxError(f"bad query: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise ExecutorError(f"query failed: {exc}") from None


class InProcessExecutor:
    """Runs queries on a store in this process; the time limit is not enforced."""

    def __init__(self, store: TrialStore) -> None:
        self.store = store

    def run(self, sparql: str, substitutions: Mapping[str, Term] | None = None,
            timeout: float = 30.0, formats: Sequence[str] = (ANY,)) -> Answer:
        return execute(self.store, sparql, substitutions, formats)

    def close(self) -> None:
        pass


# --- the worker pool ---------------------------------------------------------------------------


def _encode_term(term: Term) -> tuple[str, str, str | None, str | None]:
    """Terms as plain tuples, so nothing depends on pyoxigraph objects being picklable."""
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value, None, None)
    return ("literal", term.value, term.datatype.value if not term.language else None, term.language)


def _decode_term(data: tuple[str, str, str | None, str | None]) -> Term:
    kind, value, datatype, language = data
    if kind == "iri":
        return ox.NamedNode(value)
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)


def _worker_main(conn: Connection, store_path: str) -> None:
    """A worker: open the store read-only, then answer requests until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers end
    try:
        store = TrialStore(store_path, read_only=True)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("error", "ExecutorError", f"cannot open the store at {store_path}: {exc}"))
        return
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        sparql, subs, formats = request
        try:
            answer = execute(store, sparql, {k: _decode_term(v) for k, v in subs.items()}, formats)
            conn.send(("ok", answer.body, answer.format))
        except ExecutorError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
        except Exception as exc:  # noqa: BLE001 - the worker must survive any one query
            conn.send(("error", "ExecutorError", f"query failed: {exc}"))


_ERRORS: dict[str, type[ExecutorError]] = {
    cls.__name__: cls
    for cls in (ExecutorError, QuerySyntaxError, RemoteAccessRefused, NotAcceptable, QueryTimeout)
}


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, store_path: str) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, store_path), daemon=True,
                                   name="trialgraph-query-worker")
        self.process.start()
        child.close()
        if not self.conn.poll(READY_WAIT):
            self.kill()
            raise ExecutorError(f"a query worker did not start within {READY_WAIT:.0f} s")
        try:
            message = self.conn.recv()
        except EOFError:
            self.kill()
            raise ExecutorError("a query worker ended while starting") from None
        if message[0] != "ready":
            self.kill()
            raise _ERRORS.get(message[1], ExecutorError)(message[2])

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        self.kill()


class WorkerPool:
    """N worker processes, each with a read-only store; overrunning queries are killed."""

    def __init__(self, store_path: str | os.PathLike[str], workers: int = 2) -> None:
        path = Path(store_path)
        if not path.exists():
            raise FileNotFoundError(f"no store at {path}: load something first")
        self.store_path = str(path)
        self.size = max(1, workers)
        methods = mp.get_all_start_methods()
        self._ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._closed = False
        for _ in range(self.size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.store_path)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replenish(self) -> None:
        """Start a worker in place of a killed one, off the request's path (it takes a moment)."""
        try:
            worker = self._spawn()
        except (ExecutorError, OSError):
            return  # `run` tries again when it finds the pool short
        if self._closed:
            self._retire(worker)
        else:
            self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def run(self, sparql: str, substitutions: Mapping[str, Term] | None = None,
            timeout: float = 30.0, formats: Sequence[str] = (ANY,)) -> Answer:
        if self._closed:
            raise ExecutorError("the query executor is shut down")
        refuse_remote(sparql)  # before a worker is even taken
        with self._lock:
            short = len(self._all) == 0
        if short:  # every replacement failed so far: try once more, in the open
            self._idle.put(self._spawn())
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"the server is busy: no query worker became free within {timeout:g} s; "
                               f"try again later") from None
        replace = False
        try:
            request = (sparql, {k: _encode_term(v) for k, v in (substitutions or {}).items()}, list(formats))
            worker.conn.send(request)
            if not worker.conn.poll(timeout):
                replace = True
                raise QueryTimeout(f"the query ran longer than the {timeout:g} s limit and was cancelled")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            replace = True
            raise ExecutorError("the query worker ended unexpectedly (out of memory?); "
                                "the query was not answered") from None
        finally:
            if replace:
                self._retire(worker)
                threading.Thread(target=self._replenish, daemon=True).start()
            elif not self._closed:
                self._idle.put(worker)
        if reply[0] == "ok":
            return Answer(reply[1], reply[2])
        raise _ERRORS.get(reply[1], ExecutorError)(reply[2])

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.stop()
