"""Named drugs the curated vocabulary lacks, from the offline dictionary `drug-named-entity-recognition`.

Only exact (case-insensitive) dictionary hits count, never its fuzzy mode: a near-miss on a
registry's free text would invent drugs (and the fuzzy mode crashes on some inputs).

The dictionary merges two sources: DrugBank entries (drugs, brands, synonyms; "sildenafil",
"Keytruda") and MeSH chemical headings with their entry terms ("Sildenafil Citrate", "ABI-007").
One active ingredient must become one concept whichever of the two a name hits, so a hit is
resolved to a (DrugBank drug, MeSH descriptor) pair: the MeSH id comes from the MeSH label table
by exact name (the dictionary's own `mesh_id` is often a pharmacological action instead:
methotrexate D019384), trying salt forms both ways ("Sildenafil" <-> "Sildenafil Citrate"), as
MeSH itself files most salts under one heading. A MeSH-only hit must be a single substance (a leaf
of the table's tree, outside the pharmacological-action branch D27), never a group such as
"Antibodies, Monoclonal" or "Sulfates".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from kg.normalize import mesh
from kg.normalize.phrases import lengths_by_first, unique
from kg.vocab import DRUGBANK

_PLACEHOLDER = "\x00"  # stands for a word already explained, so no false two-word hits across it
_SHORT_ALPHA = re.compile(r"[^\W\d_]{1,4}")  # "caps", "dhap", "lhrh": too ambiguous on their own
# Dictionary entries that registries use for something else: "Renova" is also a shockwave
# device, "Biomet" an implant maker (the dictionary reads it as a cimetidine brand).
_NOT_DRUGS = frozenset({"renova", "biomet"})
# Salt and hydrate words: MeSH files many drugs under the salt ("Sildenafil Citrate").
SALT_WORDS = (
    "citrate", "hydrochloride", "dihydrochloride", "hcl", "mesylate", "mesilate", "dimesylate",
    "sulfate", "sulphate", "bisulfate", "sodium", "disodium", "potassium", "calcium", "magnesium",
    "maleate", "tartrate", "bitartrate", "fumarate", "hemifumarate", "succinate", "acetate",
    "phosphate", "besylate", "besilate", "bromide", "hydrobromide", "chloride", "tosylate", "malate",
    "lactate", "hyclate", "dipropionate", "propionate", "valerate", "monohydrate", "trihydrate",
    "hemihydrate", "anhydrous", "nitrate", "oxalate", "gluconate", "meglumine", "tromethamine",
    "pamoate", "palmitate", "decanoate", "enanthate", "cypionate", "benzoate", "hydrate",
    "xinafoate",
)
_SALT_TAIL = re.compile(r"\s+(?:" + "|".join(SALT_WORDS) + r")(?:\s+(?:" + "|".join(SALT_WORDS) + r"))*$", re.I)
_SALT_SET = frozenset(SALT_WORDS)
CHEMICAL = "chemical"  # the kind of supplementary concept a drug can be (`mesh.scr_kind`)
PHARMACOLOGICAL_ACTION = "D27"  # "Chemical Actions and Uses": classes, not substances


@dataclass(frozen=True)
class DrugHit:
    name: str  # the canonical name ("Pembrolizumab", "Sildenafil")
    drugbank_id: str | None
    synonyms: tuple[str, ...]
    first_word: int  # index range of the words it matched
    end_word: int
    mesh_id: str | None = None  # the MeSH descriptor, when the label table has one
    drug_class: bool = False  # a pharmacological-action heading ("local anesthetic"), not one drug

    @property
    def drugbank_iri(self) -> str | None:
        return DRUGBANK + self.drugbank_id if self.drugbank_id else None


@cache
def _finder() -> ModuleType:
    """Import on first use: loading the dictionary takes about a second and a half."""
    from drug_named_entity_recognition import drugs_finder

    return drugs_finder


def not_a_drug(words: str) -> bool:
    """Words the dictionary knows but registries mean otherwise: a known non-drug ("Renova"),
    or one short word ("caps", "dhap") too ambiguous to name a drug on its own."""
    return bool(_SHORT_ALPHA.fullmatch(words)) or words.casefold() in _NOT_DRUGS


def mesh_entries() -> list[dict[str, Any]]:
    """Dictionary entries that come from MeSH (they carry tree numbers), with their entry terms."""
    return [d for d in _finder().drug_canonical_to_data.values() if d.get("mesh_tree") and d.get("name")]


def _lookup(tokens: list[str]) -> list[tuple[dict[str, Any], int, int]]:
    return _finder().find_drugs(tokens, is_fuzzy_match=False, is_ignore_case=True)


def entry(name: str) -> dict[str, Any] | None:
    """The dictionary's canonical entry for an exact name or synonym."""
    f = _finder()
    canon = f.drug_variant_to_canonical.get(name.casefold())
    return f.drug_canonical_to_data.get(canon[0]) if canon else None


def _drugbank(data: dict[str, Any] | None) -> str | None:
    db = (data or {}).get("drugbank_id")
    return db if isinstance(db, str) and re.fullmatch(r"DB\d{5}", db) else None


@cache
def mesh_for_drug(name: str, synonyms: tuple[str, ...] = ()) -> str | None:
    """The MeSH descriptor of a drug by exact name, its salt forms, or a synonym that is a heading."""
    if found := mesh.by_label(name):
        return found
    for salt in SALT_WORDS:
        if found := mesh.by_label(f"{name} {salt}"):
            return found
    for syn in synonyms:
        if (found := mesh.by_label(syn)) and is_substance(found):
            return found
    return None


@cache
def scr_for_drug(name: str, synonyms: tuple[str, ...] = ()) -> str | None:
    """The MeSH supplementary concept (C id) of a drug without a descriptor: the record named
    exactly as the drug, else the one record its dictionary synonyms name (two records, such as a
    base and its salt both among the synonyms, give none). Salt forms are not tried: MeSH keeps
    "fludarabine" and "fludarabine phosphate" as two records, and CT.gov indexes each by name."""
    if (found := mesh.scr_by_name(name)) and mesh.scr_kind(found) == CHEMICAL:
        return found
    ids = {found for syn in synonyms
           if not not_a_drug(syn) and (found := mesh.scr_by_name(syn)) and mesh.scr_kind(found) == CHEMICAL}
    return ids.pop() if len(ids) == 1 else None


@cache
def scr_phrases() -> tuple[dict[tuple[str, ...], str], dict[str, tuple[int, ...]]]:
    """(token phrase -> C id, first token -> phrase lengths, longest first) of the supplementary
    concept names that can stand for a drug inside an intervention name: a phrase two records
    share, one short word ("caps"), a bare number, or a MeSH descriptor's own label is left out."""
    from kg.normalize.tokens import label_tokens

    def pairs() -> Iterator[tuple[tuple[str, ...], str]]:
        for scr_id, name in mesh.scr_table().names.items():
            if mesh.scr_kind(scr_id) != CHEMICAL:
                continue  # SCRs also name rare diseases and proteins: never a drug in a name
            phrase = label_tokens(name)
            if not phrase or all(t.isdigit() or t in _SALT_SET for t in phrase) or not_a_drug(" ".join(phrase)):
                continue  # "sodium phosphate" is the salt of the drug before it, not a drug of its own
            if not mesh.by_label(name):
                yield phrase, scr_id

    phrases = unique(pairs())
    return phrases, lengths_by_first(phrases)


def base_drug(heading: str) -> tuple[str, str] | None:
    """(DrugBank name, id) of the parent drug of a salt heading ("Imatinib Mesylate" -> Imatinib)."""
    for candidate in (heading, _SALT_TAIL.sub("", heading)):
        data = entry(candidate)
        if (db := _drugbank(data)) and data:
            return str(data["name"]), db
    return None


def is_substance(mesh_id: str) -> bool:
    """A chemical, not an action class (D27) nor a plural-named group ("Antibodies, Monoclonal",
    "Sulfates"); a singular heading with narrower ones below it ("Insulin") is still a substance."""
    branches = mesh.tree_branches(mesh_id)
    if not branches or not all(b.startswith("D") for b in branches) or PHARMACOLOGICAL_ACTION in branches:
        return False
    head = (mesh.label(mesh_id) or "").split(",")[0].split()[-1:] or [""]
    return not mesh.has_children(mesh_id) or not _PLURAL.search(head[0])


_PLURAL = re.compile(r"(?:[^s]s|ies)$")


def resolve(data: dict[str, Any], start: int, end: int) -> DrugHit | None:
    """One dictionary hit as a (DrugBank, MeSH) drug, or None when it is no single drug."""
    name = str(data.get("name") or "")
    if not name:
        return None
    synonyms = tuple(data.get("synonyms") or ())
    if db := _drugbank(data):
        return DrugHit(name, db, synonyms, start, end, mesh_for_drug(name, synonyms))
    mesh_id = mesh.by_label(name)
    if not mesh_id or not is_substance(mesh_id):
        return None
    if parent := base_drug(name):
        return DrugHit(parent[0], parent[1], synonyms, start, end, mesh_id)
    return DrugHit(mesh.label(mesh_id) or name, None, synonyms, start, end, mesh_id)


def _hit(data: dict[str, Any], start: int, end: int, words: list[str]) -> DrugHit | None:
    """A usable hit, retrying the first word alone for salt forms the dictionary lacks."""
    matched = " ".join(words[start:end])
    if not_a_drug(matched):
        return None
    hit = resolve(data, start, end)
    if hit is None and end - start > 1:
        for again, _, _ in _lookup([words[start]]):
            if hit := resolve(again, start, end):
                break
    return hit or _product_hit(data, start, end) or _class_hit(data, start, end)


def _class_hit(data: dict[str, Any], start: int, end: int) -> DrugHit | None:
    """A drug class named by one of MeSH's own names for a pharmacological-action heading
    ("local anesthetic" -> Anesthetics, Local; "antidiabetic" -> Hypoglycemic Agents)."""
    mesh_id = mesh.by_label(str(data.get("name") or ""))
    if mesh_id is None or PHARMACOLOGICAL_ACTION not in mesh.tree_branches(mesh_id):
        return None
    return DrugHit(mesh.label(mesh_id) or mesh_id, None, (), start, end, mesh_id, drug_class=True)


def _product_hit(data: dict[str, Any], start: int, end: int) -> DrugHit | None:
    """A product entry that is no drug itself names its one drug in its canonical name: "Natesto"
    is "Testosterone Nasal Gel", "Fluarix" "Influenza Vaccine, Inactivated or Recombinant"."""
    name = str(data.get("name") or "")
    if _drugbank(data) or not name:
        return None
    words = _NAME_WORD.findall(name)
    hits = [d for d, _, _ in _lookup(words) if d is not data] or [d for d, _, _ in _lookup(words[:1])]
    found = {h.mesh_id or h.drugbank_id: h for again in hits if (h := resolve(again, start, end))}
    return next(iter(found.values())) if len(found) == 1 else None


_NAME_WORD = re.compile(r"\w+(?:[-']\w+)*")


def find(words: list[str | None]) -> list[DrugHit]:
    """Drugs named by these words; None marks a word already explained by the vocabulary."""
    tokens = [w if w else _PLACEHOLDER for w in words]
    if all(t == _PLACEHOLDER for t in tokens):
        return []
    hits: list[DrugHit] = []
    for data, start, end in _lookup(tokens):
        hit = _hit(data, start, end, tokens)
        if hit and all((h.drugbank_id or h.mesh_id) != (hit.drugbank_id or hit.mesh_id) for h in hits):
            hits.append(hit)
    return hits
