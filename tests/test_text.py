"""Shared loader helpers: plain text, dates, ages, criteria."""

from decimal import Decimal

import pytest

from kg.record import PartialDate
from kg.text import (
    clean, eligibility_from_text, min_age_from_criteria, one_line, parse_age, parse_date, split_criteria,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"dose of 2×10\^6 cells/kg", "dose of 2×10^6 cells/kg"),
        (r"\[Study design\] Phase 1", "[Study design] Phase 1"),
        (r"corticosteroid (\>10 mg daily)", "corticosteroid (>10 mg daily)"),
        ("a<br/>b", "a\nb"),
        ("<p>Hello <b>bold</b> &amp; more</p>", "Hello bold & more"),
        ("count <10 mg and >5", "count <10 mg and >5"),
        ("  lots   of\tspace  \r\n\r\n\r\n\r\nnext ", "lots of space\n\nnext"),
        ("", None),
        (None, None),
    ],
)
def test_clean(raw, expected):
    assert clean(raw) == expected


def test_one_line_joins_lines():
    assert one_line("The First Affiliated\n  Hospital ") == "The First Affiliated Hospital"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-02-23", PartialDate(2023, 2, 23)),
        ("2023-02", PartialDate(2023, 2)),
        ("2023", PartialDate(2023)),
        ("December 31, 2022", PartialDate(2022, 12, 31)),
        ("July 2024", PartialDate(2024, 7)),
        ("Sept 2024", PartialDate(2024, 9)),
        ("31 December 2022", PartialDate(2022, 12, 31)),
        ("August 19, 2022 (Actual)", PartialDate(2022, 8, 19)),
        ("2023-02-30", None),
        ("Smarch 2022", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_partial_date_iso_and_precision():
    assert PartialDate(2024, 6).iso() == "2024-06"
    assert PartialDate(2024, 6).precision == "month"
    assert PartialDate(2024, 6, 30).iso() == "2024-06-30"
    with pytest.raises(ValueError):
        PartialDate(2024, None, 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("18 Years", Decimal(18)),
        ("6 Months", Decimal("0.5")),
        ("65 years", Decimal(65)),
        ("N/A", None),
        ("", None),
        ("2 Weeks", Decimal("0.0383")),
    ],
)
def test_parse_age(raw, expected):
    assert parse_age(raw) == expected


CRITERIA = """Inclusion Criteria:
1. Patients are able to understand the informed consent form, voluntarily
participate and sign the informed consent form.
2. Age range from 18 to 65 years old, regardless of gender.
Exclusion Criteria:
-
1. Missing key patient information.
2. Refusal or lack of cooperation in research."""


def test_split_criteria_joins_wrapped_lines_and_drops_numbers():
    inc, exc = split_criteria(CRITERIA)
    assert inc == [
        "Patients are able to understand the informed consent form, voluntarily participate and sign "
        "the informed consent form.",
        "Age range from 18 to 65 years old, regardless of gender.",
    ]
    assert exc == ["Missing key patient information.", "Refusal or lack of cooperation in research."]


def test_ages_from_prose():
    assert min_age_from_criteria(["Adequate organ function", "≥ 18 years old;"]) == Decimal(18)
    elig = eligibility_from_text(CRITERIA)
    assert elig.minimum_age == Decimal(18)
    assert elig.maximum_age == Decimal(65)
    given = eligibility_from_text(CRITERIA, minimum_age=Decimal(21))
    assert given.minimum_age == Decimal(21)  # a stated field wins over prose


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D000001943", "D001943"),  # CT.gov's padding of an old six-digit id
        ("D001943", "D001943"),
        ("D000066331", "D066331"),  # the last six-digit descriptor
        ("D000066388", "D000066388"),  # the first nine-digit descriptor stays
        ("D000068437", "D000068437"),  # pemetrexed
        ("C000500026", "C500026"),  # supplementary concept (palbociclib) padded by CT.gov
        ("C579720", "C579720"),  # venetoclax, already in NLM form
        ("C000588384", "C588384"),  # the last six-digit supplementary concept
        ("C000588428", "C000588428"),  # the first nine-digit supplementary concept stays
        ("C000614988", "C000614988"),
        ("c000042382", "C042382"),  # case and padding both undone (fludarabine phosphate)
        ("M4910", None),  # CT.gov's browse-leaf ids are not MeSH ids
        ("", None),
    ],
)
def test_mesh_descriptor_id(raw, expected):
    from kg.text import mesh_descriptor_id

    assert mesh_descriptor_id(raw) == expected
