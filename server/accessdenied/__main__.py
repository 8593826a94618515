"""`python -m accessdenied` runs the command line interface."""

import sys

from accessdenied.cli import main

sys.exit(main())
