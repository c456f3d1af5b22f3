"""``python -m stylecam`` is the ``stylecam`` command."""

import sys

try:
    from stylecam.app.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command is still being imported: one line, no traceback
    print("\nstylecam: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
