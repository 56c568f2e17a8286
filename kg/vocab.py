"""IRIs of the ontology and of instances: the only place they are spelled out.

MODEL.md makes these public API. The mapper, the canned queries' parameter binding and the
ontology tests import from here, so a rename is one edit and a test catches any drift between
this module and `ontology/trialgraph.ttl`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

TG = "https://w3id.org/trialgraph/ontology#"
BASE = "https://w3id.org/trialgraph/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
MESH = "http://id.nlm.nih.gov/mesh/"
DRUGBANK = "https://go.drugbank.com/drugs/"
NCIT = "http://purl.obolibrary.org/obo/NCIT_"
CHEBI = "http://purl.obolibrary.org/obo/CHEBI_"

PREFIXES: dict[str, str] = {
    "tg": TG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
}

ONTOLOGY_GRAPH = BASE + "graph/ontology"
VOCABULARY_GRAPH = BASE + "graph/vocabulary"

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
SKOS_BROADER = SKOS + "broader"
SKOS_EXACT_MATCH = SKOS + "exactMatch"
SKOS_PREF_LABEL = SKOS + "prefLabel"
SKOS_CONCEPT = SKOS + "Concept"
OWL_SAME_AS = OWL + "sameAs"


def tg(local: str) -> str:
    return TG + local


# --- instance IRIs ---------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def key(text: str) -> str:
    """Comparison key for names: case, spacing and punctuation ignored (MODEL.md term nodes)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "-".join(t for t in _NON_WORD.split(folded) if t)


def slug(text: str, limit: int = 80) -> str:
    """IRI-safe, readable, stable path segment; long texts end in a hash to stay unique."""
    k = key(text) or "x"
    if len(k) > limit:
        k = k[: limit - 13].rstrip("-") + "-" + hashlib.sha1(k.encode()).hexdigest()[:12]
    return quote(k, safe="-")


def trial_iri(trial_id: str) -> str:
    """`trial/NCT05522582`: the id as written, upper case (MODEL.md)."""
    return BASE + "trial/" + quote(trial_id.strip().upper(), safe="-._~")


def intervention_term_iri(name: str) -> str:
    return BASE + "intervention/" + slug(name)


def condition_term_iri(name: str) -> str:
    return BASE + "condition/" + slug(name)


def concept_iri(concept_key: str) -> str:
    return BASE + "concept/" + concept_key


def sponsor_iri(org_key: str) -> str:
    return BASE + "sponsor/" + org_key


def site_iri(site_key: str) -> str:
    return BASE + "site/" + site_key


def graph_iri(source_id: str) -> str:
    """One named graph per source document, keyed by where the document came from."""
    return BASE + "graph/" + hashlib.sha256(source_id.encode()).hexdigest()[:32]


def mesh_iri(descriptor_id: str) -> str:
    return MESH + descriptor_id


# --- code lists (values of tg:phase, tg:overallStatus, ...) ---------------------------------

PHASES = ("EarlyPhase1", "Phase1", "Phase2", "Phase3", "Phase4", "PhaseNotApplicable")
STATUSES = (
    "NotYetRecruiting",
    "Recruiting",
    "EnrollingByInvitation",
    "ActiveNotRecruiting",
    "Suspended",
    "Terminated",
    "Completed",
    "Withdrawn",
    "UnknownStatus",
)
STUDY_TYPES = ("Interventional", "Observational", "ExpandedAccess")
