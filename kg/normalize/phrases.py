"""Phrase tables: the reviewed term lists in `data/` and the first-word index every phrase scan uses.

Why one module: the disease and drug term lists share a format (phrase<TAB>MeSH id, `#` comments)
and a rule (an id the MeSH table does not know is a data error, said with the file and line); every
phrase table drops a phrase that names two things (`unique`); and every scan of a name for known
phrases looks them up by their first word, longest first.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar
from pathlib import Path

from kg.normalize import mesh

Phrase = tuple[str, ...]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def unique(pairs: Iterable[tuple[K, V | None]]) -> dict[K, V]:
    """key -> value for the keys every pair gives the same value; a key given two values, or
    None (a phrase known to name no single thing), is dropped: it says nothing reliable."""
    out: dict[K, V | None] = {}
    for key, value in pairs:
        out[key] = value if out.get(key, value) == value else None
    return {k: v for k, v in out.items() if v is not None}


def read_term_list(path: Path, to_phrase: Callable[[str], Phrase]) -> dict[Phrase, str]:
    """phrase -> MeSH id of one reviewed list; ValueError naming the file and line of a bad one."""
    out: dict[Phrase, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        text, sep, mesh_id = line.partition("\t")
        phrase, mesh_id = to_phrase(text), mesh_id.strip()
        if not sep or mesh.label(mesh_id) is None or not phrase:
            raise ValueError(f"{path.name} line {n}: expected phrase<TAB>known MeSH id, got {line!r}")
        out[phrase] = mesh_id
    return out


def lengths_by_first(phrases: Iterable[Phrase]) -> dict[str, tuple[int, ...]]:
    """First word -> the lengths of the phrases starting with it, longest first."""
    out: dict[str, set[int]] = {}
    for phrase in phrases:
        out.setdefault(phrase[0], set()).add(len(phrase))
    return {k: tuple(sorted(v, reverse=True)) for k, v in out.items()}


def spans(words: list[str], lengths: dict[str, tuple[int, ...]],
          get: Callable[[Phrase], V | None]) -> Iterator[tuple[int, int, V]]:
    """(first word, word count, what `get` finds) for every known phrase among the words, longest
    first at each start; overlaps are the caller's to resolve."""
    for i, first in enumerate(words):
        for n in lengths.get(first, ()):
            if i + n <= len(words) and (found := get(tuple(words[i:i + n]))):
                yield i, n, found
