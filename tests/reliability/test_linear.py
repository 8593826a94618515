"""Time scales linearly on adversarial input (ratios, not absolute times, so a loaded
2-core machine does not flake): the scanner on a 1 MB single line of near-matches, the
policy checker on deep nesting."""

from __future__ import annotations

import time
from collections.abc import Callable

from accessdenied.denials import scan_text
from accessdenied.policy import check_text

# Prefixes of every denial family, each stopped just before it would match.
NEAR = (
    "User: arn:aws:sts::111122223333:assumed-role/a/b is not authorized to perform: "
    "User: arn:aws:iam::1:user/" + "x" * 64 + " is not authorized "
    "An error occurred (AccessDenied) when calling the "
    "An error occurred (AccessDeniedException) when calling the ListBuckets operation "
    "because no identity-based policy allows "
    "with an explicit deny in a service control policy "
    '{"errorCode": "AccessDenied", "eventSource": "s3.amazonaws.com", '
    "Encoded authorization failure message: " + "Zm9v" * 30 + " "
    "arn:aws:iam::" + "1" * 40 + ":role/" + "/" * 40 + " "
    "on resource: arn:aws:s3:::" + "b" * 100 + " "
    "status code: 403, request id: " + "0-" * 30 + " "
    "AccessDenied AccessDenied Forbidden 403 "
)


def _ratio(
    small: Callable[[], object], big: Callable[[], object], runs: int = 5
) -> tuple[float, float]:
    """Best times of `small` and `big`, measured alternately (same machine load)."""
    best_small = best_big = float("inf")
    small()  # warm caches and compiled patterns
    for _ in range(runs):
        t0 = time.perf_counter()
        small()
        t1 = time.perf_counter()
        big()
        t2 = time.perf_counter()
        best_small = min(best_small, t1 - t0)
        best_big = min(best_big, t2 - t1)
    return best_small, best_big


# 10x the input: a linear scan takes ~10x (measured 9.5x idle); quadratic would be ~100x.
# 20x leaves room for a loaded 2-core machine (seen 18x with the whole suite running).
MAX_RATIO = 20


def test_scan_one_megabyte_line_of_near_matches_is_linear() -> None:
    small = (NEAR * (100_000 // len(NEAR) + 1))[:100_000]
    big = (NEAR * (1_000_000 // len(NEAR) + 1))[:1_000_000]
    assert "\n" not in big
    t_small, t_big = _ratio(lambda: scan_text(small), lambda: scan_text(big))
    assert t_big <= MAX_RATIO * max(t_small, 0.002), (t_small, t_big)


def test_check_deep_nesting_is_linear_and_reported_not_raised() -> None:
    def doc(depth: int) -> str:
        return (
            '{"Version": "2012-10-17", "Statement": '
            + '{"a": ' * depth
            + "1"
            + "}" * depth
            + "}"
        )

    small, big = doc(10_000), doc(100_000)
    findings = check_text(big)
    assert any(
        f.code == "json-syntax" and f.message == "document nested too deeply"
        for f in findings
    )
    t_small, t_big = _ratio(lambda: check_text(small), lambda: check_text(big), 3)
    assert t_big <= MAX_RATIO * max(t_small, 0.002), (t_small, t_big)


def test_check_unclosed_brackets_is_a_finding() -> None:
    findings = check_text("[" * 200_000)
    assert findings[0].code == "policy-not-object"
    assert findings[0].message == "a policy document must be a JSON object"
    assert any(f.message == "unclosed array: expected ']'" for f in findings)
