"""Benchmarks whose results are written down under ``bench/results/``."""

from __future__ import annotations

import os
import platform
import subprocess


def machine() -> str:
    """The machine line every result carries: a figure without its CPU and load means nothing."""
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if line.startswith("Model name")), "?")
    import torch

    return (
        f"{model}, {os.cpu_count()} cores, torch {torch.__version__}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
