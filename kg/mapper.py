"""The one mapper: neutral records -> RDF statements (N-Quads text) under the trialgraph ontology.

This is the only code that knows the ontology's IRIs for instance data; it never looks at a
source format. Sub-nodes of a trial (arms, outcomes, site participations, ...) get IRIs derived
from their content under the trial's IRI, so the same trial from two documents merges instead of
clashing, and the same record always gives the same IRIs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kg import codes, normalize
from kg import ntriples as nt
from kg.normalize import Concept
from kg.record import MeshTerm, Organisation, Person, Site, Trial, TrialDate
from kg.vocab import (
    BASE, DCTERMS, OWL_SAME_AS, PROV, RDF_TYPE, RDFS_LABEL, SKOS_BROADER, SKOS_CONCEPT,
    SKOS_EXACT_MATCH, TG, concept_iri, condition_term_iri, intervention_term_iri, key, mesh_iri,
    site_iri, slug, sponsor_iri, trial_iri,
)

# Bumped when the mapping of records to triples changes: documents mapped the old way reload.
MAPPER_VERSION = "2"

A = nt.iri(RDF_TYPE)
LABEL = nt.iri(RDFS_LABEL)
BROADER = nt.iri(SKOS_BROADER)
EXACT = nt.iri(SKOS_EXACT_MATCH)


def P(local: str) -> str:
    """`<tg:local>` as N-Triples."""
    return f"<{TG}{local}>"


@dataclass
class Statements:
    """Triples of one document, written as N-Triples lines; the store adds the graph."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o}")

    def text(self, value: str | None, s: str, p: str) -> None:
        if value:
            self.lines.append(f"{s} {p} {nt.string(value)}")

    def nquads(self, graph: str) -> str:
        g = nt.iri(graph)
        return "".join(f"{line} {g} .\n" for line in dict.fromkeys(self.lines))

    def ntriples(self) -> str:
        # Shared nodes and concept lineages repeat across a document's trials: writing each
        # statement once saves the store ~20% of its work (dict keeps the order, so output is stable).
        return "".join(f"{line} .\n" for line in dict.fromkeys(self.lines))


# --- identity -----------------------------------------------------------------------------------


def trial_id(trial: Trial) -> str:
    """NCT id, else another registry id, else a content hash (same record in, same IRI out)."""
    if trial.nct_id:
        return trial.nct_id.strip().upper()
    if trial.registry_id:
        return trial.registry_id.strip()
    sponsor_part = normalize.sponsor_key(trial.lead_sponsor.name) if trial.lead_sponsor else ""
    basis = key(trial.title or trial.official_title or "") + "|" + sponsor_part
    if not basis.strip("|"):
        basis = key(trial.brief_summary or "") or repr(trial)
    return "TG-" + hashlib.sha256(basis.encode()).hexdigest()[:16].upper()


def trial_node(trial: Trial) -> str:
    return trial_iri(trial_id(trial))


# --- code lists ------------------------------------------------------------------------------------


def _code(out: Statements, s: str, prop: str, code_list: codes.CodeList, word: str | None,
          local: str | None = None, where: str = "") -> None:
    """Link to a code-list value; an unknown word gets a generic node and a warning."""
    if not word:
        return
    local = local or code_list.lookup(word)
    if local:
        out.add(s, P(prop), P(local))
        return
    node = nt.iri(f"{BASE}code/{code_list.name}/{slug(word)}")
    out.add(s, P(prop), node)
    out.add(node, A, P(code_list.name))
    out.add(node, LABEL, nt.string(word))
    out.warnings.append(f"{where}unknown {code_list.name} value {word!r}")


def _date(out: Statements, s: str, prop: str, value: TrialDate | None) -> None:
    if value is None:
        return
    d = value.date
    datatype = {"day": nt.XSD_DATE, "month": nt.XSD_GYEARMONTH, "year": nt.XSD_GYEAR}[d.precision]
    out.add(s, P(prop), nt.typed(d.iso(), datatype))
    if value.kind:
        out.add(s, P(prop + "Type"), nt.string(value.kind.upper()))


# --- shared nodes ------------------------------------------------------------------------------------


def _concepts(out: Statements, term: str, concepts: Iterable[Concept]) -> None:
    for c in concepts:
        node = nt.iri(concept_iri(c.key))
        out.add(term, BROADER, node)
        if not c.curated:
            _concept_node(out, c)
        for above in c.lineage:  # MeSH ancestors outside the vocabulary graph
            if not above.curated:
                _concept_node(out, above)


def _concept_node(out: Statements, c: Concept) -> None:
    node = nt.iri(concept_iri(c.key))
    out.add(node, A, nt.iri(SKOS_CONCEPT))
    out.add(node, A, P("Concept"))
    out.add(node, LABEL, nt.string(c.label))
    for m in c.exact_matches:
        if nt.is_iri(m):
            out.add(node, EXACT, f"<{m}>")
    for b in c.broader:
        out.add(node, BROADER, nt.iri(concept_iri(b)))


def _mesh(out: Statements, term: str, mesh: MeshTerm) -> None:
    """Registry-derived MeSH terms: exact match on the term node, ancestors as broader concepts."""
    if not mesh.mesh_id:
        return
    out.add(term, EXACT, nt.iri(mesh_iri(mesh.mesh_id)))
    if mesh.ancestors:
        for anc in mesh.ancestors:
            if anc.mesh_id:
                out.add(term, BROADER, nt.iri(mesh_iri(anc.mesh_id)))
    else:  # the registry did not say which ancestors are this leaf's: MeSH's own tree does
        for parent in _mesh_tree_up(out, mesh.mesh_id):
            out.add(term, BROADER, nt.iri(mesh_iri(parent)))


def _mesh_tree_up(out: Statements, mesh_id: str) -> tuple[str, ...]:
    """The descriptor's parents in the MeSH tree; writes the chain above them with labels."""
    for d in sorted(normalize.mesh_ancestors(mesh_id)):
        node = nt.iri(mesh_iri(d))
        out.add(node, A, nt.iri(SKOS_CONCEPT))
        if lab := normalize.mesh_label(d):
            out.add(node, LABEL, nt.string(lab))
        for up in normalize.mesh_parents(d):
            out.add(node, BROADER, nt.iri(mesh_iri(up)))
    return normalize.mesh_parents(mesh_id)


def _mesh_index(terms: list[MeshTerm]) -> dict[str, MeshTerm]:
    """Reported name key -> the MeSH term the registry matched it to (by "as found" or same name)."""
    index = {key(m.term): m for m in terms if m.mesh_id}
    index.update({key(m.as_found): m for m in terms if m.mesh_id and m.as_found})
    return index


def intervention_term(out: Statements, name: str, type_word: str | None = None) -> str:
    node = nt.iri(intervention_term_iri(name))
    out.add(node, A, P("Intervention"))
    out.add(node, LABEL, nt.string(name))
    _concepts(out, node, normalize.intervention_concepts(name, type_word))
    return node


def condition_term(out: Statements, name: str) -> str:
    node = nt.iri(condition_term_iri(name))
    out.add(node, A, P("Condition"))
    out.add(node, LABEL, nt.string(name))
    _concepts(out, node, normalize.condition_concepts(name))
    return node


def sponsor(out: Statements, org: Organisation) -> str:
    node = nt.iri(sponsor_iri(normalize.sponsor_key(org.name)))
    out.add(node, A, P("Sponsor"))
    out.add(node, LABEL, nt.string(org.name))
    out.text(org.agency_class, node, P("agencyClass"))
    return node


def site(out: Statements, s: Site) -> str:
    node = nt.iri(site_iri(normalize.site_key(s.facility, s.city, s.country)))
    out.add(node, A, P("Site"))
    label = s.facility or ", ".join(x for x in (s.city, s.state, s.country) if x) or "site"
    out.add(node, LABEL, nt.string(label))
    out.text(s.facility, node, P("facilityName"))
    out.text(s.city, node, P("city"))
    out.text(s.state, node, P("state"))
    out.text(s.zip, node, P("zip"))
    out.text(s.country, node, P("country"))
    if s.latitude is not None and s.longitude is not None:
        out.add(node, P("latitude"), nt.decimal(s.latitude))
        out.add(node, P("longitude"), nt.decimal(s.longitude))
    return node


# --- the trial --------------------------------------------------------------------------------------


def _sub(trial_base: str, kind: str, text: str, seen: dict[str, int]) -> str:
    """`<trial>/<kind>/<slug>`: content-derived, made unique within the record."""
    s = slug(text, limit=60)
    n = seen.get(f"{kind}/{s}", 0) + 1
    seen[f"{kind}/{s}"] = n
    return nt.iri(f"{trial_base}/{kind}/{s}" + (f"-{n}" if n > 1 else ""))


def _person(out: Statements, node: str, p: Person) -> None:
    out.add(node, A, P("Person"))
    out.add(node, LABEL, nt.string(p.name))
    out.text(p.role, node, P("role"))
    out.text(p.affiliation, node, P("affiliation"))
    out.text(p.title, node, P("jobTitle"))


def map_trial(trial: Trial, out: Statements) -> str:
    """Statements for one trial; returns the trial's IRI (N-Triples form)."""
    tid = trial_id(trial)
    base = trial_iri(tid)
    t = nt.iri(base)
    where = f"{tid}: "
    seen: dict[str, int] = {}
    out.add(t, A, P("Trial"))
    label = trial.title or trial.official_title or tid
    out.add(t, LABEL, nt.string(label))
    if trial.nct_id:
        out.add(t, P("nctId"), nt.string(tid))
    if trial.registry_id:
        out.add(t, P("registryId"), nt.string(trial.registry_id.strip()))
    out.text(trial.org_study_id, t, P("orgStudyId"))
    for ident in trial.secondary_ids:
        node = _sub(base, "identifier", ident.value, seen)
        out.add(t, P("secondaryId"), node)
        out.add(node, A, P("Identifier"))
        out.add(node, LABEL, nt.string(ident.value))
        out.add(node, P("idValue"), nt.string(ident.value))
        out.text(ident.scheme, node, P("idScheme"))
        out.text(ident.type, node, P("idType"))
        out.text(ident.issuer, node, P("idIssuer"))
        if ident.scheme and ident.scheme.upper() == "NCT" and ident.value.upper() != tid:
            out.add(t, nt.iri(OWL_SAME_AS), nt.iri(trial_iri(ident.value)))

    out.text(trial.title, t, P("title"))
    out.text(trial.official_title, t, P("officialTitle"))
    out.text(trial.acronym, t, P("acronym"))
    out.text(trial.brief_summary, t, P("briefSummary"))
    out.text(trial.detailed_description, t, P("detailedDescription"))

    phase_codes: list[str] = []
    for word in trial.phases:
        found, unknown = codes.phases(word)
        phase_codes += [c for c in found if c not in phase_codes]
        for u in unknown:
            _code(out, t, "phase", codes.PHASE, u, where=where)
    for c in phase_codes:
        out.add(t, P("phase"), P(c))
    _code(out, t, "overallStatus", codes.STATUS, trial.overall_status, where=where)
    out.text(trial.why_stopped, t, P("whyStopped"))
    _code(out, t, "studyType", codes.STUDY_TYPE, trial.study_type, where=where)
    d = trial.design
    _code(out, t, "allocation", codes.ALLOCATION, d.allocation, where=where)
    _code(out, t, "interventionModel", codes.INTERVENTION_MODEL, d.intervention_model, where=where)
    out.text(d.intervention_model_description, t, P("interventionModelDescription"))
    _code(out, t, "primaryPurpose", codes.PRIMARY_PURPOSE, d.primary_purpose, where=where)
    _code(out, t, "masking", codes.MASKING, d.masking, codes.masking_of(d.masking), where=where)
    for who in d.who_masked:
        out.text(who, t, P("whoMasked"))
    out.text(d.observational_model, t, P("observationalModel"))
    out.text(d.time_perspective, t, P("timePerspective"))
    if trial.enrollment is not None:
        out.add(t, P("enrollment"), nt.integer(trial.enrollment))
    out.text(trial.enrollment_type.upper() if trial.enrollment_type else None, t, P("enrollmentType"))

    _date(out, t, "startDate", trial.start_date)
    _date(out, t, "primaryCompletionDate", trial.primary_completion_date)
    _date(out, t, "completionDate", trial.completion_date)
    _date(out, t, "firstPosted", trial.first_posted)
    _date(out, t, "lastUpdate", trial.last_update)

    # Conditions and keywords.
    mesh_by_key = _mesh_index(trial.condition_mesh)
    for name in dict.fromkeys(trial.conditions):
        term = condition_term(out, name)
        out.add(t, P("studiesCondition"), term)
        if m := mesh_by_key.get(key(name)):
            _mesh(out, term, m)
    for name in dict.fromkeys(trial.extracted_conditions):  # found in prose, not listed
        term = condition_term(out, name)
        out.add(t, P("studiesCondition"), term)
        out.add(t, P("extractedCondition"), term)
    for kw in dict.fromkeys(trial.keywords):
        out.text(kw, t, P("keyword"))
    for m in trial.condition_mesh:
        _mesh_concept(out, t, "conditionMeshTerm", m)
    for m in trial.intervention_mesh:
        _mesh_concept(out, t, "interventionMeshTerm", m)

    # Interventions: a term node per reported name, a use node for what this trial says of it.
    terms: dict[str, str] = {}
    iv_mesh = _mesh_index(trial.intervention_mesh)
    for iv in trial.interventions:
        term = intervention_term(out, iv.name, iv.type)
        terms[key(iv.name)] = term
        if m := iv_mesh.get(key(iv.name)):
            _mesh(out, term, m)
        out.add(t, P("hasIntervention"), term)
        use = _sub(base, "intervention", iv.name, seen)
        out.add(t, P("interventionUse"), use)
        out.add(use, A, P("InterventionUse"))
        out.add(use, LABEL, nt.string(iv.name))
        out.add(use, P("interventionTerm"), term)
        if iv.type:
            _code(out, use, "interventionType", codes.INTERVENTION_TYPE, iv.type, where=where)
        out.text(iv.description, use, P("description"))
        for other in dict.fromkeys(iv.other_names):
            out.text(other, use, P("otherName"))
        # Concepts only the other names give ("Vyxeos": daunorubicin, cytarabine) belong to this
        # trial's use, not to the shared term node: ?t tg:interventionUse/skos:broader* ?c.
        _concepts(out, use, normalize.other_name_concepts(iv.name, iv.type, iv.other_names))
        if iv.extracted:
            out.add(use, P("extractedFromText"), nt.boolean(True))

    # Arms.
    arm_nodes: dict[str, str] = {}
    for arm in trial.arms:
        node = _sub(base, "arm", arm.label, seen)
        arm_nodes[key(arm.label)] = node
        out.add(t, P("hasArm"), node)
        out.add(node, A, P("Arm"))
        out.add(node, LABEL, nt.string(arm.label))
        if arm.type:
            _code(out, node, "armType", codes.ARM_TYPE, arm.type, where=where)
        out.text(arm.description, node, P("description"))
        for name in dict.fromkeys(arm.intervention_names):
            term = terms.get(key(name))
            if term is None:  # an arm names an intervention the list does not: keep it anyway
                term = intervention_term(out, name)
                terms[key(name)] = term
                out.add(t, P("hasIntervention"), term)
            out.add(node, P("armIntervention"), term)
    for iv in trial.interventions:  # the other direction: interventions that name their arms
        for label in iv.arm_labels:
            node = arm_nodes.get(key(label))
            if node:
                out.add(node, P("armIntervention"), terms[key(iv.name)])

    # Eligibility.
    e = trial.eligibility
    out.text(e.criteria_text, t, P("eligibilityCriteria"))
    for item in e.inclusion:
        out.text(item, t, P("inclusionCriterion"))
    for item in e.exclusion:
        out.text(item, t, P("exclusionCriterion"))
    _code(out, t, "sex", codes.SEX, e.sex, where=where)
    if e.gender_based is not None:
        out.add(t, P("genderBased"), nt.boolean(e.gender_based))
    if e.minimum_age is not None:
        out.add(t, P("minimumAge"), nt.decimal(e.minimum_age))
    if e.maximum_age is not None:
        out.add(t, P("maximumAge"), nt.decimal(e.maximum_age))
    if e.healthy_volunteers is not None:
        out.add(t, P("healthyVolunteers"), nt.boolean(e.healthy_volunteers))
    for age in e.std_ages:
        out.text(age, t, P("stdAge"))

    # Outcomes.
    for o in trial.outcomes:
        node = _sub(base, f"outcome/{o.kind}", o.measure, seen)
        out.add(t, P(f"{o.kind}Outcome"), node)
        out.add(node, A, P("Outcome"))
        out.add(node, LABEL, nt.string(o.measure))
        out.text(o.time_frame, node, P("timeFrame"))
        out.text(o.description, node, P("description"))

    # Organisations and people.
    if trial.lead_sponsor:
        out.add(t, P("leadSponsor"), sponsor(out, trial.lead_sponsor))
    for org in trial.collaborators:
        out.add(t, P("collaborator"), sponsor(out, org))
    for person in trial.investigators:
        node = _sub(base, "person", person.name, seen)
        out.add(t, P("investigator"), node)
        _person(out, node, person)
    if trial.responsible_party:
        node = _sub(base, "person", trial.responsible_party.name, seen)
        out.add(t, P("responsibleParty"), node)
        _person(out, node, trial.responsible_party)
    for person in trial.contacts:
        node = _sub(base, "person", person.name, seen)
        out.add(t, P("contact"), node)
        _person(out, node, person)

    # Sites: the shared facility node, and this trial's participation (its recruitment status).
    for s in trial.sites:
        node = site(out, s)
        out.add(t, P("hasSite"), node)
        if s.status:
            part = _sub(base, "site", normalize.site_key(s.facility, s.city, s.country), seen)
            out.add(t, P("siteParticipation"), part)
            out.add(part, A, P("SiteParticipation"))
            out.add(part, LABEL, nt.string(f"{label} at {s.facility or s.city or 'site'}"))
            out.add(part, P("site"), node)
            _code(out, part, "siteStatus", codes.STATUS, s.status, where=where)
    for country in dict.fromkeys(trial.countries):
        out.text(country, t, P("country"))

    # Links to other trials, references, results.
    for rel in trial.related_trials:
        other = nt.iri(trial_iri(rel.trial_id))
        out.add(t, P("relatedTrial"), other)
        if rel.title:
            out.add(other, LABEL, nt.string(rel.title))
    for ref in trial.references:
        node = _sub(base, "reference", ref.pmid or ref.citation or "reference", seen)
        out.add(t, P("reference"), node)
        out.add(node, A, P("Reference"))
        out.add(node, LABEL, nt.string(ref.citation or f"PMID {ref.pmid}"))
        out.text(ref.pmid, node, P("pmid"))
        out.text(ref.type, node, P("referenceType"))
    if trial.has_results is not None:
        out.add(t, P("hasResults"), nt.boolean(trial.has_results))
    if trial.source_url and nt.is_iri(trial.source_url):
        out.add(t, P("sourcePage"), f"<{trial.source_url}>")
    return t


def _mesh_concept(out: Statements, t: str, prop: str, m: MeshTerm) -> None:
    """A registry-derived MeSH term as a concept node with its ancestors."""
    if not m.mesh_id:
        return
    node = nt.iri(mesh_iri(m.mesh_id))
    out.add(t, P(prop), node)
    out.add(node, A, nt.iri(SKOS_CONCEPT))
    out.add(node, LABEL, nt.string(m.term))
    for anc in m.ancestors:
        if anc.mesh_id:
            anc_node = nt.iri(mesh_iri(anc.mesh_id))
            out.add(node, BROADER, anc_node)
            out.add(anc_node, A, nt.iri(SKOS_CONCEPT))
            out.add(anc_node, LABEL, nt.string(anc.term))
    if not m.ancestors:
        for parent in _mesh_tree_up(out, m.mesh_id):
            out.add(node, BROADER, nt.iri(mesh_iri(parent)))


# --- documents ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    source: str  # IRI of the source file or URL (prov:wasDerivedFrom)
    format: str
    loader_version: str
    sha256: str
    loaded_at: datetime | None = None


def provenance_statements(graph: str, prov: Provenance, trial_nodes: Iterable[str]) -> Statements:
    """What a document graph says about itself: source, format, loader, checksum, load time."""
    out = Statements()
    g = nt.iri(graph)
    loaded = (prov.loaded_at or datetime.now(timezone.utc)).replace(microsecond=0)
    out.add(g, A, P("SourceDocument"))
    out.add(g, A, f"<{PROV}Entity>")
    out.add(g, LABEL, nt.string(prov.source.rstrip("/").rsplit("/", 1)[-1] or prov.source))
    if nt.is_iri(prov.source):
        out.add(g, f"<{PROV}wasDerivedFrom>", f"<{prov.source}>")
    out.add(g, P("sourceFormat"), nt.string(prov.format))
    out.add(g, f"<{DCTERMS}format>", nt.string(prov.format))
    out.add(g, P("loaderVersion"), nt.string(prov.loader_version))
    out.add(g, f"<{PROV}generatedAtTime>", nt.typed(loaded.isoformat(), nt.XSD_DATETIME))
    for node in trial_nodes:
        out.add(g, P("describesTrial"), f"<{node}>")
    # Last on purpose: a document's checksum is what marks it as completely loaded.
    out.add(g, P("sha256"), nt.string(prov.sha256))
    return out


def map_document(trials: Iterable[Trial], graph: str, prov: Provenance) -> tuple[Statements, list[str]]:
    """(statements, trial IRIs) for one source document; the store puts them in `graph`."""
    out = Statements()
    trial_nodes = [map_trial(tr, out)[1:-1] for tr in trials]
    out.lines += provenance_statements(graph, prov, trial_nodes).lines
    return out, trial_nodes
