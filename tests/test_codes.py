"""Source words -> code lists."""

import pytest

from kg import codes


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("PHASE1/PHASE2", ["Phase1", "Phase2"]),
        ("Phase 1/Phase 2", ["Phase1", "Phase2"]),
        ("Phase 1/2", ["Phase1", "Phase2"]),
        ("Phase I-II", ["Phase1", "Phase2"]),
        ("Phase 2", ["Phase2"]),
        ("N/A", ["PhaseNotApplicable"]),
        ("NA", ["PhaseNotApplicable"]),
        ("EARLY_PHASE1", ["EarlyPhase1"]),
        ("Early Phase 1", ["EarlyPhase1"]),
        ("Phase 4", ["Phase4"]),
    ],
)
def test_phases(word, expected):
    found, unknown = codes.phases(word)
    assert found == expected
    assert unknown == []


def test_unknown_phase_is_reported_not_guessed():
    found, unknown = codes.phases("Pilot")
    assert found == []
    assert unknown == ["Pilot"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ACTIVE_NOT_RECRUITING", "ActiveNotRecruiting"),
        ("Active, not recruiting", "ActiveNotRecruiting"),
        ("Enrolling", "Recruiting"),
        ("RECRUITING", "Recruiting"),
        ("Not yet recruiting", "NotYetRecruiting"),
        ("Enrolling by invitation", "EnrollingByInvitation"),
        ("UNKNOWN", "UnknownStatus"),
        ("Completed", "Completed"),
        ("Bogus", None),
        (None, None),
    ],
)
def test_status(word, expected):
    assert codes.STATUS.lookup(word) == expected


def test_design_and_types():
    assert codes.STUDY_TYPE.lookup("INTERVENTIONAL") == "Interventional"
    assert codes.INTERVENTION_MODEL.lookup("Single Group Assignment") == "SingleGroupAssignment"
    assert codes.INTERVENTION_MODEL.lookup("SINGLE_GROUP") == "SingleGroupAssignment"
    assert codes.ALLOCATION.lookup("NON_RANDOMIZED") == "NonRandomized"
    assert codes.masking_of("None (Open Label)") == "NoMasking"
    assert codes.masking_of("Double (Participant, Investigator)") == "DoubleMasking"
    assert codes.ARM_TYPE.lookup("Experimental group") == "ExperimentalArm"
    assert codes.INTERVENTION_TYPE.lookup("Radiation") == "RadiationIntervention"
    assert codes.SEX.lookup("ALL") == "AllSexes"
