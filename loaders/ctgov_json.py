"""ClinicalTrials.gov API v2 JSON: one `Trial` per study, streamed.

Accepts every shape the API and the website hand out: a JSON array of studies (the website's
`ctg-studies.json`), API pages `{"studies": [...], "nextPageToken": ...}`, a single study object,
JSON Lines / concatenated objects, and a `.zip` of such files. Studies are streamed with ijson so
a download of thousands of studies never sits in memory at once.

Values are type-checked against the v2 schema as they are read: a study whose fields have the
wrong JSON type (for instance a file re-serialised by R, where every scalar became a one-item
list) becomes a `RecordError` naming the field, never a title like "['...']".

MeSH ancestors: v2 gives `meshes` (the leaves) and one flat `ancestors` list per browse module
without saying which leaf each ancestor belongs to. Attaching every ancestor to every leaf would
state false hierarchy (Asthma under "Pathologic Processes" because another leaf is), so the
ancestors are attached to a leaf only when the module has exactly one leaf; the full list is
always kept on `Trial.condition_mesh_ancestors` / `intervention_mesh_ancestors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from kg.record import (
    Arm, Design, Identifier, Intervention, MeshTerm, Organisation, Outcome, Person, RecordError,
    Reference, Site, Trial, TrialDate,
)
from kg.text import clean, eligibility_from_text, mesh_descriptor_id, one_line, parse_age, parse_date
from loaders._ctgov_common import (
    ZIP_MAGIC, arm_intervention_name, check_nct, identifier, label_key, zip_head_suffix,
    zip_members,
)
from loaders.base import Format, Item, LoaderError

VERSION = "2"  # 2: supplementary-concept ids in NLM form; browse leaves kept
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
# Top-level keys of one v2 study; any of them marks an object as a study.
STUDY_KEYS = {"protocolSection", "derivedSection", "resultsSection", "documentSection",
              "annotationSection", "hasResults"}
# Wrappers of the retired v1 API (classic "FullStudiesResponse" etc.).
V1_KEYS = {"FullStudiesResponse", "StudyFieldsResponse", "StudyStatistics", "FieldValuesResponse"}


class BadStudy(ValueError):
    """One study cannot be read; the message names the field."""


# --- typed access to one study -------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], (list, dict)):
            return (f"a one-item list {value!r} (scalars wrapped in lists, as R's jsonlite writes "
                    f"without auto_unbox: not API v2 JSON)")
        return "a list"
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:60]!r}"
    if isinstance(value, bool):
        return f"the boolean {value}"
    return "an object" if isinstance(value, dict) else type(value).__name__


class Node:
    """A JSON object with its path, whose getters check the v2 schema's types."""

    __slots__ = ("data", "path")

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise BadStudy(f"{path or 'study'}: expected an object, got {_kind(data)}")
        self.data = data
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def obj(self, key: str) -> Node:
        value = self.data.get(key)
        return Node({} if value is None else value, self._at(key))

    def objs(self, key: str) -> list[Node]:
        return [Node(v, f"{self._at(key)}[{i}]") for i, v in enumerate(self._list(key))]

    def _list(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise BadStudy(f"{self._at(key)}: expected a list, got {_kind(value)}")
        return value

    def texts(self, key: str) -> list[str]:
        out: list[str] = []
        for i, v in enumerate(self._list(key)):
            if not isinstance(v, str):
                raise BadStudy(f"{self._at(key)}[{i}]: expected text, got {_kind(v)}")
            out.append(v)
        return out

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        raise BadStudy(f"{self._at(key)}: expected text, got {_kind(value)}")

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise BadStudy(f"{self._at(key)}: expected true/false, got {_kind(value)}")

    def whole(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise BadStudy(f"{self._at(key)}: expected a whole number, got {_kind(value)}")

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
            return float(value)
        raise BadStudy(f"{self._at(key)}: expected a number, got {_kind(value)}")


def _words(values: list[str]) -> list[str]:
    return [w for v in values if (w := one_line(v))]


def _date(node: Node, key: str) -> TrialDate | None:
    """A `...DateStruct` ({date, type}) or a bare date string."""
    raw = node.data.get(key)
    if raw is None:
        return None
    if isinstance(raw, str):
        text, kind = raw, None
    else:
        struct = node.obj(key)
        text, kind = struct.text("date"), struct.text("type")
    if not text:
        return None
    parsed = parse_date(text)
    if parsed is None:
        raise BadStudy(f"{node._at(key)}: unreadable date {text!r}")
    return TrialDate(parsed, kind.lower() if kind else None)


# --- modules -> record fields ------------------------------------------------------------------------


def _identification(trial: Trial, m: Node) -> None:
    trial.nct_id = _checked_nct(m)
    trial.org_study_id = one_line(m.obj("orgStudyIdInfo").text("id"))
    for info in m.objs("secondaryIdInfos"):
        if value := one_line(info.text("id")):
            trial.secondary_ids.append(identifier(value, info.text("type"), one_line(info.text("domain"))))
    for alias in _words(m.texts("nctIdAliases")):
        trial.secondary_ids.append(Identifier(alias, scheme="NCT", type="NCT_ALIAS"))
    trial.title = one_line(m.text("briefTitle"))
    trial.official_title = one_line(m.text("officialTitle"))
    trial.acronym = one_line(m.text("acronym"))


def _checked_nct(m: Node) -> str:
    value = m.text("nctId")
    try:
        return check_nct(value)
    except ValueError as exc:
        raise BadStudy(f"{m._at('nctId')}: {exc}") from exc


def _status(trial: Trial, m: Node) -> None:
    trial.overall_status = one_line(m.text("overallStatus"))
    trial.why_stopped = clean(m.text("whyStopped"))
    trial.start_date = _date(m, "startDateStruct")
    trial.primary_completion_date = _date(m, "primaryCompletionDateStruct")
    trial.completion_date = _date(m, "completionDateStruct")
    trial.first_posted = _date(m, "studyFirstPostDateStruct")
    trial.last_update = _date(m, "lastUpdatePostDateStruct")


def _organisation(m: Node) -> Organisation | None:
    name = one_line(m.text("name"))
    return Organisation(name, one_line(m.text("class"))) if name else None


def _sponsors(trial: Trial, m: Node) -> None:
    trial.lead_sponsor = _organisation(m.obj("leadSponsor"))
    trial.collaborators = [org for c in m.objs("collaborators") if (org := _organisation(c))]
    rp = m.obj("responsibleParty")
    name = one_line(rp.text("investigatorFullName")) or one_line(rp.text("oldNameTitle"))
    if name:
        trial.responsible_party = Person(
            name=name, role=one_line(rp.text("type")),
            affiliation=one_line(rp.text("investigatorAffiliation")) or one_line(rp.text("oldOrganization")),
            title=one_line(rp.text("investigatorTitle")))


def _design(trial: Trial, m: Node) -> None:
    trial.study_type = one_line(m.text("studyType"))
    trial.phases = _words(m.texts("phases"))
    info = m.obj("designInfo")
    masking = info.obj("maskingInfo")
    trial.design = Design(
        allocation=one_line(info.text("allocation")),
        intervention_model=one_line(info.text("interventionModel")),
        intervention_model_description=clean(info.text("interventionModelDescription")),
        primary_purpose=one_line(info.text("primaryPurpose")),
        masking=one_line(masking.text("masking")),
        who_masked=_words(masking.texts("whoMasked")),
        observational_model=one_line(info.text("observationalModel")),
        time_perspective=one_line(info.text("timePerspective")),
    )
    enrollment = m.obj("enrollmentInfo")
    trial.enrollment = enrollment.whole("count")
    kind = enrollment.text("type")
    trial.enrollment_type = kind.lower() if kind else None


def _arms_interventions(trial: Trial, m: Node) -> None:
    for iv in m.objs("interventions"):
        name = one_line(iv.text("name"))
        if not name:
            raise BadStudy(f"{iv.path}: an intervention without a name")
        trial.interventions.append(Intervention(
            name=name, type=one_line(iv.text("type")), description=clean(iv.text("description")),
            other_names=_words(iv.texts("otherNames")), arm_labels=_words(iv.texts("armGroupLabels"))))
    known = {label_key(iv.name): iv.name for iv in trial.interventions}
    for arm in m.objs("armGroups"):
        label = one_line(arm.text("label"))
        if not label:
            raise BadStudy(f"{arm.path}: an arm group without a label")
        names = [arm_intervention_name(n, known) for n in _words(arm.texts("interventionNames"))]
        trial.arms.append(Arm(label=label, type=one_line(arm.text("type")),
                              description=clean(arm.text("description")), intervention_names=names))


def _outcomes(trial: Trial, m: Node) -> None:
    for kind, key in (("primary", "primaryOutcomes"), ("secondary", "secondaryOutcomes"),
                      ("other", "otherOutcomes")):
        for o in m.objs(key):
            measure = one_line(o.text("measure"))
            if not measure:
                raise BadStudy(f"{o.path}: an outcome without a measure")
            trial.outcomes.append(Outcome(kind, measure, one_line(o.text("timeFrame")),  # type: ignore[arg-type]
                                          clean(o.text("description"))))


def _eligibility(trial: Trial, m: Node) -> None:
    trial.eligibility = eligibility_from_text(
        m.text("eligibilityCriteria"),
        sex=one_line(m.text("sex")),
        gender_based=m.flag("genderBased"),
        minimum_age=parse_age(m.text("minimumAge")),
        maximum_age=parse_age(m.text("maximumAge")),
        healthy_volunteers=m.flag("healthyVolunteers"),
        std_ages=_words(m.texts("stdAges")),
    )


def _person(p: Node) -> Person | None:
    name = one_line(p.text("name"))
    return Person(name=name, role=one_line(p.text("role")),
                  affiliation=one_line(p.text("affiliation"))) if name else None


def _site(loc: Node) -> Site:
    geo = loc.obj("geoPoint")
    return Site(facility=one_line(loc.text("facility")), city=one_line(loc.text("city")),
                state=one_line(loc.text("state")), zip=one_line(loc.text("zip")),
                country=one_line(loc.text("country")), status=one_line(loc.text("status")),
                latitude=geo.number("lat"), longitude=geo.number("lon"))


def _contacts_locations(trial: Trial, m: Node) -> None:
    # Central contacts keep name and role only: phone numbers and e-mails stay out of the graph.
    trial.contacts = [p for c in m.objs("centralContacts") if (p := _person(c))]
    trial.investigators = [p for c in m.objs("overallOfficials") if (p := _person(c))]
    trial.sites = [_site(loc) for loc in m.objs("locations")]


def _references(trial: Trial, m: Node) -> None:
    for ref in m.objs("references"):
        pmid, citation = one_line(ref.text("pmid")), clean(ref.text("citation"))
        if pmid or citation:
            trial.references.append(Reference(pmid, citation, one_line(ref.text("type"))))


def _mesh(browse: Node, found: list[MeshTerm]) -> tuple[list[MeshTerm], list[MeshTerm]]:
    """(leaves, ancestors) of one browse module; see the module docstring for ancestors. `found`
    is the module's browse leaves (`_browse_leaves`): they carry CT.gov's own "M..." ids, not MeSH
    ids, so they join the meshes by name, giving each its relevance and its "asFound", the
    reported name CT.gov matched to it (the link from term node to MeSH)."""
    by_name = {label_key(b.term): b for b in found}
    ancestors = [MeshTerm(t, mesh_descriptor_id(a.text("id"))) for a in browse.objs("ancestors")
                 if (t := one_line(a.text("term")))]
    leaves: list[MeshTerm] = []
    for leaf in browse.objs("meshes"):
        if term := one_line(leaf.text("term")):
            seen = by_name.get(label_key(term))
            leaves.append(MeshTerm(term, mesh_descriptor_id(leaf.text("id")),
                                   relevance=seen.relevance if seen else None,
                                   as_found=seen.as_found if seen else None))
    if len(leaves) == 1:
        leaves[0].ancestors = list(ancestors)
    return leaves, ancestors


def _browse_leaves(browse: Node) -> list[MeshTerm]:
    """Every heading CT.gov's indexer found for the module, with its relevance and "asFound"."""
    return [MeshTerm(name, relevance=one_line(leaf.text("relevance")), as_found=one_line(leaf.text("asFound")))
            for leaf in browse.objs("browseLeaves") if (name := one_line(leaf.text("name")))]


def _derived(trial: Trial, m: Node) -> None:
    conditions, interventions = m.obj("conditionBrowseModule"), m.obj("interventionBrowseModule")
    trial.condition_browse_leaves = _browse_leaves(conditions)
    trial.intervention_browse_leaves = _browse_leaves(interventions)
    trial.condition_mesh, trial.condition_mesh_ancestors = _mesh(conditions, trial.condition_browse_leaves)
    trial.intervention_mesh, trial.intervention_mesh_ancestors = _mesh(interventions,
                                                                      trial.intervention_browse_leaves)


def study_to_trial(data: Any) -> Trial:
    """One v2 study object -> Trial; BadStudy naming the field when the study is malformed."""
    study = Node(data, "")
    p = study.obj("protocolSection")
    trial = Trial()
    _identification(trial, p.obj("identificationModule"))
    _status(trial, p.obj("statusModule"))
    _sponsors(trial, p.obj("sponsorCollaboratorsModule"))
    desc = p.obj("descriptionModule")
    trial.brief_summary = clean(desc.text("briefSummary"))
    trial.detailed_description = clean(desc.text("detailedDescription"))
    cond = p.obj("conditionsModule")
    trial.conditions = _words(cond.texts("conditions"))
    trial.keywords = _words(cond.texts("keywords"))
    _design(trial, p.obj("designModule"))
    _arms_interventions(trial, p.obj("armsInterventionsModule"))
    _outcomes(trial, p.obj("outcomesModule"))
    _eligibility(trial, p.obj("eligibilityModule"))
    _contacts_locations(trial, p.obj("contactsLocationsModule"))
    _references(trial, p.obj("referencesModule"))
    _derived(trial, study.obj("derivedSection"))
    trial.has_results = study.flag("hasResults")
    return trial


# --- streaming ----------------------------------------------------------------------------------------

Opener = Callable[[], IO[bytes]]


def _open(opener: Opener) -> IO[bytes]:
    """The stream positioned after a UTF-8 byte-order mark, which the JSON parser rejects."""
    fh = opener()
    if fh.read(3) != b"\xef\xbb\xbf":
        fh.close()
        fh = opener()
    return fh


def _shape(opener: Opener) -> str:
    """'array', 'page' or 'studies' (one study object, or several as JSON Lines), from the head."""
    with _open(opener) as fh:
        events = ijson.parse(fh, multiple_values=True)
        try:
            prefix, event, value = next(events)
        except StopIteration:
            raise LoaderError("no JSON value in the file") from None
        except ijson.JSONError as exc:
            raise LoaderError(f"not JSON: {exc}") from exc
        if event == "start_array":
            return "array"
        if event != "start_map":
            raise LoaderError(f"the JSON is a bare {event}, not CT.gov API v2 studies")
        seen: list[str] = []
        try:
            for prefix, event, value in events:
                if prefix == "" and event == "map_key":
                    if value == "studies":
                        return "page"
                    if value in STUDY_KEYS:
                        return "studies"
                    if value in V1_KEYS:
                        raise LoaderError(
                            f"a response of the retired ClinicalTrials.gov v1 API ({value}); "
                            "only API v2 JSON is read: download the studies again from the v2 API")
                    seen.append(str(value))
                elif prefix == "" and event == "end_map":
                    break
        except ijson.JSONError as exc:
            raise LoaderError(f"broken JSON: {exc}") from exc
    raise LoaderError("a JSON object with neither 'studies' nor 'protocolSection': not CT.gov API v2 "
                      f"JSON (keys: {', '.join(seen[:8]) or 'none'})")


_ITEM_PREFIX = {"array": "item", "page": "studies.item", "studies": ""}


def _record_name(data: Any, index: int, where: str) -> str:
    """The study's NCT id when it can be found, else its position."""
    try:
        nct = data["protocolSection"]["identificationModule"]["nctId"]
        if isinstance(nct, list) and len(nct) == 1:
            nct = nct[0]
        if isinstance(nct, str) and nct.strip():
            return f"{where}{nct.strip()}"
    except (KeyError, TypeError):
        pass
    return f"{where}study #{index + 1}"


def iter_studies(opener: Opener, where: str = "") -> Iterator[Item]:
    """Every study of one JSON stream as a Trial or a RecordError; earlier ones survive a break."""
    shape = _shape(opener)
    index = -1
    with _open(opener) as fh:
        try:
            for index, data in enumerate(ijson.items(fh, _ITEM_PREFIX[shape], multiple_values=True)):
                if shape == "studies" and isinstance(data, dict) and "studies" in data \
                        and not STUDY_KEYS & data.keys():
                    # JSON Lines of API pages: a page after a study.
                    for j, inner in enumerate(data["studies"] or []):
                        yield _one(inner, j, f"{where}line {index + 1}: ")
                    continue
                yield _one(data, index, where)
        except ijson.JSONError as exc:
            yield RecordError(record=f"{where}after study #{index + 1}",
                              message=f"broken JSON, the rest of the file is unreadable: {exc}")


def _one(data: Any, index: int, where: str) -> Item:
    try:
        return study_to_trial(data)
    except BadStudy as exc:
        return RecordError(record=_record_name(data, index, where), message=str(exc))


def read(path: Path) -> Iterator[Item]:
    with open(path, "rb") as fh:
        is_zip = fh.read(4) == ZIP_MAGIC.encode("latin-1")
    if not is_zip:
        yield from iter_studies(lambda: open(path, "rb"))
        return
    for name, opener in zip_members(path, JSON_SUFFIXES):
        try:
            yield from iter_studies(opener, f"{name}: ")
        except LoaderError as exc:
            yield RecordError(record=name, message=str(exc))


def sniff(head: str) -> bool:
    """v2 studies by their `protocolSection`; v1 wrappers too, so they get a clear error."""
    if head.startswith(ZIP_MAGIC):
        return zip_head_suffix(head) in {"json", "jsonl", "ndjson"}
    text = head.lstrip()
    if not text.startswith(("{", "[")):
        return False
    return '"protocolSection"' in text or any(f'"{k}"' in text[:200] for k in V1_KEYS)


FORMAT = Format(
    name="ctgov-json",
    version=VERSION,
    description="ClinicalTrials.gov API v2 JSON (array, API page, single study, JSON Lines, zip)",
    sniff=sniff,
    read=read,
    priority=40,
)
