"""One temporary folder for the files a tab hands to the browser, bounded in count and age.

Every course build writes a .md and a .docx for its download buttons. Left alone, each build's
folder lived until the machine rebooted (thousands after a load test). Here a folder holds the
latest ``keep`` builds, anything older than ``max_age_s`` goes at the next build, and the whole
folder is removed when the process exits.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
import uuid
from pathlib import Path


class DownloadDir:
    """A private temporary folder with one sub-folder per download, pruned as new ones are made."""

    def __init__(self, prefix: str, keep: int, max_age_s: float) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.keep = max(1, keep)
        self.max_age_s = max_age_s
        # At exit, not when this object is collected: a file already handed to a download button
        # must outlive the callbacks object that wrote it.
        atexit.register(self.cleanup)

    def new_folder(self) -> Path:
        """A fresh sub-folder (so file names never collide), after dropping the oldest ones."""
        self.prune(room=1)
        folder = self.root / uuid.uuid4().hex[:12]
        folder.mkdir()
        return folder

    def prune(self, room: int = 0) -> None:
        """Keep at most ``keep - room`` sub-folders, none older than ``max_age_s``."""
        if not self.root.exists():
            return
        folders = sorted((p for p in self.root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        cutoff = time.time() - self.max_age_s
        excess = max(0, len(folders) - (self.keep - room))
        for index, folder in enumerate(folders):
            if index < excess or folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)

    def cleanup(self) -> None:
        """Remove the whole folder now (also done automatically at exit)."""
        shutil.rmtree(self.root, ignore_errors=True)
