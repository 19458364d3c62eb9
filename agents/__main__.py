"""``python -m agents``: the ``alrnn`` command line."""

import sys

from agents.cli import main

sys.exit(main())
