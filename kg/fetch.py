"""`trialgraph fetch`: page through the ClinicalTrials.gov API v2 and keep every page as received.

Why it is built this way:

- Pages are saved byte for byte (`page-00001.json`, ...) so the store can always be rebuilt from
  what the registry actually said, and the `ctgov-json` loader reads them like any other download.
  Each page is written to a hidden temporary file and renamed, so a crash never leaves half a page.
- `fetch-state.json` records the query, the pages saved and the next page token after every page:
  an interrupted download (network gone, laptop closed) continues where it stopped instead of
  hammering the registry again from page 1. A different query into the same folder is refused,
  because mixing two result sets would silently load trials nobody asked for.
- The registry is shared by everybody: requests are spaced (`rate`, default below its documented
  limit of about 50 requests a minute), transient failures (connection errors, timeouts, 429, 5xx)
  are retried with exponential backoff plus jitter, and `Retry-After` is honoured. Other 4xx
  answers mean the request itself is wrong, so they fail at once with the API's own message.
- Sleeping, the clock and the random source are injectable so tests never really wait.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000  # the API coerces larger sizes down to this
DEFAULT_RATE = 0.8  # requests per second: 48 a minute, under the API's ~50 a minute per address
DEFAULT_RETRIES = 5
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
BACKOFF_MAX = 120.0
RETRY_AFTER_MAX = 900.0  # a longer Retry-After than this is treated as "give up"
TIMEOUT = httpx.Timeout(60.0, connect=15.0)
STATE_FILE = "fetch-state.json"
STATE_VERSION = 1
PAGE_PATTERN = "page-{:05d}.json"
DOWNLOADS_DIR = Path("data/downloads")
# `Status` enum of the v2 OpenAPI spec (2.0.5): the values `filter.overallStatus` accepts.
OVERALL_STATUSES = (
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING",
    "RECRUITING", "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class FetchError(Exception):
    """A download that cannot go on; the message names the URL, status and what to do."""


class QueryMismatch(FetchError):
    """The output folder already holds a different query's pages."""


class RequestRejected(FetchError):
    """The API refused the request itself (a 4xx other than 429): retrying cannot help."""


# --- the query --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchQuery:
    """What selects the studies; two runs with equal queries may share (resume) a folder.

    Page size and the study limit are not part of it: the API allows a different page size for
    every page, so a rerun may change them and still continue the same result set.
    """

    base_url: str = DEFAULT_BASE_URL
    query_term: str | None = None
    condition: str | None = None
    intervention: str | None = None
    statuses: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        """The API parameters of this query (paging parameters are added per request)."""
        params = {"format": "json"}
        for key, value in (("query.term", self.query_term), ("query.cond", self.condition),
                           ("query.intr", self.intervention)):
            if value:
                params[key] = value
        if self.statuses:
            params["filter.overallStatus"] = ",".join(self.statuses)
        return params

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["statuses"] = list(self.statuses)
        return data

    def digest(self) -> str:
        """A short stable name for the query: the default download folder."""
        text = json.dumps(self.as_json(), sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def describe(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self.params().items() if k != "format"]
        return f"{self.base_url} " + (" ".join(parts) or "(all studies)")


def normalise_statuses(status: str | Iterable[str] | None) -> tuple[str, ...]:
    """`RECRUITING`, `recruiting,completed`, `["not yet recruiting"]` -> API enum names, checked."""
    if status is None:
        return ()
    items = [status] if isinstance(status, str) else list(status)
    out: list[str] = []
    for item in items:
        for word in str(item).split(","):
            name = "_".join(word.replace("-", " ").upper().split())
            if not name:
                continue
            if name not in OVERALL_STATUSES:
                raise ValueError(f"unknown overall status {word.strip()!r}: expected one of "
                                 f"{', '.join(OVERALL_STATUSES)}")
            if name not in out:
                out.append(name)
    return tuple(out)


def make_query(*, base_url: str = DEFAULT_BASE_URL, query_term: str | None = None,
               condition: str | None = None, intervention: str | None = None,
               status: str | Iterable[str] | None = None) -> FetchQuery:
    return FetchQuery(base_url=base_url.rstrip("/"), query_term=query_term or None,
                      condition=condition or None, intervention=intervention or None,
                      statuses=normalise_statuses(status))


def default_out_dir(query: FetchQuery) -> Path:
    return DOWNLOADS_DIR / query.digest()


# --- the state file ------------------------------------------------------------------------------


@dataclass
class FetchState:
    """What has been saved so far; rewritten (atomically) after every page."""

    query: dict[str, Any]
    pages: int = 0
    studies: int = 0
    next_page_token: str | None = None
    complete: bool = False  # the last page had no nextPageToken
    version: int = STATE_VERSION

    @classmethod
    def read(cls, path: Path) -> FetchState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"unsupported version {data.get('version')!r}")
            return cls(query=dict(data["query"]), pages=int(data["pages"]),
                       studies=int(data["studies"]), next_page_token=data.get("next_page_token"),
                       complete=bool(data["complete"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise FetchError(f"{path}: unreadable fetch state ({exc}); rerun with --restart to "
                             f"start this download again") from exc

    def write(self, path: Path) -> None:
        atomic_write(path, (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode("utf-8"))


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside the target under a hidden name, then rename: readers see all or nothing."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def page_files(out_dir: Path) -> list[Path]:
    return sorted(out_dir.glob("page-*.json"))


def _prepare(out_dir: Path, query: FetchQuery, restart: bool) -> FetchState:
    """The state to continue from: a fresh one, or the folder's own if it holds this query."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state_path = out_dir / STATE_FILE
    if restart:
        for old in [*page_files(out_dir), state_path]:
            old.unlink(missing_ok=True)
    if not state_path.exists():
        if page_files(out_dir):
            raise QueryMismatch(f"{out_dir} already holds pages but no {STATE_FILE}: use another "
                                f"folder, or --restart to delete them and start again")
        return FetchState(query=query.as_json())
    state = FetchState.read(state_path)
    if state.query != query.as_json():
        raise QueryMismatch(f"{out_dir} holds a different query ({_describe_saved(state.query)}); "
                            f"use another --out folder, or --restart to replace it with this query")
    missing = [PAGE_PATTERN.format(n) for n in range(1, state.pages + 1)
               if not (out_dir / PAGE_PATTERN.format(n)).is_file()]
    if missing:
        raise FetchError(f"{out_dir}: {STATE_FILE} lists {state.pages} pages but {missing[0]} is "
                         f"missing; rerun with --restart")
    return state


def _describe_saved(data: dict[str, Any]) -> str:
    try:
        return FetchQuery(**{**data, "statuses": tuple(data.get("statuses") or ())}).describe()
    except TypeError:
        return json.dumps(data, sort_keys=True)


# --- HTTP with politeness -------------------------------------------------------------------------


def user_agent() -> str:
    try:
        from importlib.metadata import version
        ver = version("trialgraph")
    except Exception:  # not installed (running from a checkout)
        ver = "0"
    return f"trialgraph/{ver} (clinical-trials knowledge graph; fetch)"


@dataclass
class Politeness:
    """Request spacing and retry policy, with injectable time so tests never wait."""

    rate: float | None = DEFAULT_RATE  # requests per second; None or 0: no spacing
    retries: int = DEFAULT_RETRIES
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    backoff_base: float = BACKOFF_BASE
    backoff_max: float = BACKOFF_MAX
    _last_request: float | None = None

    def wait_turn(self) -> None:
        """Space request starts at least 1/rate seconds apart (retries included)."""
        if self.rate and self._last_request is not None:
            delay = self._last_request + 1.0 / self.rate - self.clock()
            if delay > 0:
                self.sleep(delay)
        self._last_request = self.clock()

    def backoff(self, attempt: int) -> float:
        """Exponential (1, 2, 4 ... s) plus up to 25 % jitter, so clients do not retry in step."""
        base = min(self.backoff_max, self.backoff_base * 2 ** attempt)
        return base * (1.0 + 0.25 * self.rng.random())


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _api_message(response: httpx.Response) -> str:
    """The API's own error text, on one line and not too long."""
    text = response.text.strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            text = str(data.get("message") or data.get("error") or text)
    except ValueError:
        pass
    text = " ".join(text.split())
    return (text[:500] + "...") if len(text) > 500 else (text or "(no message)")


def _status_text(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def get_page(client: httpx.Client, url: str, params: dict[str, str], polite: Politeness) -> bytes:
    """One GET with retries; the body as received, or FetchError naming the URL and status."""
    attempts = polite.retries + 1
    last = ""
    full_url = str(httpx.URL(url, params=params))
    for attempt in range(attempts):
        polite.wait_turn()
        delay: float | None = None
        try:
            response = client.get(url, params=params,
                                  headers={"User-Agent": user_agent(), "Accept": "application/json"})
        except httpx.TransportError as exc:  # connection refused/reset, timeouts, broken responses
            last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if response.status_code == 200:
                return response.content
            last = f"{_status_text(response)}: {_api_message(response)}"
            if response.status_code not in RETRY_STATUSES:
                raise RequestRejected(f"GET {full_url} was refused: {last}")
            if response.status_code == 429:
                delay = retry_after_seconds(response.headers.get("Retry-After"))
                if delay is not None and delay > RETRY_AFTER_MAX:
                    raise FetchError(f"GET {full_url}: {last}; the server asks to wait {delay:.0f} s "
                                     f"(Retry-After), try again later")
        if attempt + 1 < attempts:
            polite.sleep(delay if delay is not None else polite.backoff(attempt))
    raise FetchError(f"GET {full_url} failed after {attempts} attempts; last: {last}")


# --- paging ---------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    out_dir: Path
    query: FetchQuery
    new_pages: list[Path] = field(default_factory=list)  # saved by this run
    pages: int = 0  # in the folder, this run included
    new_studies: int = 0
    studies: int = 0
    requests: int = 0  # successful page requests of this run
    complete: bool = False  # the registry has no more pages for this query
    resumed: bool = False
    next_page_token: str | None = None
    seconds: float = 0.0

    @property
    def page_files(self) -> list[Path]:
        return page_files(self.out_dir)


def parse_page(body: bytes, url: str) -> tuple[int, str | None]:
    """(number of studies, next page token) of an API page, or FetchError if it is not one."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise FetchError(f"GET {url}: the answer is not JSON ({exc}): {body[:120]!r}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise FetchError(f"GET {url}: the answer is not a v2 studies page (no \"studies\" list)")
    token = data.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise FetchError(f"GET {url}: nextPageToken is {type(token).__name__}, expected text")
    return len(data["studies"]), (token or None)


def fetch_studies(out_dir: str | os.PathLike[str] | None = None, *, base_url: str = DEFAULT_BASE_URL,
                  query_term: str | None = None, condition: str | None = None,
                  intervention: str | None = None, status: str | Sequence[str] | None = None,
                  max_studies: int | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                  rate_limit: float | None = DEFAULT_RATE, retries: int = DEFAULT_RETRIES,
                  client: httpx.Client | None = None, restart: bool = False,
                  sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                  rng: random.Random | None = None,
                  on_page: Callable[[Path, int], None] | None = None) -> FetchResult:
    """Download every page of a query into `out_dir` (default `data/downloads/<query hash>`).

    Continues an earlier run of the same query in that folder; stops after `max_studies` studies
    in the folder (the last page is requested smaller so no page holds studies beyond it).
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    if max_studies is not None and max_studies < 1:
        raise ValueError(f"max studies must be at least 1, got {max_studies}")
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, got {retries}")
    if rate_limit is not None and rate_limit < 0:
        raise ValueError(f"rate must be positive, got {rate_limit}")
    query = make_query(base_url=base_url, query_term=query_term, condition=condition,
                       intervention=intervention, status=status)
    folder = Path(out_dir) if out_dir is not None else default_out_dir(query)
    started = clock()
    state = _prepare(folder, query, restart)
    result = FetchResult(folder, query, pages=state.pages, studies=state.studies,
                         resumed=state.pages > 0, complete=state.complete,
                         next_page_token=state.next_page_token)
    polite = Politeness(rate=rate_limit, retries=retries, sleep=sleep, clock=clock,
                        rng=rng or random.Random())
    own_client = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                  headers={"User-Agent": user_agent()})
    try:
        _page_loop(http, query, folder, state, result, polite, page_size, max_studies, on_page)
    finally:
        if own_client:
            http.close()
    result.seconds = clock() - started
    return result


def _page_loop(http: httpx.Client, query: FetchQuery, folder: Path, state: FetchState,
               result: FetchResult, polite: Politeness, page_size: int, max_studies: int | None,
               on_page: Callable[[Path, int], None] | None) -> None:
    url = f"{query.base_url}/studies"
    while not state.complete and (max_studies is None or state.studies < max_studies):
        params = query.params()
        size = page_size if max_studies is None else min(page_size, max_studies - state.studies)
        params["pageSize"] = str(size)
        if state.next_page_token:
            params["pageToken"] = state.next_page_token
        body = get_page(http, url, params, polite)
        count, token = parse_page(body, str(httpx.URL(url, params=params)))
        if token is not None and token == state.next_page_token:
            raise FetchError(f"GET {url}: the API returned the same nextPageToken again; stopping "
                             f"rather than looping")
        path = folder / PAGE_PATTERN.format(state.pages + 1)
        atomic_write(path, body)
        state.pages += 1
        state.studies += count
        state.next_page_token = token
        state.complete = token is None
        state.write(folder / STATE_FILE)
        result.requests += 1
        result.new_pages.append(path)
        result.new_studies += count
        result.pages, result.studies = state.pages, state.studies
        result.complete, result.next_page_token = state.complete, state.next_page_token
        if on_page:
            on_page(path, count)


# --- the command ----------------------------------------------------------------------------------


def _statuses_option(values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return normalise_statuses(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--status") from exc


@click.command("fetch")
@click.option("--query-term", help="Free-text query (API `query.term`, Essie syntax).")
@click.option("--condition", help="Condition or disease (API `query.cond`).")
@click.option("--intervention", help="Intervention or treatment (API `query.intr`).")
@click.option("--status", multiple=True,
              help="Overall status, e.g. RECRUITING; repeat or give a comma list.")
@click.option("--max", "max_studies", type=click.IntRange(min=1), default=None,
              help="Stop after this many studies (default: all).")
@click.option("--page-size", type=click.IntRange(1, MAX_PAGE_SIZE), default=DEFAULT_PAGE_SIZE,
              show_default=True, help="Studies per request.")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, metavar="URL",
              help="API root (a mirror or a test server).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the pages (default: data/downloads/<hash of the query>).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_RATE,
              show_default=True, help="Requests per second at most.")
@click.option("--retries", type=click.IntRange(min=0), default=DEFAULT_RETRIES, show_default=True,
              help="Retries of a failed request (with exponential backoff).")
@click.option("--restart", is_flag=True, help="Delete the folder's earlier pages and start again.")
@click.option("--no-load", is_flag=True, help="Only download; do not load the pages into the store.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Parse in this many processes while loading (0: in this one).")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Store folder (default: the group's --store, $TRIALGRAPH_STORE, ./data/store).")
@click.pass_context
def fetch_command(ctx: click.Context, query_term: str | None, condition: str | None,
                  intervention: str | None, status: tuple[str, ...], max_studies: int | None,
                  page_size: int, base_url: str, out_dir: Path | None, rate: float, retries: int,
                  restart: bool, no_load: bool, workers: int, store_dir: Path | None) -> None:
    """Download studies from the ClinicalTrials.gov API v2, then load them into the store."""
    statuses = _statuses_option(status)

    def progress(path: Path, count: int) -> None:
        click.echo(f"saved {path.name}: {count} studies", err=True)

    try:
        result = fetch_studies(out_dir, base_url=base_url, query_term=query_term, condition=condition,
                               intervention=intervention, status=statuses, max_studies=max_studies,
                               page_size=page_size, rate_limit=rate, retries=retries,
                               restart=restart, on_page=progress)
    except QueryMismatch as exc:
        _fail(str(exc), 2)
    except RequestRejected as exc:
        _fail(str(exc), 2)
    except FetchError as exc:
        _fail(f"{exc} (pages saved so far are kept; rerun the same command to continue)", 1)
    click.echo(_result_line(result))
    if no_load:
        return
    _load(ctx, result, store_dir, workers)


def _result_line(result: FetchResult) -> str:
    more = "complete" if result.complete else "more available (rerun to continue)"
    resumed = ", resumed" if result.resumed else ""
    return (f"fetched {len(result.new_pages)} pages, {result.new_studies} studies in "
            f"{result.seconds:.1f} s{resumed}; {result.out_dir}: {result.pages} pages, "
            f"{result.studies} studies, {more}")


def _fail(message: str, exit_code: int) -> NoReturn:
    from kg.cli import UserError  # imported late: kg.cli registers this command

    raise UserError(message, exit_code)


def _load(ctx: click.Context, result: FetchResult, store_dir: Path | None, workers: int) -> None:
    """Load every saved page of the folder (unchanged pages are skipped by the pipeline)."""
    from kg.cli import PARTIAL_FAILURE, summary_line
    from kg.pipeline import load_paths
    from kg.store import TrialStore, store_path

    root = ctx.find_root().obj
    path = store_path(store_dir) if store_dir else (Path(root) if root else store_path(None))
    files = result.page_files
    if not files or result.studies == 0:
        click.echo("nothing to load: the query matched no studies")
        return
    try:
        store = TrialStore(path)
    except (OSError, RuntimeError) as exc:
        _fail(f"cannot open the store at {path}: {exc}", PARTIAL_FAILURE)
    report = load_paths(store, files, workers=workers)
    click.echo(summary_line(report))
    for res in report.failed:
        click.echo(f"error: {res.errors[0] if res.errors else res.path}", err=True)
    if report.failed:
        ctx.exit(PARTIAL_FAILURE)
