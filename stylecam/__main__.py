"""``python -m stylecam`` is the ``stylecam`` command."""

import sys

from stylecam.app.cli import main

sys.exit(main())
