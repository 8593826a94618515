"""IpAddress and NotIpAddress: IPv4 and IPv6 addresses against CIDR ranges (RFC 4632).

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping

from accessdenied.evaluate.conditions.base import Operator
from accessdenied.evaluate.matching import substitute
from accessdenied.evaluate.request import ContextValue

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=4096)
def parse_network(text: str) -> Network | None:
    """A CIDR range (a bare address is a /32 or /128), or None."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def parse_address(text: str) -> Address | None:
    """An IPv4/IPv6 address (a CIDR suffix is tolerated), or None."""
    t = text.strip()
    try:
        return ipaddress.ip_address(t)
    except ValueError:
        net = parse_network(t)
        return net.network_address if net is not None else None


def _in_range(
    actual: str, expected: str, variables: Mapping[str, ContextValue] | None
) -> bool:
    if variables is not None:
        expected = substitute(expected, variables)
    addr, net = parse_address(actual), parse_network(expected)
    if addr is None or net is None or addr.version != net.version:
        return False
    return addr in net


OPERATORS = {
    op.name: op
    for op in (
        Operator("IpAddress", _in_range),
        Operator("NotIpAddress", _in_range, negated=True),
    )
}
