"""Every value the registry's own schemas allow maps to an ontology code (kg.codes).

Reads the official v2 OpenAPI spec and the legacy XML schema from ../shared/corpus/ctgov-schema,
so a value the registry adds shows up here before it shows up as a warning in a load.
"""

import re
import xml.etree.ElementTree as ET

import pytest

from kg import codes
from tests.conftest import CORPUS_DIR, corpus_marks

SCHEMA = CORPUS_DIR / "ctgov-schema"
pytestmark = corpus_marks(SCHEMA)

XS = "{http://www.w3.org/2001/XMLSchema}"


def openapi_enums() -> dict[str, list[str]]:
    """Schema name -> enum values, read from the spec's `components.schemas` text."""
    enums: dict[str, list[str]] = {}
    current: str | None = None
    in_enum = False
    for line in (SCHEMA / "ctg-oas-v2.yaml").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^    (\w+):\s*$", line):
            current, in_enum = m.group(1), False
        elif re.match(r"^      enum:\s*$", line) and current:
            in_enum = True
            enums[current] = []
        elif in_enum and (m := re.match(r'^      - "?([^"]+?)"?\s*$', line)):
            enums[current].append(m.group(1))
        elif in_enum and not line.startswith("      -"):
            in_enum = False
    return enums


def xsd_enums() -> dict[str, list[str]]:
    """simpleType name -> enumeration values, unions (overall_status_enum) resolved."""
    root = ET.parse(SCHEMA / "legacy-xml" / "public.xsd").getroot()
    types = {st.get("name"): st for st in root.iter(f"{XS}simpleType") if st.get("name")}

    def values(name: str) -> list[str]:
        st = types[name]
        union = st.find(f"{XS}union")
        if union is not None:
            return [v for member in union.get("memberTypes", "").split() for v in values(member)]
        return [e.get("value") for e in st.iter(f"{XS}enumeration")]

    return {name: values(name) for name in types}


V2 = {
    "Status": codes.STATUS, "RecruitmentStatus": codes.STATUS, "StudyType": codes.STUDY_TYPE,
    "DesignAllocation": codes.ALLOCATION, "InterventionalAssignment": codes.INTERVENTION_MODEL,
    "PrimaryPurpose": codes.PRIMARY_PURPOSE, "ArmGroupType": codes.ARM_TYPE,
    "InterventionType": codes.INTERVENTION_TYPE, "DesignMasking": codes.MASKING, "Sex": codes.SEX,
}
LEGACY = {
    "overall_status_enum": codes.STATUS, "recruitment_status_enum": codes.STATUS,
    "study_type_enum": codes.STUDY_TYPE, "intervention_type_enum": codes.INTERVENTION_TYPE,
    "gender_enum": codes.SEX,
}


def test_the_spec_is_read():
    enums = openapi_enums()
    assert {"Status", "Phase", "StudyType", "Sex"} <= set(enums)
    assert "ACTIVE_NOT_RECRUITING" in enums["Status"] and "PHASE1" in enums["Phase"]


@pytest.mark.parametrize("schema_name", sorted(V2))
def test_v2_enum_values_have_codes(schema_name):
    values = openapi_enums()[schema_name]
    assert values, f"{schema_name} has no enum in the spec"
    unknown = [v for v in values if V2[schema_name].lookup(v) is None]
    assert unknown == []


def test_v2_phases_have_codes():
    for value in openapi_enums()["Phase"]:
        found, unknown = codes.phases(value)
        assert len(found) == 1 and unknown == [], value


@pytest.mark.parametrize("type_name", sorted(LEGACY))
def test_legacy_xml_enum_values_have_codes(type_name):
    # "N/A" as a study type marks a redacted record: it states no study type, so no code.
    values = [v for v in xsd_enums()[type_name] if not (type_name == "study_type_enum" and v == "N/A")]
    assert values, f"{type_name} has no enumeration in public.xsd"
    unknown = [v for v in values if LEGACY[type_name].lookup(v) is None]
    assert unknown == []


def test_legacy_xml_phases_have_codes():
    for value in xsd_enums()["phase_enum"]:
        found, unknown = codes.phases(value)
        assert found and unknown == [], value
