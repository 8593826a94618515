"""Every Access Analyzer check of the reference is either reported or retired on purpose."""

from __future__ import annotations

from accessdenied.policy.checks.reference import AWS_CHECKS, NOT_COVERED, RETIRED


def _mapped() -> set[str]:
    return {
        name.split(" (", 1)[0].lower()
        for _kind, names in AWS_CHECKS.values()
        for name in names
    }


def test_no_access_analyzer_check_is_left_uncovered() -> None:
    assert NOT_COVERED == ()


def test_retired_checks_are_not_also_claimed() -> None:
    mapped = _mapped()
    for _kind, name, why in RETIRED:
        assert name.lower() not in mapped, name
        assert why


def test_each_access_analyzer_name_has_one_finding_type() -> None:
    seen: dict[str, str] = {}
    for kind, names in AWS_CHECKS.values():
        for name in names:
            # "(warning)"/"(suggestion)" marks a name whose AWS finding type differs
            # from the code's usual one.
            base, _, note = name.partition(" (")
            typ = note.rstrip(")") if note else kind
            assert seen.setdefault(base.lower(), typ) == typ, base
