"""One sponsor node per organisation and one site node per facility, across spellings only.

Merges are checked against hand-read names from the shared corpus: every merge below was looked at
and is a spelling, legal-form, accent, "The" or "&"/"and" variant of one name; the "distinct" lists
are names that look alike but are other organisations or need knowledge, not spelling, to join.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pytest

import loaders
from kg.normalize.orgs import site_key, sponsor_key
from kg.pipeline import iter_files
from kg.record import Trial
from kg.vocab import key

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

SAME_SPONSOR = [
    ["Pfizer Inc.", "PFIZER", "Pfizer, Inc", "Pfizer Incorporated", "Pfizer"],
    ["Eli Lilly and Company", "Eli Lilly"],
    ["Johnson & Johnson", "Johnson and Johnson"],
    ["Sanofi S.A.", "Sanofi SA", "SANOFI"],
    ["Boehringer Ingelheim GmbH & Co. KG", "Boehringer Ingelheim"],
    ["Jiangsu HengRui Medicine Co., Ltd.", "Jiangsu Hengrui Medicine"],
    ["Assistance Publique - Hôpitaux de Paris", "Assistance Publique Hopitaux de Paris"],
    ["M.D. Anderson Cancer Center", "M. D. Anderson Cancer Center", "MD Anderson Cancer Center"],
    ["The Ohio State University", "Ohio State University"],
]
DISTINCT_SPONSORS = [
    "M.D. Anderson Cancer Center", "The University of Texas M.D. Anderson Cancer Center",
    "Novartis", "Novartis Pharmaceuticals", "Hoffmann-La Roche", "Roche Pharma AG",
    "Merck KGaA, Darmstadt, Germany", "Merck Sharp & Dohme LLC", "Sanofi", "Genzyme, a Sanofi Company",
    "National Cancer Institute (NCI)", "National Cancer Institute, France", "University of Texas",
    "University of Texas Southwestern Medical Center", "University of Rochester",
    "The Company of Biologists", "Company of Biologists Publishing", "AB Science", "AS Pharma",
]
# Merges the keys make among the corpus's reported sponsor names (beyond case and punctuation),
# each checked by hand: the same organisation or its own subsidiary under another legal form.
CORPUS_SPONSOR_MERGES = [
    {"AstraZeneca", "AstraZeneca K.K."},
    {"Celgene", "Celgene Corporation"},
    {"DIREX SYSTEMS CORPORATION", "Direx Systems GmbH"},
    {"Lin BioScience Pty Ltd", "Lin BioScience, Inc"},
    {"Organon", "Organon and Co"},
]
CORPUS_SITE_MERGES = [
    {("Hôpital Robert Debré", "Paris", "France"), ("Hopital Robert Debre", "Paris", "France")},
    {("Brigham & Women's Hospital", "Boston", "United States"),
     ("Brigham and Women's Hospital", "Boston", "United States")},
    {("The Cleveland Clinic Foundation", "Cleveland", "United States"),
     ("Cleveland Clinic Foundation", "Cleveland", "United States")},
    {("Tennessee Oncology", "Nashville", "United States"), ("Tennessee Oncology, PLLC", "Nashville", "United States")},
    {("C.H.U. Saint-Pierre", "Brussels", "Belgium"), ("CHU Saint Pierre", "Brussels", "Belgium")},
]
DISTINCT_SITES = [
    ("Hospital Clinic de Barcelona", "Barcelona", "Spain"),
    ("Hospital Clínic i Provincial de Barcelona", "Barcelona", "Spain"),
    ("M.D. Anderson Cancer Center", "Houston", "United States"),
    ("University of Texas MD Anderson Cancer Center", "Houston", "United States"),
    ("MD Anderson Cancer Center Orlando", "Orlando", "United States"),
    ("Research Site", "Krakow", "Poland"),
    ("Research Site", "Warsaw", "Poland"),
    ("Mount Sinai Medical Center", "Miami Beach", "United States"),
    ("Mount Sinai Medical Center", "New York", "United States"),
]


@pytest.mark.parametrize("names", SAME_SPONSOR, ids=lambda ns: ns[0])
def test_spelling_variants_share_one_sponsor_key(names: list[str]) -> None:
    assert len({sponsor_key(n) for n in names}) == 1


def test_distinct_sponsors_keep_distinct_keys() -> None:
    keys = [sponsor_key(n) for n in DISTINCT_SPONSORS]
    assert len(set(keys)) == len(keys)


def test_legal_form_only_dropped_at_the_end_and_never_to_nothing() -> None:
    assert sponsor_key("The Company of Biologists") == "company-of-biologists"
    assert sponsor_key("AB") == "ab"
    assert sponsor_key("The") == "the"
    assert sponsor_key("Kowa Company, Ltd.") == "kowa"


def test_site_key_folds_spelling_within_a_place_only() -> None:
    assert site_key("Hôpital Saint-Louis", "Paris", "France") == site_key("Hopital Saint Louis", "PARIS", "France")
    assert site_key("Centre Léon Bérard", "Lyon", "France") == site_key("Centre Leon Berard", "Lyon", "France")
    assert site_key("Hôpital Saint-Louis", "Paris", "France") != site_key("Hôpital Saint-Louis", "Lyon", "France")
    assert site_key(None, "Skövde", "Sweden") == site_key(None, "Skovde", "Sweden")
    keys = [site_key(*s) for s in DISTINCT_SITES]
    assert len(set(keys)) == len(keys)


@pytest.fixture(scope="module")
def corpus_orgs() -> tuple[set[str], set[tuple[str | None, str | None, str | None]]]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not present at {CORPUS} (a fresh clone without ../shared)")
    sponsors: set[str] = set()
    sites: set[tuple[str | None, str | None, str | None]] = set()
    for path in iter_files([CORPUS / "ctgov-v2", CORPUS / "ctgov-xml", CORPUS / "aact-fixtures"]):
        try:
            fmt = loaders.detect(path)
            trials = [t for t in fmt.read(path) if isinstance(t, Trial)]
        except (loaders.LoaderError, ValueError, OSError, UnicodeDecodeError):
            continue  # not a trial document, or a deliberately broken one: loader tests cover those
        for t in trials:
            sponsors |= {o.name for o in ([t.lead_sponsor] if t.lead_sponsor else []) + t.collaborators}
            sites |= {(s.facility, s.city, s.country) for s in t.sites}
    assert len(sponsors) > 1000 and len(sites) > 10000
    return sponsors, sites


def _merges(names: Iterable[T], key_of: Callable[[T], str], plain_key_of: Callable[[T], str]) -> list[set[T]]:
    """Groups of names one key joins that the plain comparison key (case, punctuation) keeps apart."""
    groups: dict[str, set[T]] = defaultdict(set)
    for n in names:
        groups[key_of(n)].add(n)
    return [g for g in groups.values() if len({plain_key_of(n) for n in g}) > 1]


def test_corpus_sponsor_merges_are_the_hand_checked_ones(corpus_orgs: tuple[set[str], set[tuple[str | None, str | None, str | None]]]) -> None:
    sponsors, _ = corpus_orgs
    merges = _merges(sponsors, sponsor_key, key)
    assert sorted(map(sorted, merges)) == sorted(map(sorted, CORPUS_SPONSOR_MERGES))
    present = [n for n in DISTINCT_SPONSORS if n in sponsors]
    assert len(present) >= 10
    assert len({sponsor_key(n) for n in present}) == len(present)
    # Reported names stay many; nodes shrink only by the merges above.
    assert len({sponsor_key(n) for n in sponsors}) == len({key(n) for n in sponsors}) - 5


def test_corpus_site_merges(corpus_orgs: tuple[set[str], set[tuple[str | None, str | None, str | None]]]) -> None:
    _, sites = corpus_orgs
    for group in CORPUS_SITE_MERGES:
        assert group <= sites, group
        assert len({site_key(*s) for s in group}) == 1
    present = [s for s in DISTINCT_SITES if s in sites]
    assert len(present) >= 5
    assert len({site_key(*s) for s in present}) == len(present)
    exact = {(key(f or ""), key(c or ""), key(k or "")) for f, c, k in sites}
    merged = {site_key(*s) for s in sites}
    assert len(merged) < len(exact)  # accents, "The", legal forms and "&" do merge facilities
