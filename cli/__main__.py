"""``python -m cli`` runs the ``rag`` command."""

import sys

from cli.main import main

sys.exit(main())
