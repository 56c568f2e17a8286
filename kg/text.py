"""Text helpers every loader needs: plain text, dates, ages, eligibility criteria.

They live here, not in each loader, because registries share the conventions (CT.gov's markdown
escapes, "18 Years", "December 31, 2022", "Inclusion Criteria:" blocks) and a fix must reach
every format at once.
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

from kg.record import Eligibility, PartialDate

# --- plain text ---------------------------------------------------------------------------

_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~^=])")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


def _tag(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name in _BLOCK_TAGS:
        return "\n"
    if name in {"sup", "sub", "b", "i", "em", "strong", "span", "a", "u", "font", "small"}:
        return ""
    return match.group(0)  # "<10 mg" style text that only looks like a tag is kept


_PLAIN = re.compile(r"[<>\\&\r\t\u00a0]|  |\n")


def clean(text: str | None) -> str | None:
    """Plain text: markdown escapes undone, HTML stripped, entities decoded, whitespace tidy."""
    if text is None:
        return None
    if not _PLAIN.search(text):  # most values: nothing to undo (one regex scan instead of six)
        return text.strip() or None
    t = _TAG.sub(_tag, text)
    t = _MD_ESCAPE.sub(r"\1", t)
    t = html.unescape(t)
    t = t.replace("\r\n", "\n").replace("\r", "\n")
    t = "\n".join(_SPACES.sub(" ", line).strip() for line in t.split("\n"))
    t = _BLANKS.sub("\n\n", t).strip()
    return t or None


def one_line(text: str | None) -> str | None:
    """Names and labels: one line, single spaces."""
    if text is not None and not _PLAIN.search(text):
        return text.strip() or None
    t = clean(text)
    return " ".join(t.split()) if t else None


# --- dates ----------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_ISO = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?$")
_MDY = re.compile(r"^([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")  # "December 31, 2022", "July 2024"
_DMY = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")  # "31 December 2022"
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")  # "31/12/2022" (day first)


def parse_date(text: str | None) -> PartialDate | None:
    """A date as precise as written; None for empty or unreadable text (callers warn)."""
    if not text:
        return None
    t = text.strip().rstrip(".")
    t = re.sub(r"\s*\((?:actual|anticipated|estimated)\)$", "", t, flags=re.I)
    try:
        if m := _ISO.match(t):
            y, mo, d = m.groups()
            pd = PartialDate(int(y), int(mo) if mo else None, int(d) if d else None)
        elif m := _MDY.match(t):
            mo = _MONTHS.get(m.group(1).lower())
            if mo is None:
                return None
            pd = PartialDate(int(m.group(3)), mo, int(m.group(2)) if m.group(2) else None)
        elif m := _DMY.match(t):
            mo = _MONTHS.get(m.group(2).lower())
            if mo is None:
                return None
            pd = PartialDate(int(m.group(3)), mo, int(m.group(1)))
        elif m := _DOTTED.match(t):
            pd = PartialDate(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        else:
            return None
        if pd.day:
            date(pd.year, pd.month or 1, pd.day)  # rejects 2023-02-30
        return pd
    except ValueError:
        return None


# --- ages -----------------------------------------------------------------------------------

_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")
_UNIT_YEARS = {
    "year": Decimal(1), "years": Decimal(1), "yr": Decimal(1), "yrs": Decimal(1), "y": Decimal(1),
    "": Decimal(1),
    "month": Decimal(1) / Decimal(12), "months": Decimal(1) / Decimal(12), "mo": Decimal(1) / Decimal(12),
    "week": Decimal(7) / Decimal("365.25"), "weeks": Decimal(7) / Decimal("365.25"),
    "wk": Decimal(7) / Decimal("365.25"),
    "day": Decimal(1) / Decimal("365.25"), "days": Decimal(1) / Decimal("365.25"),
    "hour": Decimal(1) / Decimal(8766), "hours": Decimal(1) / Decimal(8766),
    "minute": Decimal(1) / Decimal(525960), "minutes": Decimal(1) / Decimal(525960),
}


def parse_age(text: str | None) -> Decimal | None:
    """"18 Years" -> 18; "6 Months" -> 0.5; "N/A" or no limit -> None. Rounded to 4 places."""
    if not text:
        return None
    m = _AGE.search(text)
    if not m:
        return None
    unit = _UNIT_YEARS.get(m.group(2).lower())
    if unit is None:
        return None
    years = Decimal(m.group(1)) * unit
    return years.quantize(Decimal(1)) if years == years.to_integral() else years.quantize(Decimal("0.0001"))


# --- eligibility criteria -------------------------------------------------------------------

_INCL = re.compile(r"^\s*(?:key\s+)?inclusion\s+criteria\s*:?\s*$", re.I)
_EXCL = re.compile(r"^\s*(?:key\s+)?exclusion\s+criteria\s*:?\s*$", re.I)
_ITEM = re.compile(r"^\s*(?:[-*\u2022\u00b7]\s*|\d{1,3}\s*[.)]\s*|[a-z]\s*[.)]\s+)")


def criteria_items(block: str) -> list[str]:
    """Items of one criteria block: numbered or bulleted lines, wrapped lines joined."""
    items: list[str] = []
    for raw in block.split("\n"):
        line = raw.strip()
        if not line or line in {"-", "*", "\u2022"}:
            continue
        starts_item = bool(_ITEM.match(line))
        text = _ITEM.sub("", line, count=1).strip() if starts_item else line
        if not text:
            continue
        if starts_item or not items:
            items.append(text)
        else:
            items[-1] = f"{items[-1]} {text}"
    return items


def split_criteria(text: str | None) -> tuple[list[str], list[str]]:
    """(inclusion, exclusion) items from a criteria text with the usual headings."""
    if not text:
        return [], []
    inc: list[str] = []
    exc: list[str] = []
    current: list[str] | None = None
    buf: list[str] = []

    def flush() -> None:
        if current is not None and buf:
            current.extend(criteria_items("\n".join(buf)))
        buf.clear()

    for line in text.split("\n"):
        if _INCL.match(line):
            flush()
            current = inc
        elif _EXCL.match(line):
            flush()
            current = exc
        else:
            buf.append(line)
    flush()
    return inc, exc


def min_age_from_criteria(items: list[str]) -> Decimal | None:
    """A minimum age stated only in prose: "≥ 18 years old", "aged 18 years or older"."""
    pats = [
        r"(?:≥|>=|at least|aged?\s*(?:≥|>=)?)\s*(\d{1,3})\s*(?:years?|yrs?)",
        r"(\d{1,3})\s*(?:years?|yrs?)\s*(?:of age\s*)?(?:or older|and older|or above|and above|\+)",
        r"(\d{1,3})\s*\+\s*years",
        r"age[sd]?\s*(?:range\s*)?(?:from\s*)?(\d{1,3})\s*(?:to|-|–)\s*\d{1,3}\s*years",
    ]
    for item in items:
        for p in pats:
            if m := re.search(p, item, re.I):
                return Decimal(m.group(1))
    return None


def max_age_from_criteria(items: list[str]) -> Decimal | None:
    for item in items:
        if m := re.search(r"age[sd]?\s*(?:range\s*)?(?:from\s*)?\d{1,3}\s*(?:to|-|–)\s*(\d{1,3})\s*years",
                          item, re.I):
            return Decimal(m.group(1))
    return None


def eligibility_from_text(criteria: str | None, **fields: object) -> Eligibility:
    """An Eligibility from a criteria text, with ages filled from the prose when not given."""
    text = clean(criteria)
    inc, exc = split_criteria(text)
    elig = Eligibility(criteria_text=text, inclusion=inc, exclusion=exc)
    for name, value in fields.items():
        setattr(elig, name, value)
    if elig.minimum_age is None:
        elig.minimum_age = min_age_from_criteria(inc)
    if elig.maximum_age is None:
        elig.maximum_age = max_age_from_criteria(inc)
    return elig


# --- identifiers ---------------------------------------------------------------------------------

_MESH_UI = re.compile(r"^([DC])(\d{6}|\d{9})$")
_LAST_SIX_DIGIT_MESH = 66387  # NLM's six-digit descriptor UIs end at D066331; nine-digit ones start at D000066388
# Supplementary concept records (C ids) likewise: six-digit UIs end at C588384 (at the latest) and
# nine-digit ones start at C000588428, as NLM's own SCR list (shipped in gilda's MeSH mappings) shows.
_LAST_SIX_DIGIT_SCR = 588427


def mesh_descriptor_id(raw: str | None) -> str | None:
    """NLM's own form of a MeSH descriptor or supplementary concept UI: CT.gov pads old ids to nine
    digits (D000001943 for D001943, C000500026 for palbociclib's C500026), which would not match
    id.nlm.nih.gov; genuine nine-digit ids (D000068437, C000588428) stay."""
    if not raw:
        return None
    m = _MESH_UI.match(raw.strip().upper())
    if not m:
        return None
    kind, digits = m.groups()
    last_six_digit = _LAST_SIX_DIGIT_MESH if kind == "D" else _LAST_SIX_DIGIT_SCR
    if len(digits) == 9 and int(digits) <= last_six_digit:
        return f"{kind}{int(digits):06d}"
    return kind + digits
