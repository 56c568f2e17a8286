"""Keys for shared organisation and facility nodes.

Two records name the same sponsor with different case, punctuation, accents or legal form
("Pfizer Inc." / "PFIZER" / "Pfizer, Inc" / "Pfizer Incorporated"; "Hôpital" / "Hopital";
"Johnson & Johnson" / "Johnson and Johnson"); one key makes them one node while each record keeps
its reported name as a label.

Only spelling is folded, never meaning: "M.D. Anderson Cancer Center" and "The University of Texas
M.D. Anderson Cancer Center" stay apart (telling them apart or together needs knowledge of the
organisation, not of spelling), and a legal-form word is dropped only at the end of a name, where it
is a legal form ("Company of Biologists" keeps its "Company").
"""

from __future__ import annotations

import re
import unicodedata

from kg.vocab import key, slug

# Legal forms, as token sequences of `_tokens` output (single letters already joined: "S.A." -> sa).
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(sorted({
    tuple(form.split()) for form in (
        "inc incorporated corp corporation co company ltd ltda limited llc llp lp plc pllc pc ulc "
        "gmbh mbh ag kg kgaa se sa sas sau sarl spa srl sl slu bv nv kk ab as asa aps oy oyj "
        "pty pte pvt bhd sdn"
    ).split()
} | {("co", "kg"), ("sdn", "bhd"), ("private", "limited"), ("pvt", "ltd"), ("pte", "ltd"),
     ("pty", "ltd"), ("co", "ltd"), ("gmbh", "co", "kg")}, key=len, reverse=True))
_SINGLE = re.compile(r"^[^\W\d_]$")


def _fold_accents(text: str) -> str:
    """"Hôpital" -> "Hopital": registries drop accents as often as they keep them."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(name: str) -> list[str]:
    """Words of a name: accents, case and punctuation folded, "&" read as "and", initials joined."""
    out: list[str] = []
    initials = False  # is the last word a run of single letters ("M.D." -> md)?
    for w in key(_fold_accents(name).replace("&", " and ")).split("-"):
        if not w:
            continue
        single = bool(_SINGLE.match(w))
        if single and initials:
            out[-1] += w
        else:
            out.append(w)
        initials = single
    return out


def _strip_legal(words: list[str]) -> list[str]:
    """Drop legal forms at the end ("Co., Ltd."), a dangling "and" ("Eli Lilly and Company")."""
    changed = True
    while changed and len(words) > 1:
        changed = False
        for form in _LEGAL_FORMS:
            if len(words) > len(form) and tuple(words[-len(form):]) == form:
                words = words[:-len(form)]
                changed = True
                break
        if len(words) > 1 and words[-1] == "and":
            words = words[:-1]
            changed = True
    return words


def org_words(name: str) -> list[str]:
    """The words that identify an organisation by name: no leading "The", no legal form."""
    words = _tokens(name)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return _strip_legal(words) or words


def sponsor_key(name: str) -> str:
    """One key per organisation across spellings; the reported name stays the node's label."""
    words = org_words(name)
    return slug(" ".join(words) or key(name) or name)


def site_key(facility: str | None, city: str | None, country: str | None) -> str:
    """One node per facility: name, city and country together (a chain's branches differ)."""
    parts = [" ".join(org_words(facility)) if facility else "",
             " ".join(_tokens(city)) if city else "",
             " ".join(_tokens(country)) if country else ""]
    return slug(" ".join(p for p in parts if p), limit=120)
