"""The counts graph: figures that counting queries would otherwise recompute over the whole
registry for every question.

`graph/counts` holds, each counting a trial known under several IRIs once (under its canonical
IRI, see `kg.link`): trials per intervention node (the document frequency the intervention network
weighs shared nodes by), the network's candidate edges for every `min_shared`, and sites and
trials per site country. `intervention-network` and `sites-by-country` read it, which keeps them
at seconds and milliseconds at registry scale instead of minutes.

It is derived from the loaded documents and says which ones: its `tg:sha256` is a digest of every
document's (graph, checksum, build) and of the vocabulary (`sources_digest`). `kg.pipeline`
re-derives whenever that digest differs from the store's, so an interrupted load, a single
`load_file` or a store from an older version is caught up by the next load, not left stale.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

import numpy as np
import pyoxigraph as ox

from kg import ntriples as nt
from kg.store import TrialStore
from kg.vocab import BASE, PROV, RDF_TYPE, RDFS_LABEL, SKOS, TG, VOCABULARY_GRAPH

COUNTS_GRAPH = BASE + "graph/counts"
COUNTRY_BASE = BASE + "count/country/"
EDGE_BASE = BASE + "count/edge/"

NETWORK_MIN_DF, NETWORK_MAX_DF = 2, 100  # intervention-network's nodes: under 2 to 100 trials
NETWORK_EDGES = 2000  # intervention-network's LIMIT
# The query rounds weights to 4 decimals (half up) after summing in its own order; pairs within
# one rounding step below the cut are kept too, so a sum rounded the other way is never lost.
_WEIGHT_STEP = 1e-4

# Counted by queries over the union of all graphs (a SPARQL update could only read the real
# default graph) and written as one graph replacement, so one transaction: readers see the old
# counts or the new, never none. The counts graph holds none of the predicates counted here.
# The country figures leave aliases out (MINUS); distinct (trial, site) and (site, country) pairs
# first: joining the raw patterns over the union of graphs took 7x as long.
_COUNTRY_COUNTS = f"""SELECT ?countryName (COUNT(DISTINCT ?site) AS ?sites)
                          (COUNT(DISTINCT ?trial) AS ?trials)
WHERE {{
    {{ SELECT DISTINCT ?trial ?site WHERE {{ ?trial <{TG}hasSite> ?site }} }}
    {{ SELECT DISTINCT ?site ?countryName WHERE {{ ?site <{TG}country> ?countryName }} }}
    MINUS {{ ?trial <{TG}sameTrialAs> ?canonical }}
}} GROUP BY ?countryName"""
def sources_digest(store: TrialStore) -> str | None:
    """What the derived graphs are derived from: every finished document (graph, checksum,
    build) and the vocabulary the counts follow; None for a store with no document."""
    lines = sorted(f"{g} {sha} {v}" for g, (sha, v) in store.documents().items())
    if not lines:
        return None
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode() + b"\n")
    h.update(f"vocabulary {store.graph_sha(VOCABULARY_GRAPH)}".encode())
    return h.hexdigest()


def derived_from(store: TrialStore) -> str | None:
    """The digest the counts graph states, None when there is no counts graph."""
    return store.graph_property(COUNTS_GRAPH, "sha256")


def intervention_memberships(store: TrialStore) -> dict[str, set[str]]:
    """Intervention node (a term, or a concept directly above a term) -> the trials under it,
    each by its canonical IRI.

    Three flat queries joined here: each shared node's triples repeat in every document that
    uses it, and the same join in SPARQL over the union of graphs took 6x as long."""
    aliases = f"SELECT ?t ?c WHERE {{ ?t <{TG}sameTrialAs> ?c }}"
    canonical = {r["t"].value: r["c"].value for r in store.select(aliases)}
    above: dict[str, list[str]] = {}  # term -> concepts directly above it
    q = f"""SELECT DISTINCT ?x ?node WHERE {{
        {{ SELECT DISTINCT ?x WHERE {{ ?t <{TG}hasIntervention> ?x }} }} ?x <{SKOS}broader> ?node }}"""
    for r in store.select(q):
        if isinstance(r["node"], ox.NamedNode):
            above.setdefault(str(r["x"]), []).append(r["node"].value)
    members: dict[str, set[str]] = {}
    for r in store.select(f"SELECT DISTINCT ?t ?x WHERE {{ ?t <{TG}hasIntervention> ?x }}"):
        t, x = canonical.get(r["t"].value, r["t"].value), r["x"]
        if isinstance(x, ox.NamedNode):
            members.setdefault(x.value, set()).add(t)
        for node in above.get(str(x), ()):
            members.setdefault(node, set()).add(t)
    return members


def _round_half_up(weights: np.ndarray) -> np.ndarray:
    """SPARQL's ROUND (halves up), to 4 decimals, as the query rounds weights."""
    return np.floor(weights * 10000 + 0.5) / 10000


def network_candidates(members: dict[str, set[str]],
                       limit: int = NETWORK_EDGES) -> dict[tuple[str, str], list[int]]:
    """The trial pairs that can be among intervention-network's `limit` heaviest edges, each with
    the values k of `min_shared` for which it can: for every k, the heaviest pairs sharing at
    least k nodes, and every pair within one rounding step of the last one.

    A pair's weight adds 1/df over its shared nodes of 2 to 100 trials, as the query does; the
    query recomputes weights for these pairs only, so a few extra candidates never show in its
    numbers. Counting pairs (two million at 60,000 trials, tens of millions at registry scale) is
    what the query cannot do in time; as int64 codes in numpy arrays it takes seconds."""
    nodes = [sorted(t) for t in members.values() if NETWORK_MIN_DF <= len(t) <= NETWORK_MAX_DF]
    trials = sorted({t for ts in nodes for t in ts})  # index order = IRI order, so a < b as strings
    if not trials:
        return {}
    index = {t: i for i, t in enumerate(trials)}
    n = np.int64(len(trials))
    codes, weights = [], []
    for ts in nodes:
        ids = np.fromiter((index[t] for t in ts), dtype=np.int64, count=len(ts))
        first, second = np.triu_indices(len(ts), k=1)
        codes.append(ids[first] * n + ids[second])
        weights.append(np.full(len(first), 1.0 / len(ts)))
    pair, where = np.unique(np.concatenate(codes), return_inverse=True)
    weight = _round_half_up(np.bincount(where, weights=np.concatenate(weights)))
    shared = np.bincount(where)
    order = np.lexsort((-shared, -weight))  # heaviest first, then most shared
    pair, weight, shared = pair[order], weight[order], shared[order]
    out: dict[tuple[str, str], list[int]] = {}
    for k in range(1, int(shared.max()) + 1):
        eligible = np.flatnonzero(shared >= k)
        if len(eligible) > limit:
            cut = weight[eligible[limit - 1]] - _WEIGHT_STEP * 1.5
            eligible = eligible[:max(limit, int(np.count_nonzero(weight[eligible] >= cut)))]
        for code in pair[eligible].tolist():
            out.setdefault((trials[code // len(trials)], trials[code % len(trials)]), []).append(k)
    return out


def _intervention_lines(members: dict[str, set[str]]) -> list[str]:
    return [f"<{node}> <{TG}interventionTrialCount> {nt.typed(str(len(trials)), nt.XSD_INTEGER)}"
            for node, trials in members.items()]


def _order_lines(members: dict[str, set[str]]) -> list[str]:
    """Each trial under an intervention node (by canonical IRI) with its position in IRI order.

    intervention-network breaks ties between equally heavy edges by the IRIs of their ends;
    Oxigraph sorts a few hundred thousand edges by IRI in seconds, by these numbers in a
    fraction of one. Python's string order is code point order, as SPARQL's on IRIs."""
    trials = sorted(set().union(*members.values()))
    return [f"<{t}> <{TG}iriOrder> {nt.typed(str(i), nt.XSD_INTEGER)}" for i, t in enumerate(trials)]


def _edge_lines(members: dict[str, set[str]]) -> list[str]:
    lines = []
    for (a, b), ks in network_candidates(members).items():
        edge = nt.iri(EDGE_BASE + hashlib.sha256(f"{a}|{b}".encode()).hexdigest()[:24])
        lines += [f"{edge} {nt.iri(RDF_TYPE)} <{TG}NetworkEdge>", f"{edge} <{TG}edgeFrom> <{a}>",
                  f"{edge} <{TG}edgeTo> <{b}>"]
        lines += [f"{edge} <{TG}minShared> {nt.typed(str(k), nt.XSD_INTEGER)}" for k in ks]
    return lines


def _country_lines(store: TrialStore) -> list[str]:
    lines = []
    for r in store.select(_COUNTRY_COUNTS):
        name = r["countryName"]
        node = nt.iri(COUNTRY_BASE + hashlib.sha256(str(name).encode()).hexdigest()[:24])
        lines += [f"{node} {nt.iri(RDF_TYPE)} <{TG}CountryCount>", f"{node} {nt.iri(RDFS_LABEL)} {name}",
                  f"{node} <{TG}siteCount> {r['sites']}", f"{node} <{TG}trialCount> {r['trials']}"]
    return lines


def count_statements(store: TrialStore, when: datetime, digest: str | None = None) -> str:
    """N-Triples of the counts graph: its provenance (with the digest of what it was derived
    from), document frequency per intervention node, trials' IRI order, the network's candidate
    edges, figures per country."""
    at = nt.typed(when.replace(microsecond=0).isoformat(), nt.XSD_DATETIME)
    g = nt.iri(COUNTS_GRAPH)
    lines = [f"{g} {nt.iri(RDF_TYPE)} <{PROV}Entity>", f"{g} {nt.iri(RDFS_LABEL)} {nt.string('derived counts')}",
             f"{g} <{PROV}generatedAtTime> {at}"]
    if digest := digest or sources_digest(store):
        lines.append(f"{g} <{TG}sha256> {nt.string(digest)}")
    members = intervention_memberships(store)
    lines += _intervention_lines(members) + _order_lines(members) + _edge_lines(members)
    lines += _country_lines(store)
    return "".join(f"{line} .\n" for line in lines)


def refresh_counts(store: TrialStore, now: datetime | None = None, digest: str | None = None) -> float:
    """Recompute the counts graph (seconds taken). `digest`: the sources digest taken before the
    links were derived, so the graph states what it was computed from."""
    started = time.perf_counter()
    store.replace_graph(COUNTS_GRAPH, count_statements(store, now or datetime.now(timezone.utc), digest))
    return time.perf_counter() - started
