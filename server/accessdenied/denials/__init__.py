"""AccessDenied recognition: message grammars, CloudTrail records, streaming tail.

from accessdenied.denials import Denial, scan_text, scan_file, LogTail, redact
"""

from accessdenied.denials.model import Denial, DenialDecision, PolicyType
from accessdenied.denials.redact import redact
from accessdenied.denials.scan import scan_text
from accessdenied.denials.stream import IncrementalScanner, LogTail, scan_file

__all__ = [
    "Denial",
    "DenialDecision",
    "IncrementalScanner",
    "LogTail",
    "PolicyType",
    "redact",
    "scan_file",
    "scan_text",
]
