"""Linear time on adversarial input (regex audit), fuzzing, and credential redaction."""

from __future__ import annotations

import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from accessdenied.denials import redact, scan_text
from accessdenied.denials.normalize import normalize
from tests.paths import DENIAL_SAMPLE

NEAR_MISSES = (
    "User: arn:aws:iam::1:user/x is not authorized to ",
    "User: " + "a" * 300 + " ",
    "not authorized to perform: ",
    "AccessDenied AccessDenied ",
    "Access Denied ",
    "Forbidden: ",
    "on resource: arn:aws:s3:::b ",
    "because no ",
    "with an explicit deny in a ",
    '"errorCode": "AccessDenied", ',
    "An error occurred (AccessDenied) when calling the X operation: ",
    "Encoded authorization failure message: " + "A" * 200,
    '\\\\\\" [31m ',
    "<<<<<>>>>> ",
)


def _timed(text: str) -> float:
    t0 = time.perf_counter()
    scan_text(text)
    return time.perf_counter() - t0


def test_linear_time_on_one_mb_line_of_near_matches() -> None:
    unit = "".join(NEAR_MISSES)
    small = unit * (100_000 // len(unit))
    big = unit * (1_000_000 // len(unit))
    t_small = _timed(small)
    t_big = _timed(big)
    # Linear: 10x the input takes about 10x the time (generous bound), and stays fast.
    assert t_big < 5.0
    assert t_big < 25 * max(t_small, 0.01)


def test_each_near_miss_repeated_is_fast() -> None:
    for unit in NEAR_MISSES:
        text = unit * (200_000 // len(unit))
        # Catastrophic backtracking would take minutes; this bound only allows a loaded CI.
        assert _timed(text) < 4.0, unit[:30]


def _real_texts() -> list[str]:
    if not DENIAL_SAMPLE.is_file():
        return [
            "User: arn:aws:iam::1:user/x is not authorized to perform: s3:GetObject"
        ]
    return [
        json.loads(x)["text"]
        for x in DENIAL_SAMPLE.read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]


REAL = _real_texts()


def _check(text: str) -> None:
    for d in scan_text(text):
        assert 0 <= d.span.start <= d.span.end <= len(text)
        assert 1 <= d.span.start_line <= d.span.end_line
        assert d.span.start_column >= 1


@settings(max_examples=150)
@given(st.text(max_size=2000))
def test_fuzz_random_text(text: str) -> None:
    _check(text)


@settings(max_examples=200)
@given(
    st.sampled_from(REAL),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4000),
            st.integers(min_value=0, max_value=40),
            st.text(alphabet=" \n\t\\\"'│[m:\x1b\x00/", max_size=5),
        ),
        max_size=6,
    ),
)
def test_fuzz_mutated_real_texts(text: str, edits: list[tuple[int, int, str]]) -> None:
    for pos, cut, ins in edits:
        pos = min(pos, len(text))
        text = text[:pos] + ins + text[pos + cut :]
    _check(text)


@settings(max_examples=100)
@given(st.text(max_size=500))
def test_normalize_map_is_monotonic(text: str) -> None:
    nz = normalize(text)
    prev = 0
    for i in range(len(nz.text) + 1):
        o = nz.orig_start(i)
        assert 0 <= o <= len(text)
        assert o >= prev
        prev = o


def test_redact_access_keys_secrets_tokens() -> None:
    text = (
        "key=AKIAIOSFODNN7EXAMPLE tmp ASIAY34FZKBOKMUTVV7A "
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
        'SessionToken: "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQD' + "A" * 60 + '" '
        "role AROAYPXOM67G7A6BYFKN4 stays"
    )
    out = redact(text)
    assert "AKIAIOSFODNN7EXAMPLE" not in out
    assert "ASIAY34FZKBOKMUTVV7A" not in out
    assert "wJalrXUtnFEMI" not in out
    assert "IQoJb3JpZ2luX2Vj" not in out
    assert "AKIA<redacted>" in out
    assert "AROAYPXOM67G7A6BYFKN4" in out


def test_denial_text_is_redacted() -> None:
    text = (
        "creds AKIAIOSFODNN7EXAMPLE: User: arn:aws:iam::1:user/x is not authorized to perform: "
        "s3:GetObject on resource: arn:aws:s3:::b/AKIAIOSFODNN7EXAMPLE"
    )
    (d,) = scan_text(text)
    assert "AKIAIOSFODNN7EXAMPLE" not in d.text
