"""Runs the `accessdenied` command line (serve, run, scan...) for the VS Code extension.

The interpreter's own `accessdenied` wins when it has one (a project venv, a dev checkout);
otherwise the copy bundled next to this file in `libs/` is used, so any Python 3.11+ will do.
"""

import os
import sys

if sys.version_info < (3, 11):
    sys.stderr.write(
        "accessdenied needs Python 3.11 or newer, this is %d.%d (%s). Set "
        '"accessdenied.server.interpreter" or "accessdenied.server.path".\n'
        % (sys.version_info[0], sys.version_info[1], sys.executable)
    )
    sys.exit(2)

LIBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libs")

try:
    import accessdenied.cli  # noqa: F401
    import pygls  # noqa: F401
except ImportError:
    for name in [
        m for m in sys.modules if m.split(".")[0] in ("accessdenied", "pygls")
    ]:
        del sys.modules[name]
    sys.path.insert(0, LIBS)

from accessdenied.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
