"""Allow ``python -m assistant`` as an alias of the ``presence`` command."""

import sys

from assistant.commandline import main

sys.exit(main())
