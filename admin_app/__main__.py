"""``python -m admin_app``."""

import sys

from admin_app.cli import main

sys.exit(main())
