"""Globs from hostile configs and settings match in linear time, with the same meaning
as the regex translations they replace."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from accessdenied.globmatch import glob_matches
from accessdenied.lsp.globs import glob_to_regex, matches
from accessdenied.workspace import build_index
from accessdenied.workspace.discovery import glob_match, glob_regex

EVIL = "/".join(["**"] * 30) + "/x"
DEEP = "a/" * 200 + "y.json"


@pytest.mark.parametrize(
    ("pattern", "path"),
    [(EVIL, DEEP), ("*a" * 40 + "b", "a" * 250), ("{*a,*b}" * 6 + "c", "ab" * 100)],
)
def test_pathological_globs_answer_at_once(pattern: str, path: str) -> None:
    start = time.monotonic()
    assert not glob_match(pattern, path)
    assert not matches(path, [pattern])
    assert time.monotonic() - start < 5  # a hang guard: backtracking would take minutes


def test_hostile_exclude_and_naming_patterns_do_not_hang_the_index(
    tmp_path: Path,
) -> None:
    (tmp_path / ".accessdenied.toml").write_text(
        f'exclude = ["{EVIL}"]\n[naming]\npatterns = ["{"*a" * 8}{{name}}.json"]\n',
        encoding="utf-8",
    )
    deep = tmp_path.joinpath(*["a"] * 40)
    deep.mkdir(parents=True)
    (deep / "p.json").write_text(
        '{"Version": "2012-10-17", "Statement": []}', encoding="utf-8"
    )
    start = time.monotonic()
    index = build_index(tmp_path)
    assert index.config_error is None
    assert deep / "p.json" in index.files
    assert time.monotonic() - start < 10


def test_same_language_as_the_regex_translations() -> None:
    rng = random.Random(7)
    plain = ["a", "b", "/", "*", "**", "**/", "?", "x"]
    lsp = ["a", "{a,b}", "[ab]", "[!a]", "*", "**/", "/", "?", "{x,**/y}", "**"]
    for _ in range(5000):
        pat = "".join(rng.choice(plain) for _ in range(rng.randint(0, 6)))
        path = "".join(rng.choice("ab/x.") for _ in range(rng.randint(0, 8)))
        assert glob_matches(pat, path) == (glob_regex(pat).match(path) is not None)
        pat = "".join(rng.choice(lsp) for _ in range(rng.randint(0, 5)))
        path = "".join(rng.choice("abxy/") for _ in range(rng.randint(0, 8)))
        expected = glob_to_regex(pat).match(path) is not None
        assert glob_matches(pat, path, lsp=True) == expected, (pat, path)


def test_config_arn_patterns_match_in_linear_time() -> None:
    from accessdenied.globmatch import wildcard_fullmatch
    from accessdenied.workspace.index import _wild, arn_matches

    start = time.monotonic()
    assert not arn_matches("arn:" + "*a" * 40 + "b", "arn:" + "a" * 300)
    assert time.monotonic() - start < 5  # a hang guard: backtracking would take minutes
    rng = random.Random(5)
    for _ in range(5000):
        pat = "".join(rng.choice("ab*?:/") for _ in range(rng.randint(0, 7)))
        txt = "".join(rng.choice("ab:/") for _ in range(rng.randint(0, 9)))
        assert wildcard_fullmatch(pat, txt) == (_wild(pat).match(txt) is not None)


def test_policy_with_pathological_wildcards_evaluates_at_once(tmp_path: Path) -> None:
    """A policy `Action: s3:*a*a...b` / `Resource: ...*a*a...b` used to hang evaluation
    (regex backtracking); now linear, with the same decisions."""
    from accessdenied.cli import main

    policy = tmp_path / "p.json"
    policy.write_text(
        '{"Version": "2012-10-17", "Statement": ['
        f'{{"Effect": "Allow", "Action": "s3:{"*e" * 20}*", '
        f'"Resource": "arn:aws:s3:::{"*a" * 20}*"}},'
        f'{{"Effect": "Deny", "Action": "s3:{"*a" * 20}b", "Resource": "*"}}]}}',
        encoding="utf-8",
    )
    start = time.monotonic()
    argv = ["simulate", "--policy", str(policy), "--action"]
    resource = "arn:aws:s3:::" + "a" * 40
    assert main([*argv, "s3:" + "e" * 30, "--resource", resource]) == 0
    assert main([*argv, "s3:" + "a" * 60, "--resource", resource]) == 1
    assert time.monotonic() - start < 5


def test_linear_matchers_agree_with_the_regexes() -> None:
    import re

    from accessdenied.evaluate.matching import (
        LinearMatcher,
        _arn_regex,
        _arn_units,
        _simple_regex,
        _simple_units,
        tokenize,
    )

    rng = random.Random(11)
    for _ in range(5000):
        pat = "".join(rng.choice(["a", "B", "*", "?", ":", "/"]) for _ in range(9))
        txt = "".join(rng.choice("abAB:/") for _ in range(rng.randint(0, 10)))
        t = tokenize(pat, None)
        fold = re.compile(_simple_regex(t), re.IGNORECASE | re.DOTALL)
        arn = re.compile(_arn_regex(t), re.DOTALL)
        assert (fold.fullmatch(txt) is not None) == bool(
            LinearMatcher(_simple_units(t, True), "", True).fullmatch(txt)
        )
        assert (arn.fullmatch(txt) is not None) == bool(
            LinearMatcher(_arn_units(t), "", False).fullmatch(txt)
        )
