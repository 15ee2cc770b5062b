"""The bundle's entry point: `desktop-llm` with no arguments opens the window,
with a command it is the CLI (the same as the source checkout's command)."""

import multiprocessing
import sys

from desktop_llm.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the trial load of an imported model runs in a child process
    sys.exit(main())
