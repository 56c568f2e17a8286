"""The real server: waitress on 127.0.0.1 over an on-disk store, queries in worker processes."""

from __future__ import annotations

import gc
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
from waitress.server import create_server

import server
from kg.vocab import TG, trial_iri
from test_canned import A, B, build_store

pytestmark = pytest.mark.server

# A cross product over 3 x 2,000 synthetic triples: billions of rows, so it can only end by
# being cancelled.
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { ?a <http://example.org/p> ?x . "
        "?b <http://example.org/p> ?y . ?c <http://example.org/p> ?z }")


def _wait_until_up(base: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as r:
                if json.load(r)["ok"]:
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("http") / "store"
    store = build_store(path)
    filler = "".join(f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" .\n" for i in range(2000))
    store.replace_graph("http://example.org/filler", filler)
    store.flush()
    del store
    gc.collect()  # release the writer before read-only workers open the store

    app = server.create_app(store_path=path, timeout=1.0)
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.effective_port}"
    try:
        _wait_until_up(base)
        yield base
    finally:
        httpd.close()
        thread.join(10)
        app.extensions["trialgraph"].executor.close()


def test_select_json_with_sparqlwrapper(base_url: str) -> None:
    client = SPARQLWrapper(base_url + "/sparql")
    client.setQuery("SELECT ?t ?id WHERE { ?t tg:nctId ?id } ORDER BY ?id")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [r["id"]["value"] for r in rows] == [A, B, "NCT91000003"]
    assert rows[0]["t"]["value"] == trial_iri(A)


def test_construct_turtle_with_sparqlwrapper(base_url: str) -> None:
    client = SPARQLWrapper(base_url + "/sparql")
    client.setQuery("CONSTRUCT { ?t tg:leadSponsor ?s } WHERE { ?t tg:leadSponsor ?s }")
    client.setReturnFormat(TURTLE)
    body = client.query().response.read()
    triples = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
    assert len(triples) == 4
    assert {t.predicate.value for t in triples} == {TG + "leadSponsor"}


def test_slow_query_is_cancelled_and_the_server_keeps_answering(base_url: str) -> None:
    url = base_url + "/sparql?" + urllib.parse.urlencode({"query": SLOW})
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=60)
    elapsed = time.monotonic() - started
    assert info.value.code == 503
    assert "1 s limit and was cancelled" in json.load(info.value)["error"]
    assert elapsed < 20  # cut at the limit, not run to the end
    # Both workers (the survivor and the replacement) answer afterwards.
    for _ in range(4):
        with urllib.request.urlopen(base_url + "/queries/sponsors", timeout=30) as r:
            assert r.status == 200
            assert len(json.load(r)["results"]["bindings"]) == 3


def test_canned_query_and_errors_over_http(base_url: str) -> None:
    url = base_url + "/queries/trials-by-condition?" + urllib.parse.urlencode({"condition": "esophageal"})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/csv"}), timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/csv")
        lines = r.read().decode().strip().split("\r\n")
    assert len(lines) == 3  # header + B + the ChiCTR trial
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(base_url + "/sparql?query=SELEC", timeout=30)
    assert info.value.code == 400 and "bad query" in json.load(info.value)["error"]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(base_url + "/sparql?" + urllib.parse.urlencode(
            {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}), timeout=30)
    assert info.value.code == 400


def test_health_over_http(base_url: str) -> None:
    with urllib.request.urlopen(base_url + "/health", timeout=30) as r:
        health = json.load(r)
    assert health["ok"] is True and health["trials"] == 4 and health["timeout"] == 1.0
