"""``python -m bot.directory.openreferral``: the import's command (see ``cli``)."""

import sys

from bot.directory.openreferral.cli import main

sys.exit(main())
