"""`python -m desktop_llm` behaves like the `desktop-llm` command."""

import sys

from desktop_llm.cli import main

sys.exit(main())
