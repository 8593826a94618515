"""Security: credentials redacted in every `scan` format, Markdown from logs escaped,
nothing from a workspace executed, `accessdenied run` passes exit codes and signals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accessdenied.lsp import convert
from accessdenied.workspace import build_index, load_config
from accessdenied.workspace.config import ConfigError
from tests.reliability.helpers import cli

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SESSION_KEY = "ASIAY34FZKBOKMUTVV7A"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample1234567890abcdef"
LEAKS = (ACCESS_KEY, SESSION_KEY, SECRET, TOKEN)

LOG = (
    f"export AWS_ACCESS_KEY_ID={ACCESS_KEY} aws_secret_access_key={SECRET}\n"
    f"AWS_SESSION_TOKEN={TOKEN}\n"
    "An error occurred (AccessDenied) when calling the GetObject operation: User: "
    f"arn:aws:sts::111122223333:assumed-role/app/{SESSION_KEY} is not authorized to "
    f'perform: s3:GetObject on resource: "arn:aws:s3:::b/{ACCESS_KEY}" because no '
    "identity-based policy allows the s3:GetObject action\n"
)
PRINCIPAL = "arn:aws:sts::111122223333:assumed-role/app/ASIA<redacted>"
RESOURCE = "arn:aws:s3:::b/AKIA<redacted>"


@pytest.fixture(scope="module")
def secret_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sec") / "creds.log"
    path.write_text(LOG, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_scan_output_never_contains_credentials(secret_log: Path, fmt: str) -> None:
    p = cli("scan", str(secret_log), "--format", fmt)
    assert p.returncode == 1, p.stderr
    out = p.stdout.decode()
    for leak in LEAKS:
        assert leak not in out, (fmt, leak)
    assert PRINCIPAL in out
    assert RESOURCE in out


def test_scan_json_fields_are_redacted_exactly(secret_log: Path) -> None:
    (r,) = json.loads(cli("scan", str(secret_log), "--format", "json").stdout)[
        "denials"
    ]
    assert (r["line"], r["principal"], r["resource"]) == (3, PRINCIPAL, RESOURCE)
    assert r["text"] == (
        f"User: {PRINCIPAL} is not authorized to perform: s3:GetObject on resource: "
        f'"{RESOURCE}" because no identity-based policy allows the s3:GetObject action'
    )


def test_scan_sarif_message_and_properties_are_redacted(secret_log: Path) -> None:
    sarif = json.loads(cli("scan", str(secret_log), "--format", "sarif").stdout)
    (result,) = sarif["runs"][0]["results"]
    assert result["message"]["text"].startswith(
        f"{PRINCIPAL} was denied s3:GetObject on {RESOURCE}: "
    )
    assert result["properties"]["principal"] == PRINCIPAL
    assert result["properties"]["resource"] == RESOURCE


# Markdown that must not survive: links, command: URIs, images, HTML, autolinks.
_ACTIVE = re.compile(r"(?<!\\)[\[\]<>`]|://")


@given(
    st.lists(
        st.sampled_from(
            [*list("[]()<>`*_!:/\\|#-+=. \n\rax1"), "command:", "javascript:", "http"]
        ),
        max_size=40,
    ).map("".join)
)
def test_escape_markdown_leaves_no_active_markup(text: str) -> None:
    out = convert.escape_markdown(text)
    # Every bracket/backtick/angle is escaped, no URL scheme separator, one line.
    stripped = out.replace("\\\\", "")
    assert not _ACTIVE.search(stripped), (text, out)
    assert "\n" not in out
    assert "\r" not in out


@pytest.mark.parametrize(
    ("evil", "expected"),
    [
        (
            "[run](command:workbench.action.terminal.new)",
            "\\[run\\](command:workbench.action.terminal.new)",
        ),
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
        ("`code` and **bold**", "\\`code\\` and \\*\\*bold\\*\\*"),
        ("see https://evil.example/x", "see https:\\/\\/evil.example/x"),
        ("![i](http://e/x.png)", "!\\[i\\](http:\\/\\/e/x.png)"),
    ],
)
def test_escape_markdown_exact(evil: str, expected: str) -> None:
    assert convert.escape_markdown(evil) == expected


@given(st.text(alphabet=st.sampled_from(list("`ab \n")), max_size=30))
def test_code_span_content_cannot_break_out(text: str) -> None:
    out = convert.code_span(text)
    fence = re.match(r"`+", out)
    assert fence is not None
    inner = out[len(fence.group(0)) : -len(fence.group(0))]
    assert out.endswith(fence.group(0))
    # The content never holds a backtick run as long as the fence (it would close it).
    assert fence.group(0) not in inner
    assert "\n" not in out


HOSTILE_CONFIG = """\
[[principals]]
arn = "$(touch {pwned})"
identity_policies = ["`touch {pwned}`", "|touch {pwned}", "../../../../etc/passwd"]
boundary = "policies/x.json; touch {pwned}"

[[resources]]
arn = "arn:aws:s3:::b*"
policy = "$(touch {pwned})"

[organization]
scps = [["`touch {pwned}`"]]
management_account = "999999999999"
"""
HOSTILE_TF = """\
resource "null_resource" "x" {{
  provisioner "local-exec" {{ command = "touch {pwned}" }}
}}
data "external" "y" {{ program = ["sh", "-c", "touch {pwned}"] }}
resource "aws_iam_role_policy" "p" {{
  role   = "$(touch {pwned})"
  policy = <<EOF
{{"Version": "2012-10-17", "Statement": []}}
EOF
}}
"""


def test_workspace_files_never_spawn_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pwned = tmp_path / "pwned"
    (tmp_path / ".accessdenied.toml").write_text(
        HOSTILE_CONFIG.format(pwned=pwned), encoding="utf-8"
    )
    (tmp_path / "main.tf").write_text(HOSTILE_TF.format(pwned=pwned), encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        f"      RoleName: !Sub '$(touch {pwned})'\n",
        encoding="utf-8",
    )
    spawned: list[str] = []

    def forbid(name: str) -> Any:
        def call(*args: object, **kwargs: object) -> Any:
            spawned.append(name)
            raise AssertionError(f"{name} called")

        return call

    monkeypatch.setattr(subprocess, "Popen", forbid("subprocess.Popen"))
    for name in (
        "system",
        "popen",
        "fork",
        "forkpty",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "execvp",
        "execvpe",
    ):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, forbid(f"os.{name}"))
    config = load_config(tmp_path)
    assert config.principals[0].arn == f"$(touch {pwned})"
    index = build_index(tmp_path, config)
    index.policies_for(f"$(touch {pwned})")
    index.resource_policies_for("arn:aws:s3:::b/k")
    assert spawned == []
    assert not pwned.exists()


def test_config_with_non_numeric_account_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".accessdenied.toml").write_text(
        '[organization]\nmanagement_account = "$(id)"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value).endswith(
        ".accessdenied.toml:2: organization.management_account: "
        "'$(id)' does not match '^[0-9]{12}$'"
    )
    index = build_index(tmp_path)
    assert index.config_error is not None
    assert index.config_error.line == 2


RUN = [sys.executable, "-m", "accessdenied", "run", "--log"]


def test_run_passes_shell_exit_code(tmp_path: Path) -> None:
    p = subprocess.run(
        [*RUN, str(tmp_path / "t.log"), "--", "sh", "-c", "echo hi; exit 7"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 7
    assert p.stdout == b"hi\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_run_child_killed_by_sigterm_exits_143(tmp_path: Path) -> None:
    p = subprocess.run(
        [*RUN, str(tmp_path / "t.log"), "--", "sh", "-c", "kill -TERM $$"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == 128 + signal.SIGTERM


def test_lsp_diagnostic_message_is_redacted() -> None:
    from accessdenied.denials import scan_text
    from accessdenied.lsp import explain

    (denial,) = scan_text(LOG)
    message = explain.message(explain.redacted(denial))
    assert message == (
        f"{PRINCIPAL} was denied s3:GetObject on {RESOURCE}: "
        "no statement in an identity-based policy allows it"
    )


@pytest.mark.skipif(os.name != "posix", reason="symlinks and FIFOs")
@pytest.mark.parametrize("trap", ["dir-symlink", "log-symlink", "fifo"])
def test_run_never_writes_its_log_outside_or_into_a_fifo(
    tmp_path: Path, trap: str
) -> None:
    """A cloned repo's `.accessdenied` (or its terminal.log) pointing elsewhere, or a
    FIFO in its place: `run` refuses the log (exit 2, clear message, nothing written)."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    if trap == "dir-symlink":
        os.symlink(outside, ws / ".accessdenied")
        why = "outside the working directory; not written"
    else:
        (ws / ".accessdenied").mkdir()
        log = ws / ".accessdenied" / "terminal.log"
        if trap == "log-symlink":
            os.symlink(outside / "t.log", log)
            why = "a symbolic link; not followed"
        else:
            os.mkfifo(log)
            why = "a FIFO, not a regular file"
    p = subprocess.run(
        [sys.executable, "-m", "accessdenied", "run", "--", "echo", "hi"],
        cwd=ws,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert p.returncode == 2
    assert why in p.stderr.decode()
    assert list(outside.iterdir()) == []
