"""The endpoint through Flask's test client: every route, negotiation case and refusal."""

from __future__ import annotations

import json
from datetime import datetime, timezone
import re
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

import server
from kg.executor import RemoteAccessRefused, refuse_remote
from kg.store import TrialStore
from kg.vocab import TG, trial_iri
from test_canned import A, B, PEKING, build_store

SD = "http://www.w3.org/ns/sparql-service-description#"
SELECT = "SELECT ?t WHERE { ?t a tg:Trial } ORDER BY ?t"
CONSTRUCT = "CONSTRUCT { ?t tg:nctId ?id } WHERE { ?t tg:nctId ?id }"
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def app() -> Flask:
    return server.create_app(build_store())


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def writable() -> Iterator[tuple[FlaskClient, TrialStore]]:
    store = build_store()
    yield server.create_app(store, update_token=TOKEN).test_client(), store


def trials_in(body: bytes) -> list[str]:
    return [b["t"]["value"] for b in json.loads(body)["results"]["bindings"]]


ALL = sorted(trial_iri(t) for t in (A, B, "NCT91000003", "ChiCTR2300000001"))


# --- /sparql: queries and negotiation ----------------------------------------------------------


def test_get_select_defaults_to_sparql_json(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": SELECT})
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    assert trials_in(r.data) == ALL


@pytest.mark.parametrize(("accept", "media", "check"), [
    ("application/sparql-results+xml", "application/sparql-results+xml", b"<sparql"),
    ("text/csv", "text/csv", b"t\r\nhttps://w3id.org/trialgraph/trial/"),
    ("text/tab-separated-values", "text/tab-separated-values", b"?t\n<https://w3id.org/trialgraph/trial/"),
    ("text/html;q=0.9, text/csv;q=0.5", "text/csv", b"t\r\n"),  # html not offered: next best
    ("application/json", "application/sparql-results+json", b'"bindings"'),
    ("*/*", "application/sparql-results+json", b'"bindings"'),
])
def test_select_negotiation(client: FlaskClient, accept: str, media: str, check: bytes) -> None:
    r = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200, r.data
    assert r.mimetype == media
    assert check in r.data


def test_format_parameter_overrides_accept(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": SELECT, "format": "csv"},
                   headers={"Accept": "application/sparql-results+xml"})
    assert r.mimetype == "text/csv"
    assert r.data.decode().split("\r\n")[1:5] == ALL
    assert client.get("/sparql", query_string={"query": SELECT, "format": "pdf"}).status_code == 400


@pytest.mark.parametrize(("accept", "media", "fmt"), [
    (None, "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_construct_negotiation(client: FlaskClient, accept: str | None, media: str,
                               fmt: ox.RdfFormat) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", query_string={"query": CONSTRUCT}, headers=headers)
    assert r.status_code == 200 and r.mimetype == media
    triples = {(t.subject.value, t.object.value) for t in ox.parse(r.data, format=fmt)}
    assert (trial_iri(A), A) in triples and len(triples) == 3  # three trials have an NCT id


def test_ask(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": f"ASK {{ <{trial_iri(B)}> tg:leadSponsor ?s }}"})
    assert json.loads(r.data)["boolean"] is True


def test_not_acceptable(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406 and "error" in r.json
    r = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/turtle"})
    assert r.status_code == 406
    assert "fits a solutions result" in r.json["error"]
    r = client.get("/sparql", query_string={"query": CONSTRUCT},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 406


def test_post_forms_and_direct_bodies(client: FlaskClient) -> None:
    r = client.post("/sparql", data={"query": SELECT})
    assert r.status_code == 200 and trials_in(r.data) == ALL
    r = client.post("/sparql", data=SELECT, content_type="application/sparql-query")
    assert r.status_code == 200 and trials_in(r.data) == ALL
    r = client.post("/sparql", data=SELECT, content_type="text/plain")
    assert r.status_code == 415
    assert client.post("/sparql", data={"format": "json"}).status_code == 400  # neither query nor update


def test_bad_query_gives_400_with_the_parser_message(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "SELEC ?x WHERE { ?x ?p ?o }"})
    assert r.status_code == 400
    assert r.mimetype == "application/json"
    assert r.json["error"].startswith("bad query: error at 1:")


def test_dataset_parameters_are_refused(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": SELECT, "default-graph-uri": "http://example.org/g"})
    assert r.status_code == 400 and "union of all graphs" in r.json["error"]


def test_service_description(client: FlaskClient) -> None:
    r = client.get("/sparql")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = list(ox.parse(r.data, format=ox.RdfFormat.TURTLE))
    po = {(t.predicate.value, t.object.value) for t in g}
    assert ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", SD + "Service") in po
    assert (SD + "endpoint", "http://localhost/sparql") in po
    assert (SD + "supportedLanguage", SD + "SPARQL11Query") in po
    assert (SD + "supportedLanguage", SD + "SPARQL11Update") not in po  # updates are off here
    assert (SD + "resultFormat", "http://www.w3.org/ns/formats/SPARQL_Results_JSON") in po
    assert (SD + "resultFormat", "http://www.w3.org/ns/formats/Turtle") in po


def test_cors(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": SELECT}, headers={"Origin": "https://elsewhere.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    pre = client.options("/sparql", headers={"Origin": "https://elsewhere.example",
                                             "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in pre.headers["Access-Control-Allow-Headers"]


# --- no outbound requests ----------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
    "SELECT * WHERE { # comment\n\tSeRvIcE<http://127.0.0.1:9/>{?s ?p ?o} }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
])
def test_service_is_refused(client: FlaskClient, query: str) -> None:
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 400
    assert "SERVICE" in r.json["error"]


@pytest.mark.parametrize("query", [
    'SELECT ?t WHERE { ?t a tg:Trial FILTER(?t != "SERVICE <http://x/> {}") }',
    "SELECT ?t WHERE { ?t a tg:Trial } # SERVICE <http://x/> { }",
    "SELECT ?t WHERE { ?t a tg:Trial FILTER(?t != <http://example.org/SERVICE>) }",
    "SELECT ?service WHERE { ?service a tg:Trial }",
    "PREFIX service: <http://example.org/> SELECT ?t WHERE { ?t a tg:Trial FILTER(?t != service:x) }",
])
def test_service_lookalikes_are_not_refused(client: FlaskClient, query: str) -> None:
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 200, r.data
    assert len(json.loads(r.data)["results"]["bindings"]) == 4


def test_load_is_refused_in_updates() -> None:
    with pytest.raises(RemoteAccessRefused):
        refuse_remote("LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://example.org/g>", update=True)
    with pytest.raises(RemoteAccessRefused):
        refuse_remote("load silent <http://127.0.0.1:9/x>", update=True)
    refuse_remote('INSERT DATA { <http://example.org/a> <http://example.org/b> "LOAD <http://x/>" }',
                  update=True)


# --- updates ------------------------------------------------------------------------------------

INSERT = 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/x> a tg:Trial } }'


def test_updates_refused_when_no_token_is_configured(client: FlaskClient) -> None:
    r = client.post("/sparql", data=INSERT, content_type="application/sparql-update",
                    headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "disabled" in r.json["error"]
    assert client.get("/sparql", query_string={"update": INSERT}).status_code == 400


def test_updates_need_the_right_token(writable: tuple[FlaskClient, TrialStore]) -> None:
    client, store = writable
    before = len(store.ox)
    r = client.post("/sparql", data=INSERT, content_type="application/sparql-update")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = client.post("/sparql", data=INSERT, content_type="application/sparql-update",
                    headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403
    r = client.post("/sparql", data={"update": INSERT}, headers={"Authorization": f"Basic {TOKEN}"})
    assert r.status_code == 403
    assert len(store.ox) == before
    assert client.get("/health").json["trials"] == 4
    r = client.post("/sparql", data=INSERT, content_type="application/sparql-update",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204
    assert len(store.ox) == before + 1
    assert client.get("/health").json["trials"] == 5  # the count follows updates
    r = client.post("/sparql", data={"update": "DROP GRAPH <http://example.org/g>"},
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204 and len(store.ox) == before
    sd = {(t.predicate.value, t.object.value) for t in ox.parse(client.get("/sparql").data,
                                                                 format=ox.RdfFormat.TURTLE)}
    assert (SD + "supportedLanguage", SD + "SPARQL11Update") in sd


def test_an_update_is_followed_by_the_counts(writable: tuple[FlaskClient, TrialStore]) -> None:
    """sites-by-country reads graph/counts: an update that adds a site shows in it at once."""
    client, store = writable
    [row] = list(store.query("SELECT ?t WHERE { ?t a tg:Trial } ORDER BY ?t LIMIT 1"))  # type: ignore[arg-type]
    added = (f'INSERT DATA {{ GRAPH <http://example.org/sites> {{ <{row["t"].value}> tg:hasSite '
             '<http://example.org/site/1> . <http://example.org/site/1> tg:country "Atlantis" } }')

    def atlantis() -> list[dict[str, object]]:
        r = client.get("/queries/sites-by-country?country=Atlantis", headers={"Accept": "application/json"})
        assert r.status_code == 200
        return [{k: v["value"] for k, v in b.items()} for b in r.json["results"]["bindings"]]

    assert atlantis() == []
    r = client.post("/sparql", data=added, content_type="application/sparql-update",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204
    [found] = atlantis()
    assert (found["countryName"], found["sites"], found["trials"]) == ("Atlantis", "1", "1")


def test_update_errors(writable: tuple[FlaskClient, TrialStore]) -> None:
    client, store = writable
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.post("/sparql", data="INSERT DATTA { }", content_type="application/sparql-update", headers=auth)
    assert r.status_code == 400 and r.json["error"].startswith("bad update")
    r = client.post("/sparql", data="LOAD <http://127.0.0.1:9/x.ttl>",
                    content_type="application/sparql-update", headers=auth)
    assert r.status_code == 400 and "LOAD" in r.json["error"]


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(server.TOKEN_ENV, TOKEN)
    client = server.create_app(build_store()).test_client()
    r = client.post("/sparql", data=INSERT, content_type="application/sparql-update",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204


# --- canned queries ------------------------------------------------------------------------------


def test_query_list(client: FlaskClient) -> None:
    listed = {q["name"]: q for q in client.get("/queries").json}
    assert "trials-sharing-interventions" in listed
    assert listed["trial-summary"]["params"][0] == {
        "name": "trial", "kind": "trial", "required": True, "default": None,
        "description": "the trial, as NCT id (or other registry id) or trial IRI"}


def test_canned_query_runs_with_negotiation(client: FlaskClient) -> None:
    r = client.get("/queries/sponsors", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert PEKING in r.data.decode()
    r = client.get("/queries/trials-by-intervention", query_string={"intervention": "methotrexate"})
    got = {b["trial"]["value"] for b in r.json["results"]["bindings"]}
    assert got == {trial_iri(A), trial_iri(B), trial_iri("NCT91000003")}
    r = client.get("/queries/trial-summary", query_string={"trial": A, "format": "tsv"})
    assert r.mimetype == "text/tab-separated-values"


def test_canned_query_errors(client: FlaskClient) -> None:
    r = client.get("/queries/trial-summary")
    assert r.status_code == 400 and "needs parameter 'trial'" in r.json["error"]
    r = client.get("/queries/trial-summary", query_string={"trial": A, "bogus": "1"})
    assert r.status_code == 400 and "unknown parameter(s) bogus" in r.json["error"]
    r = client.get("/queries/trial-summary", query_string={"trial": "NCT1> } ; DROP ALL ; #"})
    assert r.status_code == 400
    r = client.get("/queries/no-such-query")
    assert r.status_code == 404 and "no canned query" in r.json["error"]


# --- export, trial pages, health, the web page -----------------------------------------------------


@pytest.mark.parametrize(("fmt", "media", "rdf"), [
    ("turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("ntriples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("nquads", "application/n-quads", ox.RdfFormat.N_QUADS),
    ("trig", "application/trig", ox.RdfFormat.TRIG),
    ("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_export(client: FlaskClient, fmt: str, media: str, rdf: ox.RdfFormat) -> None:
    r = client.get("/export", query_string={"format": fmt})
    assert r.status_code == 200 and r.mimetype == media
    assert r.is_streamed
    subjects = {q.subject.value for q in ox.parse(r.data, format=rdf)}
    assert {trial_iri(t) for t in (A, B)} <= subjects
    assert "attachment" in r.headers["Content-Disposition"]


def test_export_bad_format(client: FlaskClient) -> None:
    r = client.get("/export", query_string={"format": "csv"})
    assert r.status_code == 400 and "unknown export format" in r.json["error"]


def test_trial_page(client: FlaskClient) -> None:
    r = client.get(f"/trial/{A}")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    triples = list(ox.parse(r.data, format=ox.RdfFormat.TURTLE))
    assert (trial_iri(A), TG + "nctId", A) in {(t.subject.value, t.predicate.value, t.object.value)
                                                for t in triples}
    assert not any(t.subject.value == trial_iri(B) for t in triples)  # only this trial
    r = client.get(f"/trial/{A}", headers={"Accept": "application/ld+json"})
    assert r.mimetype == "application/ld+json"
    assert any(t.subject.value == trial_iri(A) for t in ox.parse(r.data, format=ox.RdfFormat.JSON_LD))
    assert client.get("/trial/NCT00000000").status_code == 404
    assert client.get(f"/trial/{A}", headers={"Accept": "image/png"}).status_code == 406


def test_health(client: FlaskClient) -> None:
    health = client.get("/health").json
    derived_at = health.pop("counts_derived_at")
    assert health == {"ok": True, "trials": 4, "store": "in-memory", "updates": False, "timeout": 30.0}
    assert derived_at and datetime.fromisoformat(derived_at) <= datetime.now(timezone.utc)


def test_health_says_when_counts_were_never_derived() -> None:
    from kg.counts import COUNTS_GRAPH

    store = build_store()
    store.drop_graph(COUNTS_GRAPH)
    assert server.create_app(store).test_client().get("/health").json["counts_derived_at"] is None


def test_errors_are_json(client: FlaskClient) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "error" in r.json
    r = client.delete("/sparql")
    assert r.status_code == 405 and "error" in r.json


def test_web_page_is_self_contained_and_escaped(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    page = r.data.decode()
    # Nothing the browser would load from another host.
    assert not re.search(r'(?:src|href|action)\s*=\s*"(?:https?:)?//', page, re.I)
    assert "<textarea" in page and "<select" in page
    for name in ("trials-sharing-interventions", "recruiting-by-condition-country"):
        assert f'data-name="{name}"' in page
    # Query text is shown escaped: the canned SPARQL's `<` and quotes never reach the page raw.
    assert "?trial tg:hasIntervention" in page
    assert 'separator=&#34; | &#34;' in page or "separator=&quot; | &quot;" in page
    js = client.get("/static/app.js")
    assert js.status_code == 200 and b"innerHTML" not in js.data.replace(b"(never innerHTML)", b"")
    assert client.get("/static/style.css").status_code == 200
