"""The SPARQL endpoint and web page: SPARQL 1.1 Protocol over the trial store, canned queries,
exports and a small HTML page for people.

Queries run through a `kg.executor` executor: by default a pool of worker processes over a
read-only store, so a runaway query is killed at its time limit instead of holding the server.
Updates are accepted only when an update token is configured and only with that token; they run
in this process on a writable store. The server never fetches anything from elsewhere on a
query's behalf (SERVICE and LOAD are refused) and the page loads nothing from other hosts.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kg import canned, export, results
from kg.executor import (
    ANY, Executor, ExecutorError, InProcessExecutor, NotAcceptable, QuerySyntaxError, WorkerPool,
    refuse_remote,
)
from kg.counts import COUNTS_GRAPH
from kg.pipeline import derive
from kg.store import TrialStore, store_path as default_store_path
from kg.vocab import PREFIXES, PROV, RDF_TYPE, TG

WEB = Path(__file__).resolve().parent / "kg" / "web"
TOKEN_ENV = "TRIALGRAPH_UPDATE_TOKEN"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_W3 = "http://www.w3.org/ns/formats/"
# Media types a client may send -> formats, best first; which one applies depends on the
# result kind (a SELECT cannot be Turtle), so the choice is made once the result is known.
ACCEPT_FORMATS: dict[str, list[str]] = {}
for _media, _name in results.MEDIA_TYPES.items():
    ACCEPT_FORMATS.setdefault(_media, []).append(_name)
ACCEPT_FORMATS["text/plain"] = ["table", "ntriples"]
ACCEPT_FORMATS["application/json"] = ["json", "jsonld"]
# The formats the endpoint offers (the service description lists them).
W3_FORMATS = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
              "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples",
              "jsonld": "JSON-LD", "rdfxml": "RDF_XML"}
TRIAL_FORMATS = {"text/turtle": "turtle", "application/ld+json": "jsonld",
                 "application/n-triples": "ntriples"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class ApiError(Exception):
    """An error answered as JSON `{"error": message}` with this status."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


# --- content negotiation ------------------------------------------------------------------------


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    """`Accept` entries with their q-values, best first (stable for equal q)."""
    out: list[tuple[str, float, int]] = []
    for i, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((fields[0].lower(), q, i))
    out.sort(key=lambda x: (-x[1], x[2]))
    return [(m, q) for m, q, _ in out]


def preferred_formats(format_param: str | None, accept: str | None) -> list[str]:
    """Format names in the client's order of preference; `ANY` where the kind's default is fine."""
    if format_param:
        name = format_param.strip().lower()
        if name not in results.FORMATS:
            raise ApiError(400, f"unknown format {format_param!r}; known: {', '.join(results.FORMATS)}")
        return [name]
    if not accept or not accept.strip():
        return [ANY]
    names: list[str] = []
    for media, _ in _accept_ranges(accept):
        if media in ("*/*", "*"):
            names.append(ANY)
        elif media.endswith("/*"):
            top = media[:-1]
            names += [f.name for f in results.FORMATS.values() if f.media_type.startswith(top)]
        else:
            names += ACCEPT_FORMATS.get(media, [])
    return list(dict.fromkeys(names))


# --- the app ------------------------------------------------------------------------------------


class Endpoint:
    """What the routes share: the store, the executor, the limits and the update token."""

    def __init__(self, store: TrialStore, executor: Executor, timeout: float,
                 update_token: str | None, label: str) -> None:
        self.store = store
        self.executor = executor
        self.timeout = timeout
        self.update_token = update_token
        self.label = label
        self._trials: int | None = None
        self._lock = threading.Lock()

    def trial_count(self) -> int:
        """Counted once and kept (the store is read-only unless updates are on, which reset it)."""
        with self._lock:
            if self._trials is None:
                trial = ox.NamedNode(TG + "Trial")
                self._trials = len({q.subject for q in self.store.ox.quads_for_pattern(
                    None, ox.NamedNode(RDF_TYPE), trial, None)})
            return self._trials

    def counts_derived_at(self) -> str | None:
        """When graph/counts was last derived (None: never, so the counting queries answer
        nothing until `trialgraph derive` or a load)."""
        return self.store.graph_property(COUNTS_GRAPH, PROV + "generatedAtTime")

    def changed(self) -> None:
        with self._lock:
            self._trials = None

def create_app(store: TrialStore | None = None, *, store_path: str | os.PathLike[str] | None = None,
               update_token: str | None = None, timeout: float = 30.0) -> Flask:
    """The Flask app. With `store`, queries run in-process on it; with `store_path` and no update
    token, a worker pool serves queries from that store opened read-only."""
    token = update_token if update_token is not None else os.environ.get(TOKEN_ENV) or None
    executor: Executor | None = None
    if store is None:
        path = default_store_path(store_path)
        if token is None:  # read-only: a worker pool, whose time limit really stops a query
            executor = WorkerPool(path)
        store = TrialStore(path, read_only=token is None)
        label = str(path)
    else:
        label = str(store.path) if store.path else "in-memory"
    executor = executor or InProcessExecutor(store)
    if token and store.read_only:
        raise ValueError("updates need a writable store; the given store is read-only")

    app = Flask(__name__, template_folder=str(WEB / "templates"), static_folder=str(WEB / "static"),
                static_url_path="/static")
    app.config["JSON_SORT_KEYS"] = False
    ep = Endpoint(store, executor, timeout, token, label)
    app.extensions["trialgraph"] = ep
    _routes(app, ep)
    return app


def _json_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    resp = jsonify({"error": message})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _answer(ep: Endpoint, sparql: str, subs: Mapping[str, Any] | None = None) -> Response:
    prefs = preferred_formats(request.args.get("format") or request.form.get("format"),
                              request.headers.get("Accept"))
    if not prefs:
        raise ApiError(406, f"none of the media types in Accept ({request.headers.get('Accept')}) is "
                            f"offered; use e.g. application/sparql-results+json or text/turtle")
    answer = ep.executor.run(sparql, subs, ep.timeout, prefs)
    return Response(answer.body, status=200, content_type=_with_charset(answer.media_type),
                    headers={"Vary": "Accept"})


def _with_charset(media: str) -> str:
    return f"{media}; charset=utf-8" if media.startswith("text/") else media


def _routes(app: Flask, ep: Endpoint) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return _json_error(exc.status, exc.message, exc.headers)

    @app.errorhandler(ExecutorError)
    def _executor_error(exc: ExecutorError) -> Response:
        return _json_error(exc.status, str(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return _json_error(exc.code or 500, exc.description or exc.name)

    @app.after_request
    def _cors(resp: Response) -> Response:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Expose-Headers"] = "Content-Type, Content-Disposition"
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    @app.route("/sparql", methods=["OPTIONS"])
    @app.route("/queries", methods=["OPTIONS"])
    @app.route("/queries/<name>", methods=["OPTIONS"])
    @app.route("/trial/<path:tid>", methods=["OPTIONS"])
    @app.route("/export", methods=["OPTIONS"])
    def _preflight(**_: str) -> Response:
        resp = Response(status=204)
        resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
        resp.headers["Access-Control-Max-Age"] = "86400"
        return resp

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        if request.args.get("default-graph-uri") or request.args.get("named-graph-uri") \
                or request.form.get("default-graph-uri") or request.form.get("named-graph-uri"):
            raise ApiError(400, "default-graph-uri and named-graph-uri are not supported: the default "
                                "graph is the union of all graphs; use GRAPH or FROM in the query")
        query, update = _protocol_operation()
        if update is not None:
            return _update(ep, update)
        if query is None:
            return _service_description(ep)
        return _answer(ep, query)

    @app.get("/queries")
    def list_queries() -> Response:
        return jsonify([q.as_dict() for q in canned.queries().values()])

    @app.get("/queries/<name>")
    def run_canned(name: str) -> Response:
        try:
            q = canned.get(name)
        except KeyError as exc:
            raise ApiError(404, str(exc.args[0])) from None
        values = {k: v for k, v in request.args.items() if k != "format"}
        try:
            subs = q.bind(values)
        except canned.ParameterError as exc:
            raise ApiError(400, str(exc)) from None
        return _answer(ep, q.text, subs)

    @app.get("/export")
    def export_all() -> Response:
        fmt = (request.args.get("format") or "turtle").lower()
        if fmt not in export.EXPORT_FORMATS:
            raise ApiError(400, f"unknown export format {fmt!r}; known: {', '.join(export.EXPORT_FORMATS)}")
        chunks = export.iter_export(ep.store, fmt)
        name = f"trialgraph.{export.EXTENSIONS[fmt]}"
        return Response(chunks, content_type=_with_charset(export.MEDIA_TYPES[fmt]),
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/trial/<path:tid>")
    def trial(tid: str) -> Response:
        fmt = _trial_format(request.args.get("format"), request.headers.get("Accept"))
        try:
            body = export.export_bytes(ep.store, fmt, trials=[tid])
        except KeyError:
            raise ApiError(404, f"no trial {tid!r} in this store") from None
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return Response(body, content_type=_with_charset(export.MEDIA_TYPES[fmt]), headers={"Vary": "Accept"})

    @app.get("/health")
    def health() -> Response:
        return jsonify({"ok": True, "trials": ep.trial_count(), "store": ep.label,
                        "updates": bool(ep.update_token), "timeout": ep.timeout,
                        "counts_derived_at": ep.counts_derived_at()})

    @app.get("/")
    def index() -> Response:
        queries = list(canned.queries().values())
        html = render_template("index.html", queries=queries, examples=EXAMPLE_QUERIES,
                               trials=ep.trial_count(), updates=bool(ep.update_token))
        resp = Response(html, content_type="text/html; charset=utf-8")
        resp.headers["Content-Security-Policy"] = CSP
        return resp


def _protocol_operation() -> tuple[str | None, str | None]:
    """(query, update) from a SPARQL 1.1 Protocol request; at most one is set."""
    if request.method == "GET":
        if "update" in request.args:
            raise ApiError(400, "updates must be sent with POST")
        return request.args.get("query"), None
    ctype = (request.mimetype or "").lower()
    if ctype == "application/sparql-query":
        return request.get_data(as_text=True), None
    if ctype == "application/sparql-update":
        return None, request.get_data(as_text=True)
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        query, update = request.form.get("query"), request.form.get("update")
        if query is not None and update is not None:
            raise ApiError(400, "send either query= or update=, not both")
        if query is None and update is None:
            raise ApiError(400, "a POST needs a query= or update= form field")
        return query, update
    raise ApiError(415, f"unsupported content type {ctype or 'none'!r}; use application/sparql-query, "
                        f"application/sparql-update or a form")


def _update(ep: Endpoint, update: str) -> Response:
    if not ep.update_token:
        raise ApiError(403, "updates are disabled on this server")
    auth = request.headers.get("Authorization", "")
    if not auth:
        raise ApiError(401, "updates need credentials: Authorization: Bearer <token>",
                       {"WWW-Authenticate": 'Bearer realm="trialgraph"'})
    scheme, _, given = auth.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), ep.update_token.encode()):
        raise ApiError(403, "wrong update token")
    store = ep.store
    refuse_remote(update, update=True)
    try:
        store.ox.update(update, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QuerySyntaxError(f"bad update: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise ApiError(500, f"update failed: {exc}") from None
    derive(store)  # links and counts follow what is in the store now, whatever the update touched
    ep.changed()
    return Response(status=204)


def _service_description(ep: Endpoint) -> Response:
    """SPARQL 1.1 Service Description of this endpoint, in Turtle unless asked otherwise."""
    prefs = preferred_formats(request.args.get("format"), request.headers.get("Accept"))
    fmt = next((p if p != ANY else "turtle" for p in prefs
                if p == ANY or (p in results.FORMATS and results.FORMATS[p].for_triples)), None)
    if fmt is None:
        raise NotAcceptable("the service description is RDF: ask for text/turtle, application/ld+json, "
                            "application/n-triples or application/rdf+xml")
    endpoint = ox.NamedNode(request.base_url)
    service = ox.BlankNode("service")
    sd = lambda local: ox.NamedNode(SD + local)  # noqa: E731
    triples = [
        ox.Triple(service, ox.NamedNode(RDF_TYPE), sd("Service")),
        ox.Triple(service, sd("endpoint"), endpoint),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
    ]
    if ep.update_token:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for local in W3_FORMATS.values():
        triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS_W3 + local)))
    body = results.serialize_rdf(triples, fmt)
    return Response(body, content_type=_with_charset(results.FORMATS[fmt].media_type),
                    headers={"Vary": "Accept"})


def _trial_format(format_param: str | None, accept: str | None) -> str:
    if format_param:
        name = format_param.lower()
        if name not in TRIAL_FORMATS.values():
            raise ApiError(400, f"unknown trial format {format_param!r}; known: "
                                f"{', '.join(TRIAL_FORMATS.values())}")
        return name
    if not accept:
        return "turtle"
    for media, _ in _accept_ranges(accept):
        if media in TRIAL_FORMATS:
            return TRIAL_FORMATS[media]
        if media in ("*/*", "text/*", "application/*"):
            return "turtle" if media != "application/*" else "jsonld"
    raise ApiError(406, "a trial is available as text/turtle, application/ld+json or application/n-triples")


EXAMPLE_QUERIES: list[dict[str, str]] = [
    {"title": "Trials and their titles",
     "query": "SELECT ?trial ?title WHERE {\n  ?trial a tg:Trial ; tg:title ?title .\n}\nLIMIT 20"},
    {"title": "Trials under a concept (e.g. every methotrexate form)",
     "query": "SELECT DISTINCT ?trial ?name WHERE {\n  ?concept rdfs:label \"methotrexate\" .\n"
              "  ?trial tg:hasIntervention ?term .\n  ?term skos:broader* ?concept ; rdfs:label ?name .\n}"},
    {"title": "Recruiting trials with their sites' countries",
     "query": "SELECT ?trial ?country WHERE {\n  ?trial tg:overallStatus tg:Recruiting ;\n"
              "         tg:hasSite/tg:country ?country .\n}\nLIMIT 50"},
    {"title": "One trial's graph (CONSTRUCT)",
     "query": "CONSTRUCT { ?trial ?p ?o } WHERE {\n  ?trial a tg:Trial ; ?p ?o .\n}\nLIMIT 50"},
]


def serve(store_path: str | os.PathLike[str] | None, host: str = "127.0.0.1", port: int = 5000,
          timeout: float = 30.0) -> None:
    """Run the endpoint with waitress until interrupted."""
    from waitress import serve as waitress_serve

    app = create_app(store_path=store_path, timeout=timeout)
    try:
        waitress_serve(app, host=host, port=port, threads=8, channel_timeout=max(120, int(timeout) * 4))
    finally:
        app.extensions["trialgraph"].executor.close()


def main() -> None:  # pragma: no cover - `python server.py [store]`
    import sys

    serve(sys.argv[1] if len(sys.argv) > 1 else None)


if __name__ == "__main__":  # pragma: no cover
    main()
