"""Canned queries: `queries/*.rq` files with grlc-style decorator comments.

A query file is plain SPARQL that runs as it is in any SPARQL tool; its header says what it is
for and which variables are parameters:

    #+ summary: Trials that share interventions with a trial
    #+ description: One row per other trial, most shared first.
    #+ param: trial kind=trial required -- the trial, as NCT id or IRI
    #+ example: trial=NCT05522582

Parameters are bound as typed RDF terms through Oxigraph's pre-bound variables (SEP-0007
substitutions): user input never becomes query text, so there is nothing to inject into.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from kg import ntriples
from kg.vocab import XSD, trial_iri

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
KINDS = ("trial", "iri", "string", "term", "integer", "decimal", "date")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_TRIAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,60}$")


class ParameterError(ValueError):
    """A parameter value that cannot be bound; the message is safe to show to the user."""


@dataclass(frozen=True)
class Param:
    name: str  # the SPARQL variable it binds, without "?"
    kind: str = "string"
    required: bool = False
    default: str | None = None
    description: str = ""

    def term(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a user's value, checked against the parameter's kind."""
        v = value.strip()
        if not v:
            raise ParameterError(f"parameter {self.name!r} is empty")
        if self.kind == "trial":
            if ntriples.is_iri(v) and v.startswith(("http://", "https://")):
                return ox.NamedNode(v)
            if not _TRIAL_ID.match(v):
                raise ParameterError(f"parameter {self.name!r}: {v!r} is neither a trial id nor an IRI")
            return ox.NamedNode(trial_iri(v))
        if self.kind == "iri":
            if not (ntriples.is_iri(v) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", v)):
                raise ParameterError(f"parameter {self.name!r}: {v!r} is not an IRI")
            return ox.NamedNode(v)
        if self.kind == "term":  # an IRI names a node; anything else is text to match labels
            if re.match(r"^https?://", v) and ntriples.is_iri(v):
                return ox.NamedNode(v)
            return ox.Literal(v)
        if self.kind == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", v):
                raise ParameterError(f"parameter {self.name!r}: {v!r} is not an integer")
            return ox.Literal(str(int(v)), datatype=ox.NamedNode(XSD + "integer"))
        if self.kind == "decimal":
            if not re.fullmatch(r"[+-]?\d{1,12}(\.\d{1,12})?", v):
                raise ParameterError(f"parameter {self.name!r}: {v!r} is not a number")
            return ox.Literal(v, datatype=ox.NamedNode(XSD + "decimal"))
        if self.kind == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                raise ParameterError(f"parameter {self.name!r}: {v!r} is not a date (YYYY-MM-DD)")
            return ox.Literal(v, datatype=ox.NamedNode(XSD + "date"))
        return ox.Literal(v)


@dataclass(frozen=True)
class CannedQuery:
    name: str
    text: str
    summary: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()
    examples: tuple[dict[str, str], ...] = field(default=())

    def bind(self, values: Mapping[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Substitutions for the store; ParameterError for unknown, missing or bad values."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {', '.join(unknown)} for query {self.name!r}; "
                f"known: {', '.join(known) or 'none'}")
        out: dict[str, ox.NamedNode | ox.Literal] = {}
        for p in self.params:
            value = values.get(p.name, p.default)
            if value is None or value == "":
                if p.required:
                    raise ParameterError(f"query {self.name!r} needs parameter {p.name!r}: {p.description}")
                continue
            out[p.name] = p.term(value)
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "params": [
                {"name": p.name, "kind": p.kind, "required": p.required, "default": p.default,
                 "description": p.description}
                for p in self.params
            ],
            "examples": list(self.examples),
            "query": self.text,
        }


def parse_rq(name: str, text: str) -> CannedQuery:
    summary = description = ""
    params: list[Param] = []
    examples: list[dict[str, str]] = []
    for line in text.splitlines():
        m = re.match(r"^#\+\s*([a-z]+)\s*:\s*(.*)$", line.strip())
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "summary":
            summary = value
        elif key == "description":
            description = f"{description} {value}".strip()
        elif key == "param":
            params.append(_parse_param(name, value))
        elif key == "example":
            examples.append(dict(kv.split("=", 1) for kv in value.split() if "=" in kv))
    return CannedQuery(name, text, summary, description, tuple(params), tuple(examples))


def _parse_param(query: str, spec: str) -> Param:
    head, _, desc = spec.partition("--")
    words = head.split()
    if not words or not _NAME.match(words[0]):
        raise ValueError(f"{query}.rq: bad '#+ param:' line {spec!r}")
    attrs: dict[str, str] = {}
    flags: set[str] = set()
    for w in words[1:]:
        if "=" in w:
            k, v = w.split("=", 1)
            attrs[k] = v
        else:
            flags.add(w)
    kind = attrs.get("kind", "string")
    if kind not in KINDS:
        raise ValueError(f"{query}.rq: parameter {words[0]!r} has unknown kind {kind!r}")
    return Param(words[0], kind, "required" in flags, attrs.get("default"), desc.strip())


@cache
def _load(folder: Path) -> dict[str, CannedQuery]:
    return {p.stem: parse_rq(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.rq"))}


def queries(folder: Path = QUERIES_DIR) -> dict[str, CannedQuery]:
    return _load(folder)


def get(name: str, folder: Path = QUERIES_DIR) -> CannedQuery:
    try:
        return queries(folder)[name]
    except KeyError:
        raise KeyError(f"no canned query {name!r}; known: {', '.join(queries(folder))}") from None
