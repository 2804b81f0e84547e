"""``python -m bench``: the speed benchmark (bench/command.py)."""

import sys

from bench.command import main

sys.exit(main())
