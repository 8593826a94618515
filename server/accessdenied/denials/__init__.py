"""AccessDenied recognition: message grammars, CloudTrail records, streaming tail."""

from accessdenied.denials.model import Denial, DenialDecision, PolicyType

__all__ = ["Denial", "DenialDecision", "PolicyType"]
