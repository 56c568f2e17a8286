"""Legacy ClinicalTrials.gov `<clinical_study>` XML (the AllPublicXML dumps, pre-2024 downloads).

One study per file as CT.gov wrote them, but any number is read (a wrapper element holding
several, or a `.zip` of study files such as the website's "download XML" or AllPublicXML), each
streamed with iterparse and dropped once read. Elements are found by name, never by position,
so reordered or missing sections are fine.

Choices worth knowing:
- Phase "Phase 1/Phase 2" becomes ["Phase 1", "Phase 2"] (v2 JSON gives the same as a list).
- Arms do not list their interventions in this format; interventions list their arms. Each
  arm's `intervention_names` is filled from that same statement, read the other way.
- Masking "Double (Participant, Investigator)" is split into masking and who is masked.
- Date types "Anticipated"/"Estimate" become "estimated", as CT.gov itself renamed them.
- `reference` is a background citation and `results_reference` a results one ("BACKGROUND",
  "RESULT", the words API v2 uses for the same two lists).
- MeSH terms carry no ids in this format: MeshTerm(term, None).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kg.record import (
    Arm, Design, Identifier, Intervention, MeshTerm, Organisation, Outcome, Person, RecordError,
    Reference, Site, Trial, TrialDate,
)
from kg.text import clean, eligibility_from_text, one_line, parse_age, parse_date
from loaders._ctgov_common import (
    ZIP_MAGIC, check_nct, date_kind, identifier, label_key, split_masking, unwrap, yes_no,
    zip_head_suffix, zip_members,
)
from loaders.base import Format, Item, LoaderError, until_broken_xml

VERSION = "1"
ROOT = "clinical_study"
El = ET.Element


class BadStudy(ValueError):
    """One study cannot be read; the message names the element."""


# --- element access ------------------------------------------------------------------------------------


def _text(el: El | None, path: str) -> str | None:
    """One line of text at `path` (names, labels, codes)."""
    found = el.find(path) if el is not None else None
    return one_line(found.text) if found is not None else None


def _texts(el: El, path: str) -> list[str]:
    return [t for e in el.findall(path) if (t := one_line(e.text))]


def _block(el: El, path: str, *, prose: bool = True) -> str | None:
    """A `<x><textblock>` (or plain `<x>`) as plain text; prose is unwrapped, lists kept."""
    found = el.find(path)
    if found is None:
        return None
    inner = found.find("textblock")
    text = clean((inner if inner is not None else found).text)
    return unwrap(text) if prose else text


def _date(s: El, *names: str) -> TrialDate | None:
    """The first of `names` present, with its type attribute (Actual / Anticipated / Estimate)."""
    for name in names:
        found = s.find(name)
        if found is None or not (found.text or "").strip():
            continue
        parsed = parse_date(found.text)
        if parsed is None:
            raise BadStudy(f"<{name}>: unreadable date {found.text.strip()!r}")
        return TrialDate(parsed, date_kind(found.get("type")))
    return None


# --- sections -> record fields -----------------------------------------------------------------------


def _identity(trial: Trial, s: El) -> None:
    try:
        trial.nct_id = check_nct(_text(s, "id_info/nct_id"))
    except ValueError as exc:
        raise BadStudy(f"<id_info><nct_id>: {exc}") from exc
    trial.org_study_id = _text(s, "id_info/org_study_id")
    trial.secondary_ids = [identifier(v) for v in _texts(s, "id_info/secondary_id")]
    trial.secondary_ids += [Identifier(v, scheme="NCT", type="NCT_ALIAS")
                            for v in _texts(s, "id_info/nct_alias")]
    trial.title = _text(s, "brief_title")
    trial.official_title = _text(s, "official_title")
    trial.acronym = _text(s, "acronym")
    trial.source_url = _text(s, "required_header/url")


def _phases(word: str | None) -> list[str]:
    if not word:
        return []
    if word.upper() in {"N/A", "NA"}:
        return [word]
    return [p.strip() for p in word.split("/") if p.strip()]


def _status(trial: Trial, s: El) -> None:
    trial.overall_status = _text(s, "overall_status")
    trial.why_stopped = _block(s, "why_stopped")
    trial.phases = _phases(_text(s, "phase"))
    trial.study_type = _text(s, "study_type")
    trial.start_date = _date(s, "start_date")
    trial.primary_completion_date = _date(s, "primary_completion_date")
    trial.completion_date = _date(s, "completion_date")
    trial.first_posted = _date(s, "study_first_posted", "firstreceived_date")
    trial.last_update = _date(s, "last_update_posted", "lastchanged_date")
    enrollment = s.find("enrollment")
    if enrollment is not None and (enrollment.text or "").strip():
        raw = enrollment.text.strip()
        if not re.fullmatch(r"\d+", raw):
            raise BadStudy(f"<enrollment>: not a whole number: {raw!r}")
        trial.enrollment = int(raw)
        trial.enrollment_type = date_kind(enrollment.get("type"))


# Old records (before 2017) give the design as one line: "Allocation: Randomized, Masking: ...".
_OLD_DESIGN_KEYS = {
    "allocation": "allocation", "intervention model": "intervention_model",
    "primary purpose": "primary_purpose", "masking": "masking",
    "observational model": "observational_model", "time perspective": "time_perspective",
}
_OLD_DESIGN = re.compile(r"(?:^|,\s*)([A-Z][A-Za-z ]+?):\s*")


def _old_design(text: str) -> dict[str, str]:
    parts = _OLD_DESIGN.split(text)  # ["", key, value, key, value, ...]
    pairs = {parts[i].strip().lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    return {_OLD_DESIGN_KEYS[k]: v for k, v in pairs.items() if k in _OLD_DESIGN_KEYS and v}


def _design(trial: Trial, s: El) -> None:
    info = s.find("study_design_info")
    if info is not None:
        fields = {k: _text(info, k) for k in ("allocation", "intervention_model", "primary_purpose",
                                              "masking", "observational_model", "time_perspective")}
        fields["intervention_model_description"] = _block(info, "intervention_model_description")
    else:
        fields = dict(_old_design(_text(s, "study_design") or ""))
    masking, who = split_masking(fields.pop("masking", None))
    trial.design = Design(masking=masking, who_masked=who, **fields)  # type: ignore[arg-type]


def _arms_interventions(trial: Trial, s: El) -> None:
    for iv in s.findall("intervention"):
        name = _text(iv, "intervention_name")
        if not name:
            raise BadStudy("<intervention> without <intervention_name>")
        trial.interventions.append(Intervention(
            name=name, type=_text(iv, "intervention_type"), description=_block(iv, "description"),
            other_names=_texts(iv, "other_name"), arm_labels=_texts(iv, "arm_group_label")))
    for arm in s.findall("arm_group"):
        label = _text(arm, "arm_group_label")
        if not label:
            raise BadStudy("<arm_group> without <arm_group_label>")
        names = [iv.name for iv in trial.interventions
                 if label_key(label) in {label_key(a) for a in iv.arm_labels}]
        trial.arms.append(Arm(label=label, type=_text(arm, "arm_group_type"),
                              description=_block(arm, "description"), intervention_names=names))


def _outcomes(trial: Trial, s: El) -> None:
    for kind in ("primary", "secondary", "other"):
        for o in s.findall(f"{kind}_outcome"):
            measure = _text(o, "measure")
            if not measure:
                raise BadStudy(f"<{kind}_outcome> without <measure>")
            trial.outcomes.append(Outcome(kind, measure, _text(o, "time_frame"),  # type: ignore[arg-type]
                                          _block(o, "description")))


def _eligibility(trial: Trial, s: El) -> None:
    e = s.find("eligibility")
    if e is None:
        return
    trial.eligibility = eligibility_from_text(
        _block(e, "criteria"),
        sex=_text(e, "gender"),
        gender_based=yes_no(_text(e, "gender_based")),
        minimum_age=parse_age(_text(e, "minimum_age")),
        maximum_age=parse_age(_text(e, "maximum_age")),
        healthy_volunteers=yes_no(_text(e, "healthy_volunteers")),
    )


def _organisation(el: El) -> Organisation | None:
    name = _text(el, "agency")
    return Organisation(name, _text(el, "agency_class")) if name else None


def _person_name(el: El) -> str | None:
    """CT.gov puts the whole name in <last_name>; older records may split it up."""
    parts = [_text(el, k) for k in ("first_name", "middle_name", "last_name")]
    name = " ".join(p for p in parts if p)
    degrees = _text(el, "degrees")
    return f"{name}, {degrees}" if name and degrees else name or None


def _people(trial: Trial, s: El) -> None:
    lead = s.find("sponsors/lead_sponsor")
    trial.lead_sponsor = _organisation(lead) if lead is not None else None
    trial.collaborators = [o for c in s.findall("sponsors/collaborator") if (o := _organisation(c))]
    for off in s.findall("overall_official"):
        if name := _person_name(off):
            trial.investigators.append(Person(name, _text(off, "role"), _text(off, "affiliation")))
    # Central contacts: the name only, never phone or e-mail.
    for tag, role in (("overall_contact", "Contact"), ("overall_contact_backup", "Backup contact")):
        for c in s.findall(tag):
            if name := _person_name(c):
                trial.contacts.append(Person(name, role))
    rp = s.find("responsible_party")
    if rp is not None:
        name = _text(rp, "investigator_full_name") or _text(rp, "name_title")
        if name:
            trial.responsible_party = Person(
                name, _text(rp, "responsible_party_type"),
                _text(rp, "investigator_affiliation") or _text(rp, "organization"),
                _text(rp, "investigator_title"))


def _sites(trial: Trial, s: El) -> None:
    for loc in s.findall("location"):
        trial.sites.append(Site(
            facility=_text(loc, "facility/name"), city=_text(loc, "facility/address/city"),
            state=_text(loc, "facility/address/state"), zip=_text(loc, "facility/address/zip"),
            country=_text(loc, "facility/address/country"), status=_text(loc, "status")))
    trial.countries = _texts(s, "location_countries/country")


def _references(trial: Trial, s: El) -> None:
    for tag, kind in (("reference", "BACKGROUND"), ("results_reference", "RESULT")):
        for ref in s.findall(tag):
            pmid, citation = _text(ref, "PMID"), _block(ref, "citation", prose=False)
            if pmid or citation:
                trial.references.append(Reference(pmid, citation, kind))


def study_to_trial(s: El) -> Trial:
    """One <clinical_study> element -> Trial; BadStudy naming the element when it is broken."""
    trial = Trial()
    _identity(trial, s)
    _status(trial, s)
    trial.brief_summary = _block(s, "brief_summary")
    trial.detailed_description = _block(s, "detailed_description")
    _design(trial, s)
    trial.conditions = _texts(s, "condition")
    trial.keywords = _texts(s, "keyword")
    _arms_interventions(trial, s)
    _outcomes(trial, s)
    _eligibility(trial, s)
    _people(trial, s)
    _sites(trial, s)
    _references(trial, s)
    trial.condition_mesh = [MeshTerm(t) for t in _texts(s, "condition_browse/mesh_term")]
    trial.intervention_mesh = [MeshTerm(t) for t in _texts(s, "intervention_browse/mesh_term")]
    trial.has_results = s.find("clinical_results") is not None
    return trial


# --- streaming ----------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(el: El) -> None:
    for e in el.iter():
        if isinstance(e.tag, str) and "}" in e.tag:
            e.tag = _local(e.tag)


def iter_studies(fh: IO[bytes], where: str = "") -> Iterator[Item]:
    """Every <clinical_study> in one XML stream; a study is freed as soon as it is read."""
    yield from until_broken_xml(_studies(fh, where), lambda n: f"{where}after study #{n}")


def _studies(fh: IO[bytes], where: str) -> Iterator[Item]:
    last: El | None = None
    count = 0
    for _, el in ET.iterparse(fh, events=("end",)):
        last = el
        tag = el.tag
        if tag != ROOT and not tag.endswith("}" + ROOT):
            continue
        count += 1
        if tag != ROOT:
            _strip_namespaces(el)
        yield _one(el, count, where)
        el.clear()
    if count == 0:
        root = _local(last.tag) if last is not None else None  # the root ends last
        raise LoaderError(f"no <{ROOT}> element: the root element is <{root}>, "
                          "not a ClinicalTrials.gov legacy study record")


def _one(el: El, index: int, where: str) -> Item:
    try:
        return study_to_trial(el)
    except BadStudy as exc:
        nct = _text(el, "id_info/nct_id")
        return RecordError(record=f"{where}{nct or f'study #{index}'}", message=str(exc))


def read(path: Path) -> Iterator[Item]:
    with open(path, "rb") as fh:
        is_zip = fh.read(4) == ZIP_MAGIC.encode("latin-1")
    if not is_zip:
        with open(path, "rb") as fh:
            yield from iter_studies(fh)
        return
    for name, opener in zip_members(path, (".xml",)):
        try:
            with opener() as fh:
                yield from iter_studies(fh, f"{name}: ")
        except LoaderError as exc:
            yield RecordError(record=name, message=str(exc))


_ROOT_TAG = re.compile(r"<(?:\w+:)?clinical_study[\s>]")


def sniff(head: str) -> bool:
    if head.startswith(ZIP_MAGIC):
        return zip_head_suffix(head) == "xml"
    return head.lstrip().startswith("<") and bool(_ROOT_TAG.search(head))


FORMAT = Format(
    name="ctgov-xml",
    version=VERSION,
    description="ClinicalTrials.gov legacy <clinical_study> XML (single files, or a zip of them)",
    sniff=sniff,
    read=read,
    priority=40,
)
