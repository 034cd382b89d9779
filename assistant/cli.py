"""The console script of installs made before the command line moved (issue 28)."""

from assistant.commandline import main as main
