"""Reconciliation over the whole CT.gov corpus: the loaders lose no arm, intervention, condition,
site or outcome of any record.

Counts come straight from the source (json / ElementTree here, not the loaders), so a loader
that skips or merges list items, or a study that silently drops out, fails this test.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import loaders
from kg.record import RecordError, Trial
from loaders import ctgov_json, ctgov_xml

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
V2 = CORPUS / "ctgov-v2"
XML = CORPUS / "ctgov-xml"
# The R re-serialised file is refused on purpose (tests/test_loader_ctgov_json.py checks how).
KNOWN_BAD = {V2 / "unl_stat351" / "json_response.json"}
# Files in ctgov-v2 that are not CT.gov study records (specs, CSV/TSV exports, NCI CTS API).
NOT_STUDIES = {".yaml", ".csv", ".tsv", ".txt"}

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}"),
]

Counts = tuple[str, int, int, int, int, int]  # id, arms, interventions, conditions, sites, outcomes


def counts_of(t: Trial) -> Counts:
    return (t.nct_id or "", len(t.arms), len(t.interventions), len(t.conditions), len(t.sites),
            len(t.outcomes))


# --- independent counts from the sources ------------------------------------------------------------


def _json_counts(study: dict[str, Any]) -> Counts:
    p = study["protocolSection"]
    ai = p.get("armsInterventionsModule", {})
    om = p.get("outcomesModule", {})
    return (p["identificationModule"]["nctId"], len(ai.get("armGroups", [])),
            len(ai.get("interventions", [])), len(p.get("conditionsModule", {}).get("conditions", [])),
            len(p.get("contactsLocationsModule", {}).get("locations", [])),
            sum(len(om.get(k, [])) for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")))


def _studies(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return data
    return data["studies"] if "studies" in data else [data]


def json_source_counts(path: Path) -> list[Counts]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [_json_counts(s) for n in z.namelist() if n.endswith(".json")
                    for s in _studies(json.loads(z.read(n)))]
    return [_json_counts(s) for s in _studies(json.loads(path.read_bytes()))]


def _xml_counts(root: ET.Element) -> Counts:
    return (root.findtext("id_info/nct_id", "").strip(), len(root.findall("arm_group")),
            len(root.findall("intervention")), len(root.findall("condition")),
            len(root.findall("location")),
            sum(len(root.findall(f"{k}_outcome")) for k in ("primary", "secondary", "other")))


def xml_source_counts(path: Path) -> list[Counts]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [_xml_counts(ET.fromstring(z.read(n))) for n in z.namelist() if n.endswith(".xml")]
    return [_xml_counts(ET.parse(path).getroot())]


# --- the reconciliation -------------------------------------------------------------------------------


def corpus_files() -> Iterator[Path]:
    for folder in (V2, XML):
        yield from (p for p in sorted(folder.rglob("*")) if p.is_file())


def loaded_counts(fmt: loaders.Format, path: Path) -> tuple[list[Counts], list[RecordError]]:
    items = list(fmt.read(path))
    return ([counts_of(i) for i in items if isinstance(i, Trial)],
            [i for i in items if isinstance(i, RecordError)])


def test_every_record_keeps_every_list_item() -> None:
    studies = 0
    unclaimed: list[Path] = []
    mismatches: list[str] = []
    started = time.perf_counter()
    for path in corpus_files():
        head = loaders.head_of(path)
        if ctgov_json.sniff(head):
            fmt, source = ctgov_json.FORMAT, json_source_counts
        elif ctgov_xml.sniff(head):
            fmt, source = ctgov_xml.FORMAT, xml_source_counts
        else:
            unclaimed.append(path)
            continue
        if path in KNOWN_BAD:
            continue
        got, errors = loaded_counts(fmt, path)
        assert not errors, f"{path}: {errors[:3]}"
        want = source(path)
        studies += len(want)
        if got != want:
            mismatches += [f"{path.relative_to(CORPUS)}: loaded {g} source {w}"
                           for g, w in zip(got, want, strict=False) if g != w] or [f"{path}: {len(got)} != {len(want)}"]
    elapsed = time.perf_counter() - started
    assert not mismatches, "\n".join(mismatches[:20])
    # Everything left unread is not a CT.gov study file: specs, CSV/TSV, the NCI CTS API.
    odd = [p for p in unclaimed if p.suffix not in NOT_STUDIES and "nci_cts" not in p.parts]
    assert not odd, odd
    assert studies > 3000  # about 1,300 v2 studies + 635 zipped + 1,065 legacy XML
    print(f"\n{studies} studies reconciled in {elapsed:.1f}s ({studies / elapsed:.0f} records/s)")
