"""`trialgraph fetch` against a real local HTTP server replaying real CT.gov v2 studies.

The server (127.0.0.1, ephemeral port) serves the 30 studies of a real website download
(`ctgov-v2/managementbc/dataset/ctg-studies.json`) as API v2 pages: it honours `pageSize`, hands
out synthetic `nextPageToken`s, records every request, and can be told to fail. Sleeping and the
clock are injected, so backoff and rate limiting are checked without waiting. Nothing touches
the internet.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from kg.fetch import (
    STATE_FILE, FetchError, FetchState, QueryMismatch, RequestRejected, fetch_command, fetch_studies,
    normalise_statuses, retry_after_seconds,
)
from kg.store import TrialStore
from tests.conftest import require_corpus

SOURCE = ("ctgov-v2", "managementbc", "dataset", "ctg-studies.json")
TOKEN_PREFIX = "tok-"


@dataclass
class Request:
    params: dict[str, str]
    user_agent: str


@dataclass
class Replay:
    """What the server serves and what it saw; mutated by tests between runs."""

    studies: list[dict]
    requests: list[Request] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)  # 200 bodies, in order
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)  # next answers
    fail_at: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # offset -> permanent error
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self.script:
            return self.script.pop(0)
        token = params.get("pageToken")
        offset = int(token[len(TOKEN_PREFIX):]) if token else 0
        if offset in self.fail_at:
            status, body = self.fail_at[offset]
            return status, {}, body
        size = int(params.get("pageSize") or 10)
        chunk = self.studies[offset:offset + size]
        page: dict = {"studies": chunk}
        if offset + size < len(self.studies):
            page["nextPageToken"] = f"{TOKEN_PREFIX}{offset + size}"
        body = json.dumps(page, ensure_ascii=False).encode("utf-8")
        self.sent.append(body)
        return 200, {"Content-Type": "application/json"}, body

    def tokens(self) -> list[str | None]:
        return [r.params.get("pageToken") for r in self.requests]


def _handler(replay: Replay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            with replay.lock:
                replay.requests.append(Request(params, self.headers.get("User-Agent", "")))
                if url.path != "/api/v2/studies":
                    status, headers, body = 404, {}, b"no such endpoint"
                else:
                    status, headers, body = replay.answer(params)
            self.send_response(status)
            for key, value in {"Content-Type": "text/plain", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def corpus_studies() -> list[dict]:
    data = json.loads(require_corpus(*SOURCE).read_text(encoding="utf-8"))
    assert isinstance(data, list) and len(data) == 30
    return data


@pytest.fixture()
def server(corpus_studies: list[dict]) -> Iterator[tuple[str, Replay]]:
    replay = Replay(studies=corpus_studies)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replay))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v2", replay
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class FakeTime:
    """A clock that only moves when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _fetch(base: str, out: Path, fake: FakeTime, **kw: object):
    kw.setdefault("rate_limit", None)
    return fetch_studies(out, base_url=base, sleep=fake.sleep, clock=fake.clock,
                         rng=random.Random(7), **kw)


def _nct_ids(studies: list[dict]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


def _saved_ids(files: list[Path]) -> list[str]:
    return [i for f in files for i in _nct_ids(json.loads(f.read_bytes())["studies"])]


# --- paging -------------------------------------------------------------------------------------


def test_pages_are_saved_as_sent_and_the_query_reaches_the_server(server, tmp_path, corpus_studies):
    base, replay = server
    fake = FakeTime()
    res = _fetch(base, tmp_path / "dl", fake, condition="low back pain", query_term="surgery",
                 intervention="physical therapy", status=["recruiting", "Completed"], page_size=7)
    files = sorted((tmp_path / "dl").glob("page-*.json"))
    assert [f.name for f in files] == [f"page-0000{i}.json" for i in range(1, 6)]
    assert [f.read_bytes() for f in files] == replay.sent  # byte-identical, in order
    assert res.pages == 5 and res.studies == 30 and res.complete and res.requests == 5
    assert _saved_ids(files) == _nct_ids(corpus_studies)  # every study of the source, once
    for req in replay.requests:
        assert req.params["query.cond"] == "low back pain"
        assert req.params["query.term"] == "surgery"
        assert req.params["query.intr"] == "physical therapy"
        assert req.params["filter.overallStatus"] == "RECRUITING,COMPLETED"
        assert req.params["format"] == "json" and req.params["pageSize"] == "7"
        assert req.user_agent.startswith("trialgraph/")
    assert replay.tokens() == [None, "tok-7", "tok-14", "tok-21", "tok-28"]
    state = json.loads((tmp_path / "dl" / STATE_FILE).read_text())
    assert state["pages"] == 5 and state["studies"] == 30 and state["complete"] is True
    assert state["next_page_token"] is None
    assert not list((tmp_path / "dl").glob(".*"))  # no temporary files left behind
    assert fake.sleeps == []  # no failures, no rate limit: nothing waited


def test_max_studies_stops_early_and_a_larger_max_continues(server, tmp_path, corpus_studies):
    base, replay = server
    fake = FakeTime()
    res = _fetch(base, tmp_path, fake, page_size=7, max_studies=10)
    assert res.studies == 10 and res.pages == 2 and not res.complete
    assert [r.params["pageSize"] for r in replay.requests] == ["7", "3"]  # last page asked smaller
    assert _saved_ids(res.page_files) == _nct_ids(corpus_studies)[:10]
    again = _fetch(base, tmp_path, fake, page_size=7, max_studies=10)  # same limit: nothing to do
    assert again.requests == 0 and len(replay.requests) == 2
    more = _fetch(base, tmp_path, fake, page_size=7, max_studies=20)
    assert more.resumed and more.studies == 20 and more.pages == 4
    assert replay.tokens() == [None, "tok-7", "tok-10", "tok-17"]
    assert _saved_ids(more.page_files) == _nct_ids(corpus_studies)[:20]


def test_requests_are_spaced_by_the_rate_limit(server, tmp_path):
    base, replay = server
    fake = FakeTime()
    _fetch(base, tmp_path, fake, page_size=10, rate_limit=2.0)
    assert len(replay.requests) == 3
    assert fake.sleeps == pytest.approx([0.5, 0.5])  # two waits of 1/rate between three requests


# --- failures and retries -------------------------------------------------------------------------


def test_503_is_retried_with_growing_backoff(server, tmp_path):
    base, replay = server
    replay.script = [(503, {}, b"busy")] * 3
    fake = FakeTime()
    res = _fetch(base, tmp_path, fake, page_size=10)
    assert res.studies == 30 and len(replay.requests) == 3 + 3
    assert len(fake.sleeps) == 3
    assert fake.sleeps[0] >= 1.0 and fake.sleeps[0] < fake.sleeps[1] < fake.sleeps[2]
    assert fake.sleeps[2] >= 4.0  # exponential: about 1, 2, 4 s plus jitter
    assert [f.read_bytes() for f in res.page_files] == replay.sent


def test_429_retry_after_is_honoured(server, tmp_path):
    base, replay = server
    replay.script = [(429, {"Retry-After": "7"}, b"Too many requests")]
    fake = FakeTime()
    res = _fetch(base, tmp_path, fake, page_size=15)
    assert fake.sleeps == [7.0]
    assert res.studies == 30 and replay.tokens() == [None, None, "tok-15"]


def test_400_fails_at_once_with_the_api_message(server, tmp_path):
    base, replay = server
    replay.script = [(400, {}, b"unknown parameter value: filter.overallStatus\n")]
    fake = FakeTime()
    with pytest.raises(RequestRejected) as err:
        _fetch(base, tmp_path, fake, page_size=10, retries=5)
    message = str(err.value)
    assert "HTTP 400" in message and "unknown parameter value: filter.overallStatus" in message
    assert f"{base}/studies?" in message
    assert len(replay.requests) == 1 and fake.sleeps == []
    assert not list(tmp_path.glob("page-*.json"))


def test_persistent_5xx_gives_up_naming_url_and_status(server, tmp_path):
    base, replay = server
    replay.fail_at[0] = (502, b"bad gateway upstream")
    fake = FakeTime()
    with pytest.raises(FetchError) as err:
        _fetch(base, tmp_path, fake, page_size=10, retries=3)
    assert "after 4 attempts" in str(err.value) and "HTTP 502" in str(err.value)
    assert "bad gateway upstream" in str(err.value) and f"{base}/studies?" in str(err.value)
    assert len(replay.requests) == 4 and len(fake.sleeps) == 3


def test_connection_errors_are_retried_then_reported(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeTime()
    with pytest.raises(FetchError) as err:
        _fetch(f"http://127.0.0.1:{port}/api/v2", tmp_path, fake, retries=2)
    assert "after 3 attempts" in str(err.value) and "ConnectError" in str(err.value)
    assert f"127.0.0.1:{port}/api/v2/studies" in str(err.value)
    assert len(fake.sleeps) == 2


def test_interrupted_run_resumes_without_refetching(server, tmp_path, corpus_studies):
    base, replay = server
    replay.fail_at[20] = (500, b"internal error")  # page 3 of 10-study pages fails for good
    fake = FakeTime()
    with pytest.raises(FetchError):
        _fetch(base, tmp_path, fake, page_size=10, retries=2)
    assert [f.name for f in sorted(tmp_path.glob("page-*.json"))] == ["page-00001.json",
                                                                     "page-00002.json"]
    state = FetchState.read(tmp_path / STATE_FILE)
    assert (state.pages, state.studies, state.next_page_token, state.complete) == (2, 20, "tok-20", False)
    assert replay.tokens() == [None, "tok-10", "tok-20", "tok-20", "tok-20"]
    replay.fail_at.clear()
    replay.requests.clear()
    res = _fetch(base, tmp_path, fake, page_size=10, retries=2)
    assert replay.tokens() == ["tok-20"]  # pages 1-2 were not asked for again
    assert res.resumed and res.requests == 1 and res.pages == 3 and res.complete
    assert [f.read_bytes() for f in res.page_files] == replay.sent
    assert _saved_ids(res.page_files) == _nct_ids(corpus_studies)


def test_a_different_query_into_the_same_folder_is_refused(server, tmp_path):
    base, replay = server
    fake = FakeTime()
    _fetch(base, tmp_path, fake, condition="back pain", page_size=15)
    before = len(replay.requests)
    with pytest.raises(QueryMismatch) as err:
        _fetch(base, tmp_path, fake, condition="asthma", page_size=15)
    assert "different query" in str(err.value) and "back pain" in str(err.value)
    assert "--restart" in str(err.value)
    assert len(replay.requests) == before  # refused before asking the server
    res = _fetch(base, tmp_path, fake, condition="asthma", page_size=30, restart=True)
    assert res.pages == 1 and not res.resumed
    assert [f.name for f in res.page_files] == ["page-00001.json"]  # old pages gone
    assert replay.requests[-1].params["query.cond"] == "asthma"


def test_unknown_status_and_bad_sizes_are_rejected_before_any_request(tmp_path):
    assert normalise_statuses("recruiting, not yet recruiting") == ("RECRUITING", "NOT_YET_RECRUITING")
    assert normalise_statuses(["Active-not-recruiting", "RECRUITING"]) == (
        "ACTIVE_NOT_RECRUITING", "RECRUITING")
    with pytest.raises(ValueError, match="unknown overall status 'ongoing'"):
        fetch_studies(tmp_path, status="ongoing", base_url="http://127.0.0.1:9/none")
    with pytest.raises(ValueError, match="page size"):
        fetch_studies(tmp_path, page_size=1001, base_url="http://127.0.0.1:9/none")
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert retry_after_seconds("soon") is None


# --- the command ----------------------------------------------------------------------------------


def _trials_in(store_dir: Path) -> set[str]:
    store = TrialStore(store_dir, read_only=True)
    rows = store.query("SELECT DISTINCT ?id WHERE { ?t a tg:Trial ; tg:nctId ?id }")
    count = next(iter(store.query("SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tg:Trial }")))
    ids = {r["id"].value for r in rows}
    assert int(count["n"].value) == len(ids)
    return ids


def test_cli_fetches_and_loads_exactly_the_served_trials(server, tmp_path, corpus_studies):
    base, replay = server
    store, out = tmp_path / "store", tmp_path / "dl"
    args = ["--base-url", base, "--out", str(out), "--page-size", "8", "--rate", "1000",
            "--condition", "back pain", "--status", "completed", "--status", "recruiting,withdrawn"]
    result = CliRunner().invoke(fetch_command, [*args, "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "fetched 4 pages, 30 studies" in result.output
    assert "4 files: 4 loaded, 0 skipped, 0 failed; 30 trials" in result.output
    assert replay.requests[0].params["filter.overallStatus"] == "COMPLETED,RECRUITING,WITHDRAWN"
    assert _trials_in(store) == set(_nct_ids(corpus_studies))
    # the store can also come from the CLI group (ctx.obj); a complete download asks nothing more
    again = CliRunner().invoke(fetch_command, args, obj=store)
    assert again.exit_code == 0, again.output
    assert "fetched 0 pages" in again.output and "4 skipped" in again.output
    assert len(replay.requests) == 4


def test_cli_refuses_another_query_and_reports_api_errors(server, tmp_path):
    base, replay = server
    out = tmp_path / "dl"
    first = CliRunner().invoke(fetch_command, ["--base-url", base, "--out", str(out), "--no-load",
                                               "--max", "5", "--condition", "a"])
    assert first.exit_code == 0, first.output
    assert "fetched 1 pages, 5 studies" in first.output and "more available" in first.output
    assert not (tmp_path / "store").exists()
    other = CliRunner().invoke(fetch_command, ["--base-url", base, "--out", str(out), "--no-load",
                                               "--condition", "b"])
    assert other.exit_code == 2 and "different query" in other.output
    replay.script = [(400, {}, b"pageToken: invalid")]
    bad = CliRunner().invoke(fetch_command, ["--base-url", base, "--out", str(out), "--no-load",
                                             "--max", "6", "--condition", "a"])
    assert bad.exit_code == 2 and "pageToken: invalid" in bad.output
    status = CliRunner().invoke(fetch_command, ["--base-url", base, "--status", "ongoing"])
    assert status.exit_code == 2 and "unknown overall status" in status.output
