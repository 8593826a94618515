"""Snapshot format: deterministic, lazily parsed, rejects damage; build helpers."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest

from accessdenied.catalog import snapshot
from accessdenied.catalog.load import Catalog
from tests.paths import REPO

SERVICES: dict[str, snapshot.ServiceData] = {
    "demo": (
        "Demo Service",
        [
            ["Zap", "Grants permission to zap", "Write", [["thing", 1, []]], []],
            [
                "TagThing",
                "Grants permission to tag",
                "Tagging, Write",
                [],
                ["aws:TagKeys"],
            ],
        ],
        [
            [
                "thing",
                ["arn:${Partition}:demo:${Region}:${Account}:thing/${ThingId}"],
                [],
            ]
        ],
        [["demo:Color", "String", "Colour of the thing"]],
    )
}
FIELDS: dict[str, Any] = {
    "source": "test",
    "data_date": "2026-01-01",
    "api_operations": {"demo": "GetThing Zap"},
    "operations": {"demo": {"GetThing": ["demo:Zap"]}},
}


def test_encode_is_deterministic_and_round_trips() -> None:
    a = snapshot.encode(SERVICES, FIELDS)
    assert a == snapshot.encode(dict(SERVICES), dict(FIELDS))
    data = snapshot.decode(a)
    assert data["services"][0][:5] == ["demo", "Demo Service", "TagThing Zap", 1, 1]
    assert data["arn_services"] == {"demo": ["demo"]}
    assert "api_operations" not in data  # lazy: parsed on first use
    assert snapshot.lazy_field(data, "api_operations") == {"demo": "GetThing Zap"}
    assert snapshot.decode_services(data)["demo"][0] == "Demo Service"
    assert snapshot.fields_of(data)["api_operations"] == {"demo": "GetThing Zap"}
    cat = Catalog(data)
    assert cat.action("demo:zap") is not None
    assert cat.action("demo:TagThing").access_level == "Tagging"  # type: ignore[union-attr]
    assert cat.actions_for_operation("GetThing", "demo") == ("demo:Zap",)
    assert cat.api_operations("demo") == ("GetThing", "Zap")
    assert [
        rt.name for rt in cat.resource_types_for_arn("arn:aws:demo:eu-west-1:1:thing/t")
    ] == ["thing"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\x1f\x8b broken gzip",
        gzip.compress(b'{"format": 1, "services": []}', mtime=0),
        gzip.compress(b"[1, 2]", mtime=0),
    ],
    ids=["empty", "not-json", "broken-gzip", "old-format", "not-an-object"],
)
def test_decode_rejects_damage(raw: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by damage
        snapshot.decode(raw)


def test_decode_rejects_truncation() -> None:
    whole = gzip.decompress(snapshot.encode(SERVICES, FIELDS))
    cut = whole.rsplit(b"\n", 1)[0]
    with pytest.raises(ValueError, match="truncated"):
        snapshot.decode(cut)


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_catalog", REPO / "scripts" / "build_catalog.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_catalog", module)
    spec.loader.exec_module(module)
    return module


def test_dependent_overlay_keeps_only_current_actions() -> None:
    build = _build_module()
    old = {
        "lambda": {
            "actions": {
                "createfunction": {
                    "name": "CreateFunction",
                    "dependentActions": [],
                    "resourceTypes": [
                        {"name": "function", "dependentActions": ["iam:PassRole"]}
                    ],
                },
                "gone": {
                    "name": "Gone",
                    "dependentActions": ["x:Y"],
                    "resourceTypes": [],
                },
            }
        },
        "retired": {"actions": {"a": {"name": "A", "dependentActions": ["b:C"]}}},
    }
    new = {"lambda": {"actions": {"createfunction": {"name": "CreateFunction"}}}}
    assert build.dependent_overlay(old, new) == {
        "lambda": {"CreateFunction": ["iam:PassRole"]}
    }
    assert build.norm_hint("Amazon S3") == "amazons3"
    assert build.norm_hint("s3.amazonaws.com") == "s3"


def test_convert_service_tolerates_odd_shapes() -> None:
    from accessdenied.catalog.refresh import (
        ReferenceError,
        access_level,
        convert_service,
    )

    with pytest.raises(ReferenceError):
        convert_service("demo", {"Name": "demo"}, SERVICES)
    data, ops = convert_service(
        "demo",
        {
            "Actions": [
                {
                    "Name": "Zap",
                    "Annotations": "junk",
                    "Resources": [{"Name": "thing"}, 3],
                },
                {"Name": 7},
                "junk",
            ],
            "Resources": [{"Name": "thing", "ARNFormats": []}, None],
            "ConditionKeys": [{"Name": "demo:Color"}],
            "Operations": [
                {"Name": "GetThing", "AuthorizedActions": [{"Name": "Zap"}]}
            ],
        },
        SERVICES,
    )
    name, actions, rtypes, ckeys = data
    assert name == "Demo Service"
    assert actions == [
        ["Zap", "Grants permission to zap", "Read", [["thing", 1, []]], []]
    ]
    assert rtypes[0][1] == [
        "arn:${Partition}:demo:${Region}:${Account}:thing/${ThingId}"
    ]
    assert ckeys == [["demo:Color", "String", "Colour of the thing"]]
    assert ops == {}
    assert access_level({"Annotations": {"Properties": {"IsList": True}}}) == "List"
