"""Ranking and network queries on a hand-made registry whose answers follow from the records.

Trial X uses a rare drug (zolbetuximab), placebo, radiotherapy and pemetrexed. A shares only the
rare drug; B shares placebo and radiotherapy; twelve filler trials use placebo and radiotherapy
too, so those two are hubs. M1 and M2 use methotrexate, which meets X's pemetrexed only at the
class "antifolates". A second document describes A again without any id (same title, same lead
sponsor), so kg.link gives it a TG- IRI marked tg:sameTrialAs A: every query must count A once.

With N = 17 trials (18 IRIs, one an alias), the weights are ln(17 / trials under the node):
zolbetuximab 2 trials -> ln(17/2); antifolates 3 trials (X, M1, M2) -> ln(17/3); placebo and
radiotherapy 14 trials each (X, B, fillers) -> ln(17/14) each.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import canned, counts
from kg.mapper import trial_id
from kg.record import Intervention, Organisation, Trial
from kg.store import TrialStore
from kg.vocab import TG, concept_iri, intervention_term_iri, trial_iri
from tests.conftest import fixed_vocabulary_store, require_corpus, run_canned


CONCEPTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rank/zolbetuximab": ("zolbetuximab", ()),
    "rank/placebo": ("placebo", ()),
    "rank/radiotherapy": ("radiotherapy", ()),
    "rank/pemetrexed": ("pemetrexed", ("rank/antifolates",)),
    "rank/methotrexate": ("methotrexate", ("rank/antifolates",)),
    "rank/antifolates": ("antifolates", ()),
    "rank/gastric-cancer": ("gastric cancer", ("rank/neoplasms",)),
    "rank/breast-cancer": ("breast cancer", ("rank/neoplasms",)),
    "rank/lung-cancer": ("lung cancer", ("rank/neoplasms",)),
    "rank/neoplasms": ("neoplasms", ()),
}
TERMS: dict[str, str] = {
    "zolbetuximab": "rank/zolbetuximab", "placebo": "rank/placebo", "radiotherapy": "rank/radiotherapy",
    "pemetrexed": "rank/pemetrexed", "methotrexate": "rank/methotrexate",
    "gastric cancer": "rank/gastric-cancer", "breast cancer": "rank/breast-cancer",
    "lung cancer": "rank/lung-cancer",
}
X, A, B, M1, M2 = "NCT92000001", "NCT92000002", "NCT92000003", "NCT92000004", "NCT92000005"
FILLERS = [f"NCT9210{i:04d}" for i in range(12)]
N = 17
A_TITLE = "Zolbetuximab Monotherapy in Claudin-positive Tumours"
A_SPONSOR = Organisation("Astellas Pharma Inc", "INDUSTRY")


def iv(*names: str) -> list[Intervention]:
    return [Intervention(n, "Drug") for n in names]


def records() -> list[list[Trial]]:
    """One list per source document."""
    x = Trial(nct_id=X, title="Zolbetuximab, Pemetrexed and Radiotherapy Versus Placebo",
              interventions=iv("Zolbetuximab", "Placebo", "Radiotherapy", "Pemetrexed"),
              conditions=["Gastric Cancer"], lead_sponsor=Organisation("Sponsor X"))
    a = Trial(nct_id=A, title=A_TITLE, interventions=iv("Zolbetuximab"), conditions=["Breast Cancer"],
              lead_sponsor=A_SPONSOR)
    a_again = Trial(title=A_TITLE, interventions=iv("Zolbetuximab"), conditions=["Breast Cancer"],
                    lead_sponsor=A_SPONSOR)  # no id at all: a TG- IRI, linked to A by title+sponsor
    b = Trial(nct_id=B, title="Placebo-controlled Radiotherapy Study", interventions=iv("Placebo", "Radiotherapy"),
              conditions=["Healthy Volunteers"], lead_sponsor=Organisation("Sponsor B"))
    m1 = Trial(nct_id=M1, title="Methotrexate in Gastric Cancer", interventions=iv("Methotrexate"),
               conditions=["Gastric Cancer"], lead_sponsor=Organisation("Sponsor M"))
    m2 = Trial(nct_id=M2, title="Methotrexate in Lung Cancer", interventions=iv("Methotrexate"),
               conditions=["Lung Cancer"], lead_sponsor=Organisation("Sponsor M"))
    fillers = [Trial(nct_id=f, title=f"Filler {f}", interventions=iv("Placebo", "Radiotherapy"),
                     conditions=["Healthy Volunteers"], lead_sponsor=Organisation("Sponsor F"))
               for f in FILLERS]
    return [[x], [a], [a_again], [b], [m1], [m2]] + [[f] for f in fillers]


def build_store() -> TrialStore:
    """One graph per document of `records()`, the vocabulary graph, then links and counts."""
    documents = [(f"https://example.org/ranking/{i}.json", doc) for i, doc in enumerate(records())]
    return fixed_vocabulary_store(documents, CONCEPTS, TERMS)


@pytest.fixture(scope="module")
def store() -> Iterator[TrialStore]:
    yield build_store()


ALIAS = trial_iri(trial_id(records()[2][0]))


run = run_canned


def by_other(rows: list[dict[str, str | None]]) -> dict[str, dict[str, str | None]]:
    return {r["other"]: r for r in rows}  # type: ignore[misc]


def names(value: str | None) -> set[str]:
    return {p.rsplit(" (", 1)[0].lower() for p in value.split(" | ")} if value else set()


def idf(trials: int) -> float:
    return math.log(N / trials)


def test_the_alias_is_linked(store: TrialStore) -> None:
    ask = store.query(f"ASK {{ <{ALIAS}> tg:sameTrialAs <{trial_iri(A)}> }}")
    assert isinstance(ask, ox.QueryBoolean) and bool(ask)


# --- trials-sharing-interventions --------------------------------------------------------------


def test_a_shared_rare_drug_outranks_shared_hubs(store: TrialStore) -> None:
    rows = run(store, "trials-sharing-interventions", trial=X)
    order = [r["other"] for r in rows]
    assert order[0] == trial_iri(A)
    assert set(order[1:3]) == {trial_iri(M1), trial_iri(M2)}  # antifolates: rarer than the hubs
    got = by_other(rows)
    assert float(got[trial_iri(A)]["score"]) == pytest.approx(idf(2), abs=1e-3)  # type: ignore[arg-type]
    assert float(got[trial_iri(M1)]["score"]) == pytest.approx(idf(3), abs=1e-3)  # type: ignore[arg-type]
    # B shares two things, but both are hubs: ln(17/14) twice.
    assert float(got[trial_iri(B)]["score"]) == pytest.approx(2 * idf(14), abs=1e-3)  # type: ignore[arg-type]
    assert got[trial_iri(B)]["shared"] == "2"
    assert order.index(trial_iri(A)) < order.index(trial_iri(B))


def test_levels_are_reported(store: TrialStore) -> None:
    got = by_other(run(store, "trials-sharing-interventions", trial=X))
    a, m1, b = got[trial_iri(A)], got[trial_iri(M1)], got[trial_iri(B)]
    assert (a["sameIntervention"], a["sameConcept"], a["sameClass"]) == ("1", "0", "0")
    assert names(a["interventions"]) == {"zolbetuximab"}
    # pemetrexed vs methotrexate: different drugs, the same class.
    assert (m1["sameIntervention"], m1["sameConcept"], m1["sameClass"]) == ("0", "0", "1")
    assert names(m1["classes"]) == {"antifolates"} and not m1["interventions"]
    assert names(b["interventions"]) == {"placebo", "radiotherapy"}
    assert a["nctId"] == A and a["title"] == A_TITLE


def test_a_linked_trial_counts_once(store: TrialStore) -> None:
    rows = run(store, "trials-sharing-interventions", trial=X)
    others = [r["other"] for r in rows]
    assert ALIAS not in others and others.count(trial_iri(A)) == 1
    assert len(others) == len(set(others)) == N - 1  # everyone else shares something with X
    # Asked about the alias: the same trial as A, so neither A nor the alias is listed.
    from_alias = by_other(run(store, "trials-sharing-interventions", trial=ALIAS))
    assert set(from_alias) == {trial_iri(X)}
    assert float(from_alias[trial_iri(X)]["score"]) == pytest.approx(idf(2), abs=1e-3)  # type: ignore[arg-type]


def test_sharing_from_a_hub_only_trial(store: TrialStore) -> None:
    got = by_other(run(store, "trials-sharing-interventions", trial=B))
    assert set(got) == {trial_iri(X)} | {trial_iri(f) for f in FILLERS}
    assert {r["score"] for r in got.values()} == {got[trial_iri(X)]["score"]}  # all tie


# --- similar-trials ----------------------------------------------------------------------------


def test_similar_trials_adds_conditions(store: TrialStore) -> None:
    rows = run(store, "similar-trials", trial=X)
    order = [r["other"] for r in rows]
    got = by_other(rows)
    m1, a, m2 = got[trial_iri(M1)], got[trial_iri(A)], got[trial_iri(M2)]
    # M1: antifolates (class) + the same condition term "Gastric Cancer" (X and M1).
    assert float(m1["interventionScore"]) == pytest.approx(idf(3), abs=1e-3)  # type: ignore[arg-type]
    assert float(m1["conditionScore"]) == pytest.approx(idf(2), abs=1e-3)  # type: ignore[arg-type]
    # A: the rare drug + neoplasms (X, A, M1, M2 are under it), shared as a class only.
    assert float(a["conditionScore"]) == pytest.approx(idf(4), abs=1e-3)  # type: ignore[arg-type]
    assert names(a["conditions"]) == {"neoplasms"} and "same class" in a["conditions"]  # type: ignore[operator]
    assert names(m1["conditions"]) == {"gastric cancer"} and "same term" in m1["conditions"]  # type: ignore[operator]
    assert float(m2["score"]) == pytest.approx(idf(3) + idf(4), abs=1e-3)  # type: ignore[arg-type]
    assert order[:3] == [trial_iri(M1), trial_iri(A), trial_iri(M2)]
    b = got[trial_iri(B)]
    assert b["conditionScore"] == "0" and b["sharedConditions"] == "0" and not b["conditions"]
    assert ALIAS not in got
    for r in rows:
        assert float(r["score"]) == pytest.approx(  # type: ignore[arg-type]
            float(r["interventionScore"]) + float(r["conditionScore"]), abs=2e-3)  # type: ignore[arg-type]


# --- intervention-network ----------------------------------------------------------------------


def edges(rows: list[dict[str, str | None]]) -> dict[tuple[str, str], dict[str, str | None]]:
    return {(r["a"], r["b"]): r for r in rows}  # type: ignore[misc]


def test_network_pairs(store: TrialStore) -> None:
    rows = run(store, "intervention-network")
    got = edges(rows)
    assert all(a < b for a, b in got) and len(got) == len(rows)
    assert not any(ALIAS in pair for pair in got)
    # X and A share the zolbetuximab term and concept, each under 2 trials: 1/2 + 1/2.
    xa = got[(trial_iri(X), trial_iri(A))] if trial_iri(X) < trial_iri(A) else got[(trial_iri(A), trial_iri(X))]
    assert xa["shared"] == "2" and float(xa["weight"]) == pytest.approx(1.0)  # type: ignore[arg-type]
    assert names(xa["via"]) == {"zolbetuximab"}
    # M1 and M2: the methotrexate term and concept (2 trials each); X meets them only at a class.
    assert float(got[(trial_iri(M1), trial_iri(M2))]["weight"]) == pytest.approx(1.0)  # type: ignore[arg-type]
    assert (trial_iri(X), trial_iri(M1)) not in got
    # B and a filler: placebo and radiotherapy, term and concept, 14 trials each: 4/14.
    bf = got[(trial_iri(B), trial_iri(FILLERS[0]))]
    assert bf["shared"] == "4" and float(bf["weight"]) == pytest.approx(4 / 14, abs=1e-4)  # type: ignore[arg-type]
    weights = [float(r["weight"]) for r in rows]  # type: ignore[arg-type]
    assert weights == sorted(weights, reverse=True)


def test_network_under_a_concept(store: TrialStore) -> None:
    for value in (concept_iri("rank/zolbetuximab"), "zolbetu", intervention_term_iri("Zolbetuximab")):
        rows = run(store, "intervention-network", concept=value)
        assert [(r["a"], r["b"], r["shared"]) for r in rows] == [
            tuple(sorted((trial_iri(X), trial_iri(A)))) + ("2",)], value
    assert run(store, "intervention-network", concept=concept_iri("rank/zolbetuximab"), min_shared="3") == []
    antifolates = run(store, "intervention-network", concept=concept_iri("rank/antifolates"))
    assert {(r["a"], r["b"]) for r in antifolates} == {(trial_iri(M1), trial_iri(M2))}


def test_network_min_shared(store: TrialStore) -> None:
    # Four shared nodes (placebo and radiotherapy, term and concept): only pairs among X, B and
    # the fillers, all of them: C(14, 2).
    hub_users = {trial_iri(t) for t in [X, B, *FILLERS]}
    rows = run(store, "intervention-network", min_shared="4")
    assert len(rows) == 14 * 13 // 2
    assert all(r["shared"] == "4" and {r["a"], r["b"]} <= hub_users for r in rows)


def test_network_candidates_cover_every_min_shared_and_ties() -> None:
    """graph/counts keeps, per min_shared k, the heaviest pairs sharing >= k nodes, with ties."""
    members = {"n1": {"a", "b"}, "n2": {"a", "b", "c"}, "n3": {"c", "d"}, "alone": {"e"},
               "hub": {f"t{i}" for i in range(101)} | {"a", "e"}}
    # a-b: n1 + n2 = 1/2 + 1/3; c-d: 1/2; a-c and b-c: 1/3 each (a tie); the hub is too common.
    assert counts.network_candidates(members, limit=2) == {("a", "b"): [1, 2], ("c", "d"): [1]}
    assert counts.network_candidates(members, limit=3) == {
        ("a", "b"): [1, 2], ("c", "d"): [1], ("a", "c"): [1], ("b", "c"): [1]}


def test_network_candidates_round_as_the_query_does() -> None:
    """a-b share two nodes of 64 trials (0.03125, which SPARQL's ROUND makes 0.0313, halves up);
    c-d two of 62 and 66 (0.031281 -> 0.0313). The query ties them and takes a-b first by IRI, so
    with room for one edge sharing two nodes, a-b must be a candidate."""
    def node(pair: set[str], df: int, tag: str) -> set[str]:
        return pair | {f"{tag}{i}" for i in range(df - 2)}

    members = {"n1": node({"a", "b"}, 64, "f"), "n2": node({"a", "b"}, 64, "g"),
               "n3": node({"c", "d"}, 62, "h"), "n4": node({"c", "d"}, 66, "i")}
    candidates = counts.network_candidates(members, limit=1)
    assert 2 in candidates[("a", "b")]


def test_network_reads_the_counts_graph(store: TrialStore) -> None:
    """Without `concept` the network weighs only the pairs graph/counts lists: none, no edges."""
    edges_graph = f"""SELECT ?e WHERE {{ GRAPH <{counts.COUNTS_GRAPH}> {{ ?e a tg:NetworkEdge }} }}"""
    assert len(list(store.query(edges_graph))) >= len(run(store, "intervention-network"))  # type: ignore[arg-type]
    copy = TrialStore(in_memory=True)
    copy.ox.extend(q for q in store.ox if q.graph_name != ox.NamedNode(counts.COUNTS_GRAPH))
    assert run(copy, "intervention-network") == []
    counts.refresh_counts(copy)

    def rows(s: TrialStore) -> list[tuple[object, ...]]:  # `via` lists the shared nodes in any order
        return [(*(v for k, v in r.items() if k != "via"), sorted((r["via"] or "").split(" | ")))
                for r in run(s, "intervention-network")]
    assert rows(copy) == rows(store) != []


def test_network_ties_by_iri_order(store: TrialStore) -> None:
    """graph/counts numbers the trials in IRI order (tg:iriOrder); the network under a concept
    breaks ties by those numbers, and must order exactly as by the IRIs themselves, which it
    falls back to when the numbers are missing."""
    numbered = f"SELECT ?t ?n WHERE {{ GRAPH <{counts.COUNTS_GRAPH}> {{ ?t tg:iriOrder ?n }} }}"
    ranked = sorted(store.query(numbered), key=lambda r: int(r["n"].value))  # type: ignore[arg-type, index]
    iris = [r["t"].value for r in ranked]  # type: ignore[index]
    assert iris == sorted(iris) and len(set(iris)) == len(iris) > 10
    assert [int(r["n"].value) for r in ranked] == list(range(len(iris)))  # type: ignore[index]
    copy = TrialStore(in_memory=True)
    copy.ox.extend(q for q in store.ox if q.predicate != ox.NamedNode(TG + "iriOrder"))

    def rows(s: TrialStore, concept: str) -> list[tuple[object, ...]]:  # `via` in any order
        return [(*(v for k, v in r.items() if k != "via"), sorted((r["via"] or "").split(" | ")))
                for r in run(s, "intervention-network", concept=concept)]
    for concept in ("radiotherapy", "placebo"):  # the fillers' pairs all weigh the same
        with_numbers = rows(store, concept)
        weights = [r[-2] for r in with_numbers]
        assert len(weights) > len(set(weights)), concept  # ties to break
        assert with_numbers == rows(copy, concept), concept


# --- counting queries count a linked trial once -------------------------------------------------


def test_counting_queries_skip_aliases(store: TrialStore) -> None:
    counts = {r["label"].lower(): int(r["trials"]) for r in run(store, "interventions")}  # type: ignore[union-attr,arg-type]
    assert counts["zolbetuximab"] == 2  # X and A; A's second document is the same trial
    assert counts["placebo"] == 14
    sponsors = {r["label"]: r["leadTrials"] for r in run(store, "sponsors")}
    assert sponsors[A_SPONSOR.name] == "1"
    found = run(store, "trials-by-intervention", intervention="zolbetuximab")
    assert {r["trial"] for r in found} == {trial_iri(X), trial_iri(A)}
    found = run(store, "trials-by-condition", condition=concept_iri("rank/breast-cancer"))
    assert [r["trial"] for r in found] == [trial_iri(A)]


# --- real data -----------------------------------------------------------------------------------


def _load(paths: list[Path]) -> TrialStore:
    from kg import pipeline

    store = TrialStore(in_memory=True)
    report = pipeline.load_paths(store, paths)
    assert report.count("loaded"), report.errors
    return store


def _some_trial(store: TrialStore) -> str:
    """A canonical trial with an intervention filed under a concept, and a condition."""
    rows = list(store.query("""SELECT ?t WHERE { ?t tg:hasIntervention/skos:broader ?c ; tg:studiesCondition ?d .
        FILTER NOT EXISTS { ?t tg:sameTrialAs ?x } } ORDER BY ?t LIMIT 1"""))  # type: ignore[union-attr]
    assert rows, "no trial with a normalised intervention"
    return rows[0]["t"].value  # type: ignore[index]


def _every_query(store: TrialStore, trial: str) -> dict[str, list[dict[str, str | None]]]:
    out = {}
    for q in canned.queries().values():
        params = {"trial": trial} if any(p.kind == "trial" for p in q.params) else dict(q.examples[0]) \
            if any(p.required for p in q.params) else {}
        out[q.name] = run(store, q.name, **params)
    return out


def _check_sane(results: dict[str, list[dict[str, str | None]]], trial: str) -> None:
    for name in ("trials-sharing-interventions", "similar-trials"):
        rows = results[name]
        assert rows, name
        assert all(r["trial"] == trial and r["other"] != trial for r in rows), name
        scores = [float(r["score"]) for r in rows]  # type: ignore[arg-type]
        assert scores == sorted(scores, reverse=True) and min(scores) > 0, name
    for name in ("interventions", "sponsors", "sites-by-country", "intervention-network", "trial-summary"):
        assert results[name], name
    for r in results["intervention-network"]:
        assert r["a"] < r["b"] and int(r["shared"]) >= 1  # type: ignore[operator,arg-type]


def test_every_query_on_the_seed_pages(seed_store: TrialStore) -> None:
    trial = _some_trial(seed_store)
    results = _every_query(seed_store, trial)
    _check_sane(results, trial)
    # NCT05522582 (medpath seed): methotrexate and radiotherapy are in the other seeds too.
    sharing = run(seed_store, "trials-sharing-interventions", trial="NCT05522582")
    assert sharing and all(float(r["score"]) > 0 for r in sharing)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def corpus() -> TrialStore:
    return _load([require_corpus("ctgov-xml", "trec2022-sample"), require_corpus("ctgov-v2", "marc_urology")])


@pytest.mark.corpus
def test_every_query_on_the_corpus(corpus: TrialStore) -> None:
    trial = _some_trial(corpus)
    results = _every_query(corpus, trial)
    _check_sane(results, trial)
    assert results["recruiting-by-condition-country"] or not bool(corpus.query(
        "ASK { ?t tg:overallStatus tg:Recruiting ; tg:hasSite/tg:country ?c }"))


@pytest.mark.corpus
def test_corpus_placebo_ranks_below_specific_drugs(corpus: TrialStore) -> None:
    """A urology trial with tadalafil and placebo: trials sharing tadalafil outrank placebo-only ones."""
    rows = list(corpus.query("""SELECT ?t WHERE {
        ?t tg:hasIntervention/skos:broader <https://w3id.org/trialgraph/concept/drug/tadalafil> .
        ?t tg:hasIntervention/skos:broader <https://w3id.org/trialgraph/concept/placebo> .
        FILTER NOT EXISTS { ?t tg:sameTrialAs ?x } } ORDER BY ?t LIMIT 1"""))  # type: ignore[union-attr]
    if not rows:
        pytest.fail("marc_urology holds tadalafil + placebo trials; the normaliser no longer links them")
    got = run(corpus, "trials-sharing-interventions", trial=rows[0]["t"].value)  # type: ignore[index]
    tadalafil = [float(r["score"]) for r in got if "tadalafil" in (  # type: ignore[arg-type]
        (r["interventions"] or "") + (r["concepts"] or "")).lower()]
    placebo_only = [float(r["score"]) for r in got if r["shared"] == "1" and "placebo" in (  # type: ignore[arg-type]
        (r["interventions"] or "") + (r["concepts"] or "")).lower()]
    assert tadalafil and placebo_only
    assert min(tadalafil) > max(placebo_only)
