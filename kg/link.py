"""Trial identity across source documents: the same trial from several sources is one trial.

Within one IRI scheme this is free: every source that gives a trial's NCT id (or other registry id)
names the same IRI. What remains are trials that two sources name differently:

- a record lists, as a secondary id, an id that is another trial's registry id or NCT id (a CT.gov
  record naming its EudraCT number, an EU CTR record naming its NCT number);
- a page with no id at all (seed 002, a Veeva page) gets a content-derived `trial/TG-...` IRI, and
  matches a trial with an id when the normalised title and the lead sponsor node are the same.

`link_trials` is a pass over the whole store after loading. It writes, into one graph of its own
that every run replaces (so links always reflect what is loaded now, and never pile up),
`owl:sameAs` both ways, one `tg:TrialMatch` node per pair saying how and from which documents the
match was made, and `tg:sameTrialAs <canonical>` on every member of a same-trial cluster except
its canonical IRI (an NCT id if the cluster has one), so counting queries skip `?t` having
`tg:sameTrialAs` and count such a trial once. The joins run as SPARQL in the store; Python only
sees candidate pairs, never the list of all trials.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pyoxigraph as ox

from kg import ntriples as nt
from kg.store import TrialStore
from kg.vocab import BASE, OWL_SAME_AS, PROV, RDF_TYPE, RDFS_LABEL, TG, key

LINKS_GRAPH = BASE + "graph/links"
TRIAL_BASE = BASE + "trial/"
ANONYMOUS_BASE = TRIAL_BASE + "TG-"
SECONDARY_ID = "secondary-id"
TITLE_SPONSOR = "title+sponsor"
# EU CTR gives one record per member state: the EudraCT number plus a country code.
_EUDRACT_COUNTRY = re.compile(r"^(\d{4}-\d{6}-\d{2})-[A-Z]{2,3}$")


@dataclass(frozen=True, slots=True)
class Match:
    """Two IRIs of one trial, how they were matched and on what value."""

    a: str
    b: str
    method: str
    value: str

    @property
    def pair(self) -> tuple[str, str]:
        return (self.a, self.b) if self.a < self.b else (self.b, self.a)


@dataclass
class LinkReport:
    matches: list[Match] = field(default_factory=list)
    clusters: dict[str, list[str]] = field(default_factory=dict)  # canonical IRI -> other members
    seconds: float = 0.0

    def count(self, method: str) -> int:
        return sum(1 for m in self.matches if m.method == method)


# --- finding matches ------------------------------------------------------------------------------


def secondary_id_matches(store: TrialStore) -> list[Match]:
    """Trials whose listed secondary id is another trial's registry id or NCT id."""
    q = f"""SELECT DISTINCT ?a ?b ?v WHERE {{
        ?a <{TG}secondaryId>/<{TG}idValue> ?v .
        {{ ?b <{TG}registryId> ?v }} UNION {{ ?b <{TG}nctId> ?v }}
        FILTER(?a != ?b)
    }}"""
    found = [Match(r["a"].value, r["b"].value, SECONDARY_ID, r["v"].value) for r in store.select(q)]
    return found + _eudract_country_matches(store)


def _eudract_country_matches(store: TrialStore) -> list[Match]:
    """A secondary EudraCT number against per-country EU CTR records ("2014-005181-30-DE")."""
    q = f"SELECT ?b ?id WHERE {{ ?b <{TG}registryId> ?id FILTER(REGEX(?id, \"^[0-9]{{4}}-[0-9]{{6}}-[0-9]{{2}}-[A-Z]{{2,3}}$\")) }}"
    by_base: dict[str, set[str]] = {}
    for r in store.select(q):
        if m := _EUDRACT_COUNTRY.match(r["id"].value):
            by_base.setdefault(m.group(1), set()).add(r["b"].value)
    if not by_base:
        return []
    values = " ".join(nt.string(b) for b in sorted(by_base))
    q = f"""SELECT DISTINCT ?a ?v WHERE {{ VALUES ?v {{ {values} }}
        ?a <{TG}secondaryId>/<{TG}idValue> ?v }}"""
    return [Match(r["a"].value, b, SECONDARY_ID, r["v"].value)
            for r in store.select(q) for b in sorted(by_base[r["v"].value]) if b != r["a"].value]


def title_sponsor_matches(store: TrialStore) -> list[Match]:
    """Id-less trials whose normalised title and lead sponsor node equal those of a trial with an id."""
    q = f"""SELECT ?a ?s ?t WHERE {{
        ?a a <{TG}Trial> ; <{TG}leadSponsor> ?s .
        FILTER(STRSTARTS(STR(?a), "{ANONYMOUS_BASE}"))
        {{ ?a <{TG}title> ?t }} UNION {{ ?a <{TG}officialTitle> ?t }}
    }}"""
    wanted: dict[tuple[str, str], set[str]] = {}  # (sponsor IRI, title key) -> id-less trials
    for r in store.select(q):
        if k := key(r["t"].value):
            wanted.setdefault((r["s"].value, k), set()).add(r["a"].value)
    found: set[Match] = set()
    for sponsor in sorted({s for s, _ in wanted}):
        q = f"""SELECT ?s ?b ?t WHERE {{
            ?b <{TG}leadSponsor> ?s .
            FILTER(!STRSTARTS(STR(?b), "{ANONYMOUS_BASE}"))
            {{ ?b <{TG}title> ?t }} UNION {{ ?b <{TG}officialTitle> ?t }}
        }}"""
        for r in store.select(q, {"s": ox.NamedNode(sponsor)}):
            k = key(r["t"].value)
            for a in wanted.get((sponsor, k), ()):
                found.add(Match(a, r["b"].value, TITLE_SPONSOR, f"{k} | {sponsor.rsplit('/', 1)[-1]}"))
    return sorted(found, key=lambda m: (m.pair, m.value))


def stated_same_as(store: TrialStore) -> list[tuple[str, str]]:
    """owl:sameAs between loaded trials that documents state themselves (NCT secondary ids)."""
    q = f"""SELECT DISTINCT ?a ?b WHERE {{
        GRAPH ?g {{ ?a <{OWL_SAME_AS}> ?b }} FILTER(?g != <{LINKS_GRAPH}>)
        ?a a <{TG}Trial> . ?b a <{TG}Trial> . FILTER(?a != ?b)
    }}"""
    return [(r["a"].value, r["b"].value) for r in store.select(q)]


# --- clusters -------------------------------------------------------------------------------------


def canonical(members: Iterable[str]) -> str:
    """The IRI a cluster is counted under: an NCT id if any, else the first IRI."""
    ordered = sorted(members)
    ncts = [m for m in ordered if m.startswith(TRIAL_BASE + "NCT")]
    return (ncts or ordered)[0]


def clusters(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Canonical IRI -> the other IRIs of its same-trial cluster (union-find over the pairs)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    out: dict[str, list[str]] = {}
    for members in groups.values():
        c = canonical(members)
        out[c] = sorted(members - {c})
    return out


# --- writing --------------------------------------------------------------------------------------


def _graphs_of(store: TrialStore, trials: set[str]) -> dict[str, list[str]]:
    """Trial IRI -> the document graphs that describe it (their tg:describesTrial)."""
    if not trials:
        return {}
    values = " ".join(f"<{t}>" for t in sorted(trials))
    q = f"SELECT ?t ?g WHERE {{ VALUES ?t {{ {values} }} GRAPH ?g {{ ?g <{TG}describesTrial> ?t }} }}"
    out: dict[str, list[str]] = {}
    for r in store.query(q, union=False):
        out.setdefault(r["t"].value, []).append(r["g"].value)
    return {t: sorted(gs) for t, gs in out.items()}


def _match_iri(m: Match) -> str:
    a, b = m.pair
    return BASE + "link/" + hashlib.sha256(f"{a}|{b}|{m.method}".encode()).hexdigest()[:24]


def link_statements(matches: list[Match], groups: dict[str, list[str]], graphs: dict[str, list[str]],
                    when: datetime) -> str:
    """N-Triples of the links graph."""
    at = nt.typed(when.replace(microsecond=0).isoformat(), nt.XSD_DATETIME)
    a_, label = nt.iri(RDF_TYPE), nt.iri(RDFS_LABEL)
    lines: set[str] = set()
    g = nt.iri(LINKS_GRAPH)
    lines |= {f"{g} {a_} <{PROV}Entity>", f"{g} {label} {nt.string('trial identity links')}",
              f"{g} <{PROV}generatedAtTime> {at}"}
    for m in matches:
        a, b = m.pair
        lines.add(f"<{a}> <{OWL_SAME_AS}> <{b}>")
        lines.add(f"<{b}> <{OWL_SAME_AS}> <{a}>")
        node = nt.iri(_match_iri(m))
        lines |= {f"{node} {a_} <{TG}TrialMatch>",
                  f"{node} {label} {nt.string(f'same trial ({m.method}): {_short(a)} = {_short(b)}')}",
                  f"{node} <{TG}matchedTrial> <{a}>", f"{node} <{TG}matchedTrial> <{b}>",
                  f"{node} <{TG}matchMethod> {nt.string(m.method)}",
                  f"{node} <{TG}matchKey> {nt.string(m.value)}",
                  f"{node} <{PROV}generatedAtTime> {at}"}
        lines |= {f"{node} <{PROV}wasDerivedFrom> <{doc}>" for t in (a, b) for doc in graphs.get(t, ())}
    for canon, others in groups.items():
        lines |= {f"<{o}> <{TG}sameTrialAs> <{canon}>" for o in others}
    return "".join(f"{line} .\n" for line in sorted(lines))


def _short(iri: str) -> str:
    return iri.removeprefix(TRIAL_BASE)


def link_trials(store: TrialStore, now: datetime | None = None) -> LinkReport:
    """Recompute every cross-document trial link and replace the links graph with them."""
    started = time.perf_counter()
    found = secondary_id_matches(store) + title_sponsor_matches(store)
    unique: dict[tuple[tuple[str, str], str], Match] = {}
    for m in found:
        unique.setdefault((m.pair, m.method), m)
    matches = sorted(unique.values(), key=lambda m: (m.pair, m.method))
    groups = clusters([m.pair for m in matches] + stated_same_as(store))
    # The queries above read no triple of the links graph, so old links never feed new ones;
    # the new graph replaces the old in one transaction.
    if matches or groups:
        graphs = _graphs_of(store, {t for m in matches for t in m.pair})
        store.replace_graph(LINKS_GRAPH, link_statements(matches, groups, graphs,
                                                         now or datetime.now(timezone.utc)))
    elif store.has_graph(LINKS_GRAPH):
        store.drop_graph(LINKS_GRAPH)
    return LinkReport(matches, groups, time.perf_counter() - started)
