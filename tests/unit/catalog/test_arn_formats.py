"""Every ARN format of every resource type, filled with sample values, matches its type."""

from __future__ import annotations

import re

from accessdenied.catalog import load_catalog

_SAMPLES = {"Partition": "aws", "Region": "us-east-1", "Account": "123456789012"}


def _fill(arn_format: str) -> str:
    return re.sub(
        r"\$\{([^}]*)\}",
        lambda m: _SAMPLES.get(m.group(1), f"v-{m.group(1)[:3]}1"),
        arn_format,
    )


def test_every_arn_format_matches_its_own_type() -> None:
    cat = load_catalog()
    checked = 0
    for prefix in cat.services():
        svc = cat.service(prefix)
        assert svc is not None
        for rt in svc.resource_types:
            for fmt in rt.arn_formats:
                arn = _fill(fmt)
                assert rt.matches(arn), (rt.full_name, fmt)
                checked += 1
                if "${" in fmt.split(":")[2]:
                    continue  # service field is itself a placeholder (backup:recoveryPoint)
                found = cat.resource_types_for_arn(arn)
                assert found, (rt.full_name, arn)
                # Either this type, or a type of the service the ARN names (the ARN's own
                # service wins over other services that reuse its formats).
                arn_service = arn.split(":")[2]
                assert rt in found or all(f.service == arn_service for f in found), (
                    rt.full_name,
                    arn,
                    [f.full_name for f in found],
                )
    assert checked == 2348
