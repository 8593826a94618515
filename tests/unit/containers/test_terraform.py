"""Terraform container: every document shape located, edited in place and verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accessdenied.containers.terraform import terraform_bindings
from accessdenied.containers.terraform.hcl import HclError, parse_hcl
from accessdenied.workspace import build_index
from tests.unit.containers.tfkit import apply_and_judge, denial, fix, write

ACCT = "111122223333"
ROLE = f"arn:aws:sts::{ACCT}:assumed-role/app-role/dev"


def _identity(action: str, resource: str, principal: str = ROLE) -> str:
    op = action.split(":", 1)[1]
    return (
        f"An error occurred (AccessDeniedException) when calling the {op} operation: "
        f"User: {principal} is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )


def _resource(action: str, resource: str, principal: str = ROLE) -> str:
    op = action.split(":", 1)[1]
    return (
        f"An error occurred (AccessDenied) when calling the {op} operation: "
        f"User: {principal} is not authorized to perform: {action} on resource: "
        f'"{resource}" because no resource-based policy allows the {action} action'
    )


ROLE_TF = """resource "aws_iam_role" "app" {
  name = "app-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"""

JSONENCODE = (
    ROLE_TF
    + """
resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
}

resource "aws_s3_bucket" "r" {
  bucket = "reports-bkt"
}

resource "aws_iam_role_policy" "app" {
  name = "app"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Read"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = aws_dynamodb_table.orders.arn
      },
    ]
  })
}
"""
)


def test_hcl_positions_and_syntax_errors() -> None:
    f = parse_hcl(JSONENCODE)
    pol = next(b for b in f.blocks if b.labels == ("aws_iam_role_policy", "app"))
    call = pol.value("policy")
    assert call is not None
    assert (call.kind, call.name) == ("call", "jsonencode")
    obj = call.items[0]
    assert (JSONENCODE[obj.start], JSONENCODE[obj.end - 1]) == ("{", "}")
    with pytest.raises(HclError, match="line"):
        parse_hcl('resource "x" "y" {\n  a = \n}\n')


def test_jsonencode_extends_statement_naming_the_table_by_reference(
    tmp_path: Path,
) -> None:
    root = write(tmp_path, {"main.tf": JSONENCODE})
    d = denial(
        _identity("dynamodb:PutItem", f"arn:aws:dynamodb:us-east-1:{ACCT}:table/orders")
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert out["fix"].kind == "extend-statement"
    assert 'Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]' in out["after"]


def test_jsonencode_inserts_statement_with_bucket_reference(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": JSONENCODE})
    d = denial(_identity("s3:PutObject", "arn:aws:s3:::reports-bkt/daily/r.csv"))
    out = apply_and_judge(root, d, fix(root, d))
    assert out["fix"].kind == "insert-statement"
    assert 'Resource = "${aws_s3_bucket.r.arn}/daily/r.csv"' in out["after"]
    assert 'Sid      = "AllowS3PutObject"' in out["after"]  # aligned like the file


def test_jsonencode_trust_policy(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": ROLE_TF})
    d = denial(
        f"An error occurred (AccessDenied) when calling the AssumeRole operation: "
        f"User: arn:aws:iam::{ACCT}:user/alice is not authorized to perform: "
        f"sts:AssumeRole on resource: arn:aws:iam::{ACCT}:role/app-role"
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert out["fix"].kind in ("edit-trust-policy", "extend-statement")
    assert f'AWS = "arn:aws:iam::{ACCT}:user/alice"' in out["after"]


POLICY_DOCUMENT = """resource "aws_iam_role" "app" {
  name               = "app-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Send"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }
}

resource "aws_iam_policy" "app" {
  name   = "app"
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.app.arn
}
"""


def test_policy_document_extends_actions_of_managed_policy(tmp_path: Path) -> None:
    root = write(tmp_path, {"iam.tf": POLICY_DOCUMENT})
    d = denial(_identity("sqs:ReceiveMessage", f"arn:aws:sqs:eu-west-1:{ACCT}:jobs"))
    out = apply_and_judge(root, d, fix(root, d))
    assert out["fix"].kind == "extend-statement"
    assert '["sqs:SendMessage", "sqs:ReceiveMessage"]' in out["after"]


def test_policy_document_new_statement_block(tmp_path: Path) -> None:
    root = write(tmp_path, {"iam.tf": POLICY_DOCUMENT})
    d = denial(
        _identity(
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:db-AbCdEf",
        )
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert out["fix"].kind == "insert-statement"
    assert (
        '  statement {\n    sid       = "AllowSecretsmanagerGetSecretValue"'
        in (out["after"])
    )


def test_policy_document_trust_gets_principals_block(tmp_path: Path) -> None:
    root = write(tmp_path, {"iam.tf": POLICY_DOCUMENT})
    d = denial(
        f"An error occurred (AccessDenied) when calling the AssumeRole operation: "
        f"User: arn:aws:iam::{ACCT}:user/ci is not authorized to perform: "
        f"sts:AssumeRole on resource: arn:aws:iam::{ACCT}:role/app-role"
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert "principals {" in out["after"]
    assert f'identifiers = ["arn:aws:iam::{ACCT}:user/ci"]' in out["after"]


BUCKET_POLICY = """resource "aws_s3_bucket" "data" {
  bucket = "data-bkt"
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "Deploy"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.data.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::444455556666:root"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.bucket.json
}
"""


def test_bucket_policy_document_resource_denial(tmp_path: Path) -> None:
    root = write(tmp_path, {"s3.tf": BUCKET_POLICY})
    who = "arn:aws:sts::777788889999:assumed-role/reader/x"
    d = denial(_resource("s3:GetObject", "arn:aws:s3:::data-bkt/a.txt", who))
    out = apply_and_judge(root, d, fix(root, d))
    assert 'resources = ["${aws_s3_bucket.data.arn}/a.txt"]' in out["after"]
    assert 'identifiers = ["arn:aws:iam::777788889999:role/reader"]' in out["after"]


HEREDOC = """resource "aws_iam_user" "ci" {
  name = "ci"
}

resource "aws_sns_topic" "t" {
  name_prefix = "alerts-"
}

resource "aws_iam_user_policy" "ci" {
  user   = aws_iam_user.ci.name
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": "s3:ListBucket",
          "Resource": "arn:aws:s3:::ci-bkt"
        }
      ]
    }
    EOT
}
"""


def test_heredoc_user_policy(tmp_path: Path) -> None:
    root = write(tmp_path, {"ci.tf": HEREDOC})
    d = denial(
        _identity(
            "s3:GetObject", "arn:aws:s3:::ci-bkt/x", f"arn:aws:iam::{ACCT}:user/ci"
        )
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert '"Resource": "arn:aws:s3:::ci-bkt/x"' in out["after"]


def test_topic_arn_from_terraform_state(tmp_path: Path) -> None:
    key = f"arn:aws:sns:us-east-1:{ACCT}:alerts-20240101"
    state = {
        "version": 4,
        "resources": [
            {
                "mode": "managed",
                "type": "aws_sns_topic",
                "name": "t",
                "instances": [{"attributes": {"arn": key, "id": key}}],
            }
        ],
    }
    root = write(tmp_path, {"ci.tf": HEREDOC, "terraform.tfstate": json.dumps(state)})
    d = denial(_identity("sns:Publish", key, f"arn:aws:iam::{ACCT}:user/ci"))
    out = apply_and_judge(root, d, fix(root, d))
    # The topic is managed here: the heredoc names it by reference (its ARN from the
    # state), Terraform fills it in.
    assert '"Resource": "${aws_sns_topic.t.arn}"' in out["after"]


INLINE_AND_FILE = {
    "main.tf": """resource "aws_iam_role" "worker" {
  name               = "worker"
  assume_role_policy = file("${path.module}/policies/trust.json")

  inline_policy {
    name = "logs"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }]
    })
  }
}

resource "aws_iam_role_policy" "files" {
  role   = aws_iam_role.worker.id
  policy = templatefile("${path.module}/policies/app.json.tpl", { bucket = "tpl-bkt" })
}
""",
    "policies/trust.json": (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n'
        '      "Effect": "Allow",\n      "Principal": {"Service": "ec2.amazonaws.com"},\n'
        '      "Action": "sts:AssumeRole"\n    }\n  ]\n}\n'
    ),
    "policies/app.json.tpl": (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n'
        '      "Effect": "Allow",\n      "Action": "s3:GetObject",\n'
        '      "Resource": "arn:aws:s3:::${bucket}/*"\n    }\n  ]\n}\n'
    ),
}


def test_inline_policy_single_line_statement(tmp_path: Path) -> None:
    root = write(tmp_path, INLINE_AND_FILE)
    worker = f"arn:aws:sts::{ACCT}:assumed-role/worker/i-1"
    d = denial(_identity("logs:CreateLogStream", "*", worker))
    fixes = fix(root, d)
    out = apply_and_judge(root, d, fixes)
    assert "templatefile" in out["after"] or "inline_policy" in out["after"]


def test_file_target_trust_policy(tmp_path: Path) -> None:
    root = write(tmp_path, INLINE_AND_FILE)
    d = denial(
        f"An error occurred (AccessDenied) when calling the AssumeRole operation: "
        f"User: arn:aws:iam::{ACCT}:user/ops is not authorized to perform: "
        f"sts:AssumeRole on resource: arn:aws:iam::{ACCT}:role/worker"
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert out["path"].name == "trust.json"


def test_templatefile_document_is_evaluated(tmp_path: Path) -> None:
    root = write(tmp_path, INLINE_AND_FILE)
    index = build_index(root)
    refs = index.policies_for(f"arn:aws:iam::{ACCT}:role/worker")
    docs = [index.document(r) for r in refs]
    assert any(
        d and d["Statement"][0].get("Resource") == "arn:aws:s3:::tpl-bkt/*"
        for d in docs
    )


MODULE = {
    "main.tf": """module "svc" {
  source    = "./modules/svc"
  role_name = "svc-role"
  table     = "events"
}
""",
    "modules/svc/main.tf": """variable "role_name" {
  type = string
}

variable "table" {
  type = string
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "aws_dynamodb_table" "t" {
  name = var.table
}

resource "aws_iam_role_policy" "this" {
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = aws_dynamodb_table.t.arn
      }
    ]
  })
}
""",
}


def test_module_variables_from_call_site(tmp_path: Path) -> None:
    root = write(tmp_path, MODULE)
    principal = f"arn:aws:sts::{ACCT}:assumed-role/svc-role/s"
    d = denial(
        _identity(
            "dynamodb:PutItem",
            f"arn:aws:dynamodb:us-east-1:{ACCT}:table/events",
            principal,
        )
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert out["path"] == (root / "modules/svc/main.tf").resolve()
    assert '["dynamodb:Query", "dynamodb:PutItem"]' in out["after"]
    assert "module svc" in out["fix"].ref.reason


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        (
            "dynamic",
            """resource "aws_iam_role" "app" {
  name               = "app-role"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "app" {
  dynamic "statement" {
    for_each = var.statements
    content {
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "app" {
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}
""",
            'dynamic "statement"',
        ),
        (
            "for_expression",
            ROLE_TF
            + """
resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for s in var.statements : { Effect = "Allow", Action = s.action, Resource = s.arn }]
  })
}
""",
            "computed",
        ),
        (
            "computed_arn",
            ROLE_TF
            + """
variable "bucket" {
  type = string
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:PutObject", Resource = "arn:aws:s3:::${var.bucket}/*" }]
  })
}
""",
            "computed ARN",
        ),
        (
            "unparsable",
            ROLE_TF.replace('name = "app-role"', 'name = "app-role"\n  policy = = {'),
            "not valid HCL",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_written(
    tmp_path: Path, name: str, text: str, needle: str
) -> None:
    root = write(tmp_path, {"main.tf": text})
    d = denial(_identity("s3:PutObject", "arn:aws:s3:::any-bkt/k"))
    fixes = fix(root, d)
    assert not [f for f in fixes if f.edits and f.verified], name
    assert any(needle in f.explanation for f in fixes), [f.explanation for f in fixes]
    assert (root / "main.tf").read_text() == text


def test_bindings_are_module_aware_and_skip_other_files(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "a.tf": ROLE_TF,
            "b.tf": POLICY_DOCUMENT.split('resource "aws_sqs_queue"')[0].replace(
                'resource "aws_iam_role" "app"', 'resource "aws_iam_role" "other"'
            ),
        },
    )
    a = terraform_bindings(root / "a.tf", (root / "a.tf").read_text())
    assert [(b.kind, b.embed) for b in a] == [("trust", "terraform-jsonencode")]
    assert all(b.file == (root / "a.tf").resolve() for b in a)


COUNTED = """variable "create" {
  type    = bool
  default = true
}

variable "env" {
  type = string
}

resource "aws_iam_role" "this" {
  count              = var.create ? 1 : 0
  name               = "${var.env}-worker"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "aws_iam_role_policy" "this" {
  count = var.create ? 1 : 0
  role  = aws_iam_role.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy" "per_queue" {
  for_each = toset(["a", "b"])
  role     = aws_iam_role.this[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sqs:ReceiveMessage", Resource = "arn:aws:sqs:*:*:${each.key}" }]
  })
}
"""


def test_create_flag_count_and_computed_name_are_editable(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": COUNTED})
    worker = f"arn:aws:sts::{ACCT}:assumed-role/prod-worker/task"
    d = denial(_identity("kms:Decrypt", "*", worker))
    fixes = fix(root, d)
    out = apply_and_judge(root, d, fixes)
    assert "aws_iam_role_policy.this" in out["fix"].ref.name
    # The per-instance document (each.key) is explained, never edited.
    index = build_index(root)
    refs = index.policies_for(worker)
    per = [r for r in refs if r.name == "aws_iam_role_policy.per_queue"]
    assert per
    assert per[0].not_editable
    assert "for_each" in per[0].not_editable


def test_pathological_nesting_is_a_syntax_error_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 3000 + "]" * 3000
    text = (
        'resource "aws_iam_role" "app" {\n  name = "app-role"\n'
        f"  assume_role_policy = jsonencode({{ Statement = {deep} }})\n}}\n"
    )
    with pytest.raises(HclError, match="nested"):
        parse_hcl(text)
    root = write(tmp_path, {"main.tf": text})
    d = denial(_identity("s3:GetObject", "arn:aws:s3:::b/k"))
    fixes = fix(root, d)
    assert not [f for f in fixes if f.edits]
    assert any("not valid HCL" in f.explanation for f in fixes)


def test_counted_policy_document_and_unknown_owner(tmp_path: Path) -> None:
    text = (
        ROLE_TF
        + """
variable "create" {
  type    = bool
  default = true
}

variable "other_role" {
  type = string
}

data "aws_iam_policy_document" "logs" {
  count = var.create ? 1 : 0
  statement {
    actions   = ["logs:PutLogEvents"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  count  = var.create ? 1 : 0
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.logs[0].json
}

resource "aws_iam_role_policy" "unknown" {
  role   = var.other_role
  policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
"""
    )
    root = write(tmp_path, {"main.tf": text})
    bindings = terraform_bindings(root / "main.tf", text)
    names = {(b.logical, b.embed) for b in bindings}
    assert ("aws_iam_role_policy.logs", "terraform-data") in names
    # var.other_role is unknown: not bound to every principal.
    assert all(b.logical != "aws_iam_role_policy.unknown" for b in bindings)
    d = denial(_identity("logs:CreateLogStream", "*"))
    out = apply_and_judge(root, d, fix(root, d))
    assert out["fix"].kind == "extend-statement"


def test_conditional_names_resolve_from_defaults(tmp_path: Path) -> None:
    text = """variable "use_name_prefix" {
  type    = bool
  default = false
}

variable "name" {
  type    = string
  default = "etl"
}

resource "aws_iam_role" "this" {
  name               = var.use_name_prefix ? null : var.name
  name_prefix        = var.use_name_prefix ? "${var.name}-" : null
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
"""
    root = write(tmp_path, {"main.tf": text})
    (b,) = terraform_bindings(root / "main.tf", text)
    assert b.target == "arn:aws:iam::*:role/etl"
    assert b.confidence == "inferred"


GROUPS = """resource "aws_iam_user" "alice" {
  name = "alice"
}

resource "aws_iam_group" "devs" {
  name = "devs"
}

resource "aws_iam_group_membership" "devs" {
  name  = "devs"
  group = aws_iam_group.devs.name
  users = [aws_iam_user.alice.name]
}

resource "aws_iam_group_policy" "devs" {
  group = aws_iam_group.devs.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::dev-bkt" }]
  })
}
"""


def test_group_policy_reaches_its_members(tmp_path: Path) -> None:
    root = write(tmp_path, {"iam.tf": GROUPS})
    d = denial(
        _identity(
            "s3:GetBucketLocation",
            "arn:aws:s3:::dev-bkt",
            f"arn:aws:iam::{ACCT}:user/alice",
        )
    )
    out = apply_and_judge(root, d, fix(root, d))
    assert '["s3:ListBucket", "s3:GetBucketLocation"]' in out["after"]


def test_index_update_rereads_the_whole_module(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "roles.tf": 'resource "aws_iam_role" "app" {\n  name = "old-name"\n'
            '  assume_role_policy = "{}"\n}\n',
            "policy.tf": 'resource "aws_iam_role_policy" "p" {\n'
            "  role   = aws_iam_role.app.id\n"
            '  policy = jsonencode({ Version = "2012-10-17", Statement = [] })\n}\n',
        },
    )
    index = build_index(root)
    assert index.policies_for(f"arn:aws:iam::{ACCT}:role/old-name")
    (root / "roles.tf").write_text(
        (root / "roles.tf").read_text().replace("old-name", "new-name")
    )
    index = index.updated([root / "roles.tf"])
    assert not index.policies_for(f"arn:aws:iam::{ACCT}:role/old-name")
    assert [
        r.name for r in index.policies_for(f"arn:aws:iam::{ACCT}:role/new-name")
    ] == ["aws_iam_role_policy.p"]


def test_unparsable_terraform_is_bad_input_for_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from accessdenied.cli import main

    text = ROLE_TF.replace('name = "app-role"', 'name = "app-role"\n  policy = = {')
    root = write(tmp_path, {"main.tf": text})
    monkeypatch.chdir(root)
    code = main(["fix", "--denial-text", _identity("s3:PutObject", "arn:aws:s3:::b/k")])
    err = capsys.readouterr().err
    assert code == 2
    assert "main.tf is not valid HCL (line 3" in err
    assert (root / "main.tf").read_text() == text


def test_topic_arn_from_plan_json(tmp_path: Path) -> None:
    topic = f"arn:aws:sns:eu-west-1:{ACCT}:alerts-from-plan"
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_sns_topic.t",
                        "type": "aws_sns_topic",
                        "name": "t",
                        "values": {"arn": topic, "name": "alerts-from-plan"},
                    }
                ]
            }
        },
    }
    root = write(tmp_path, {"ci.tf": HEREDOC, "tfplan.json": json.dumps(plan)})
    d = denial(_identity("sns:Publish", topic, f"arn:aws:iam::{ACCT}:user/ci"))
    out = apply_and_judge(root, d, fix(root, d))
    assert '"Resource": "${aws_sns_topic.t.arn}"' in out["after"]
