"""Turning a reported name into the tokens that vocabulary phrases are matched against.

Registries spell one thing many ways ("Anti-PD-1 mAb", "anti PD1 antibody", "Nab-paclitaxel",
"Methotrexate tablets 5 mg", "Tumours"). Matching compares token sequences instead of strings, so
one rule set (case, punctuation, hyphens, letter/digit boundaries, plurals, British spelling,
dose/route/formulation words) makes every label robust at once, and every token keeps its
character span so later steps can tell what lies between two matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Greek letters become words, so "IFNα", "IFN-alpha" and "IFN alpha" tokenise alike.
_GREEK = str.maketrans({
    "α": " alpha ", "β": " beta ", "γ": " gamma ", "δ": " delta ", "ε": " epsilon ", "κ": " kappa ",
    "λ": " lambda ", "μ": " mu ", "Α": " alpha ", "Β": " beta ", "Γ": " gamma ",
})
# Letter runs and digit runs: "PD-1" -> pd 1, "PD1" -> pd 1, "FOLFOX4" -> folfox 4.
_FINE = re.compile(r"[^\W\d_]+|\d+")
# Words as the drug dictionary knows them, hyphens kept ("5-fluorouracil", "ara-c").
_WORD = re.compile(r"\w+(?:[-']\w+)*")

_SPELLING = {
    "tumour": "tumor", "oesophageal": "esophageal", "oesophagus": "esophagus", "oesophagogastric":
    "esophagogastric", "anaemia": "anemia", "leukaemia": "leukemia", "haematologic": "hematologic",
    "haematological": "hematological", "oestrogen": "estrogen", "paediatric": "pediatric",
    "randomised": "randomized",
}

# Words that say how a product is given or packed, never what it is. They are skipped when
# matching intervention names, so a vocabulary label must not contain them (checked on load).
ROUTE_WORDS = frozenset({
    "oral", "orally", "po", "intravenous", "intravenously", "iv", "ivgtt", "intrathecal",
    "intrathecally", "subcutaneous", "subcutaneously", "sc", "sq", "intramuscular",
    "intramuscularly", "im", "topical", "topically", "inhaled", "intranasal", "sublingual",
    "transdermal", "intravesical", "intraperitoneal", "intratumoral", "intratumoural",
    "intraventricular", "intravitreal", "intradermal", "buccal",
})
FORMULATION_WORDS = frozenset({
    "tablet", "capsule", "cap", "injection", "injectable", "infusion", "solution", "suspension",
    "cream", "gel", "ointment", "patch", "spray", "drop", "powder", "syrup", "lotion", "suppository",
    "granule", "sachet", "pill", "vial", "ampoule", "formulation", "film", "coated", "er", "sr", "xr",
    "xl",
})
NOISE_WORDS = ROUTE_WORDS | FORMULATION_WORDS
# Units end a dose ("5 mg", "1.8-2 Gy", "200 mg/m2"); they are dropped only after a number.
UNIT_WORDS = frozenset({
    "mg", "g", "mcg", "ug", "μg", "mug", "kg", "ml", "l", "dl", "iu", "u", "unit", "gy", "cgy",
    "mmol", "μmol", "umol", "nmol", "mol", "mbq", "gbq", "mci", "cell", "vg", "pfu", "cfu", "m",
    "cc",
})


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # folded form compared with vocabulary labels
    start: int  # character span in the prepared name
    end: int


def prepare(name: str) -> str:
    """Unicode-normalised name with Greek letters spelled out: all spans refer to this text."""
    return unicodedata.normalize("NFKC", name).translate(_GREEK)


def fold(token: str) -> str:
    """Case, simple plural and British spelling folded so label and name forms meet."""
    t = token.casefold()
    if len(t) > 4 and t.endswith("ies"):
        t = t[:-3] + "y"
    elif len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    return _SPELLING.get(t, t)


def fine_tokens(text: str) -> list[Token]:
    """Every letter run and digit run of a prepared text, folded."""
    return [Token(fold(m.group()), m.start(), m.end()) for m in _FINE.finditer(text)]


def label_tokens(label: str) -> tuple[str, ...]:
    """The token phrase a vocabulary label stands for."""
    return tuple(t.text for t in fine_tokens(prepare(label)))


def strip_doses(tokens: list[Token]) -> list[Token]:
    """Drop number runs that end in a unit ("5 mg", "1.8-2 Gy", "200 mg/m2") with their units."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j].text.isdigit():
            j += 1
        k = j
        while j > i and k < len(tokens) and (tokens[k].text in UNIT_WORDS or
                                              (k > j and tokens[k].text.isdigit())):
            k += 1
        if j > i and k > j:
            i = k
            continue
        out.append(tokens[i])
        i += 1
    return out


def intervention_tokens(text: str) -> list[Token]:
    """Tokens of a prepared intervention name without doses, routes and formulation words."""
    return [t for t in strip_doses(fine_tokens(text)) if t.text not in NOISE_WORDS]


def words(text: str) -> list[tuple[str, int, int]]:
    """Hyphen-joined words with spans, the unit the drug dictionary looks up."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
