"""Where log records go: a rotating file under the data folder, and the console only when asked.

Modules only ever do ``logger = logging.getLogger(__name__)``; the entry point (``app.py``, for
every subcommand, ``serve`` included) calls ``configure_logging`` once. This lives in a module of
its own rather than in ``app.py`` so that anything else that starts the app in-process (a bench,
a test) sets up the same destinations without importing the CLI.

The file, ``<data_dir>/logs/partydocs.log``, gets our modules' INFO and up (uploads ingested and
refused, generator starts and crashes) and every library's warnings, with tracebacks. The console
is for people at a terminal who already see each command's own output, so it shows warnings and
errors only, unless ``--verbose`` turns it up to INFO. Libraries' INFO (an HTTP request logged per
generator call) goes nowhere: it would bury ours.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from settings import Settings

LOG_NAME = "partydocs.log"
# Our top-level packages and modules; "__main__" is app.py run as a script.
OUR_LOGGERS = ("__main__", "app", "assistant", "eval", "ingest", "prompts", "settings", "bench")
_MAX_BYTES = 5_000_000  # then rotated: a year of uploads and crashes fits, a runaway loop cannot fill the disk
_BACKUPS = 3
_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
_HANDLER_NAMES = ("partydocs-file", "partydocs-console")
# ``extra=SHOWN`` marks a record whose message the command has already printed in its own words:
# it goes to the file only, so a one-line error is not printed twice.
SHOWN = {"shown": True}


def log_file(settings: Settings) -> Path:
    return settings.data_dir / "logs" / LOG_NAME


def configure_logging(settings: Settings, verbose: bool = False) -> Path:
    """Send records to the log file (and the console from WARNING, or INFO when ``verbose``).

    Calling it again replaces the handlers it added before (a test, another data folder) and
    leaves any other handler alone. Returns the log file's path.
    """
    path = log_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() in _HANDLER_NAMES]:
        root.removeHandler(handler)
        handler.close()
    to_file = RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8")
    to_file.set_name(_HANDLER_NAMES[0])
    to_file.setLevel(logging.INFO)
    to_file.setFormatter(logging.Formatter(_FILE_FORMAT))
    console = logging.StreamHandler(sys.stderr)
    console.set_name(_HANDLER_NAMES[1])
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter(_CONSOLE_FORMAT))
    console.addFilter(lambda record: not getattr(record, "shown", False))
    root.addHandler(to_file)
    root.addHandler(console)
    root.setLevel(logging.WARNING)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    return path
