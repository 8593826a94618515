"""CDK: the synthesised role's fix lands in the TypeScript / Python source, never cdk.out."""

from __future__ import annotations

import ast
import py_compile
import shutil
import subprocess
from pathlib import Path

import pytest

from accessdenied.fixes import apply_edits
from accessdenied.fixes.fix_all import fix_all
from accessdenied.workspace import build_index
from tests.paths import IN_CI, REPO
from tests.unit.containers.tfkit import denial, fix

WORKSPACES = REPO / "tests" / "workspaces"
TSC = REPO / "build" / "cdk-ts" / "node_modules" / "typescript" / "bin" / "tsc"
HANDLER = (
    "arn:aws:sts::111122223333:assumed-role/"
    "OrdersStack-HandlerServiceRoleFCDC14AE-Xy12AbCd34Ef/OrdersStack-Handler886CB40B-abc"
)


def _identity(action: str, resource: str, principal: str) -> str:
    return (
        f"AccessDenied: User: {principal} is not authorized to perform: {action} on "
        f"resource: {resource} because no identity-based policy allows the {action} action"
    )


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(WORKSPACES / name, root)
    (root / ".git").mkdir()
    return root.resolve()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for p in sorted((root / "cdk.out").rglob("*"))
        if p.is_file()
    }


def _apply(
    root: Path, action: str, resource: str, principal: str
) -> tuple[Path, str, str]:
    d = denial(_identity(action, resource, principal))
    fixes = fix(root, d)
    editing = [f for f in fixes if f.edits and f.verified]
    assert editing, [f.explanation for f in fixes]
    path = Path(editing[0].path)
    before = path.read_text()
    after = apply_edits(before, editing[0].edits)
    first, last = sorted(editing[0].edits)[0], sorted(editing[0].edits)[-1]
    assert after[: first.start] == before[: first.start]
    assert after.endswith(before[last.end :])
    path.write_text(after)
    return path, before, after


def _tsc(root: Path) -> None:
    if not TSC.exists():
        if IN_CI:
            pytest.fail("typescript not installed (bash scripts/test-deps.d/50-cdk.sh)")
        pytest.skip("typescript not installed (bash scripts/test-deps.d/50-cdk.sh)")
    (root / "node_modules").symlink_to(TSC.parents[2])
    proc = subprocess.run(
        ["node", str(TSC), "--noEmit", "-p", "tsconfig.json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cdk_typescript_function_role_gets_add_to_role_policy(tmp_path: Path) -> None:
    root = _copy("cdk-ts", tmp_path)
    out = _snapshot(root)
    path, _before, after = _apply(
        root,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
        HANDLER,
    )
    assert path == root / "lib" / "orders-stack.ts"
    assert "import * as iam from 'aws-cdk-lib/aws-iam';\n" in after
    assert (
        "    handler.addToRolePolicy(new iam.PolicyStatement({\n"
        "      actions: ['dynamodb:PutItem'],\n"
        "      resources: [table.tableArn],\n"
        "    }));\n"
    ) in after
    assert _snapshot(root) == out  # cdk.out is never edited
    _tsc(root)


def test_cdk_typescript_bucket_objects_reference(tmp_path: Path) -> None:
    root = _copy("cdk-ts", tmp_path)
    _path, _before, after = _apply(
        root, "s3:PutObject", "arn:aws:s3:::orders-reports-bkt/daily/r.csv", HANDLER
    )
    assert "resources: [reports.arnForObjects('daily/r.csv')]," in after


def test_cdk_python_role_gets_add_to_policy(tmp_path: Path) -> None:
    root = _copy("cdk-python", tmp_path)
    out = _snapshot(root)
    path, _before, after = _apply(
        root,
        "sqs:ReceiveMessage",
        "arn:aws:sqs:eu-west-1:111122223333:jobs",
        "arn:aws:sts::111122223333:assumed-role/worker-role/ecs-task-1",
    )
    assert path == root / "stacks" / "worker_stack.py"
    assert (
        "        worker_role.add_to_policy(\n"
        "            iam.PolicyStatement(\n"
        '                actions=["sqs:ReceiveMessage"],\n'
        "                resources=[jobs.queue_arn],\n"
    ) in after
    ast.parse(after)
    py_compile.compile(str(path), doraise=True, cfile=str(tmp_path / "x.pyc"))
    assert _snapshot(root) == out


def test_cdk_unassigned_construct_is_explained_with_file_line(tmp_path: Path) -> None:
    root = _copy("cdk-ts", tmp_path)
    src = root / "lib" / "orders-stack.ts"
    text = src.read_text()
    text = text.replace("const handler = new lambda.Function", "new lambda.Function")
    text = text.replace("    table.grantReadData(handler);\n", "")
    src.write_text(text)
    d = denial(
        _identity(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            HANDLER,
        )
    )
    fixes = fix(root, d)
    assert not [f for f in fixes if f.edits]
    why = " ".join(f.explanation for f in fixes)
    assert "orders-stack.ts:18" in why
    assert '"Action": "dynamodb:PutItem"' in why  # the exact statement to add
    assert src.read_text() == text


def test_cdk_ambiguous_construct_id_is_explained(tmp_path: Path) -> None:
    root = _copy("cdk-ts", tmp_path)
    extra = root / "lib" / "other.ts"
    extra.write_text(
        "import { Construct } from 'constructs';\n"
        "import * as lambda from 'aws-cdk-lib/aws-lambda';\n"
        "export function more(scope: Construct) {\n"
        "  const fn = new lambda.Function(this, 'Handler', {} as any);\n"
        "  return fn;\n}\n"
    )
    d = denial(
        _identity(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            HANDLER,
        )
    )
    fixes = fix(root, d)
    assert not [f for f in fixes if f.edits]
    assert any("several places" in f.explanation for f in fixes)


def test_cdk_fix_all_one_edit_for_the_stack_file(tmp_path: Path) -> None:
    root = _copy("cdk-ts", tmp_path)
    texts = [
        _identity(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            HANDLER,
        ),
        _identity("s3:GetObject", "arn:aws:s3:::orders-reports-bkt/in/a.json", HANDLER),
    ]
    result = fix_all([denial(t) for t in texts], build_index(root))
    assert result.complete
    (change,) = result.changes
    assert change.path == root / "lib" / "orders-stack.ts"
    # Both statements start a line after the Function (the import moved the offsets).
    assert (
        change.after.count("\n    handler.addToRolePolicy(new iam.PolicyStatement({\n")
        == 2
    )
    assert "    });\n    handler.addToRolePolicy(" in change.after
    assert change.after.count("import * as iam from") == 1


def test_cdk_task_definition_role_goes_through_its_owner(tmp_path: Path) -> None:
    import json

    root = tmp_path / "app"
    (root / "lib").mkdir(parents=True)
    (root / "cdk.out").mkdir()
    (root / ".git").mkdir()
    (root / "cdk.json").write_text('{"app": "npx ts-node bin/app.ts"}\n')
    (root / "lib" / "svc.ts").write_text(
        "import * as cdk from 'aws-cdk-lib';\n"
        "import * as ecs from 'aws-cdk-lib/aws-ecs';\n"
        "import * as iam from 'aws-cdk-lib/aws-iam';\n\n"
        "export class Svc extends cdk.Stack {\n"
        "  constructor(scope: cdk.App, id: string) {\n"
        "    super(scope, id);\n"
        "    const taskDef = new ecs.FargateTaskDefinition(this, 'TaskDef', { cpu: 256 });\n"
        "  }\n}\n"
    )
    template = {
        "Resources": {
            "TaskDefTaskRole1EDB4A67": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
                "Metadata": {"aws:cdk:path": "Svc/TaskDef/TaskRole/Resource"},
            }
        }
    }
    (root / "cdk.out" / "Svc.template.json").write_text(json.dumps(template))
    principal = (
        "arn:aws:sts::111122223333:assumed-role/Svc-TaskDefTaskRole1EDB4A67-Q1w2E3/t"
    )
    _path, _before, after = _apply(
        root.resolve(),
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:111122223333:q",
        principal,
    )
    assert "    taskDef.addToTaskRolePolicy(new iam.PolicyStatement({\n" in after
