"""What a run records about itself besides what the user logs: console output, hardware usage,
and the environment (host, packages, git, notebook, source files).

These are leaf modules for the client: no HTTP, no jupyter_server, and nothing here raises into
or blocks the caller's code.
"""

from __future__ import annotations

from .environment import (
    git_info,
    in_kernel,
    kernel_history,
    kernel_id,
    notebook_path,
    package_versions,
    relative_source_path,
    run_details,
    running_cell,
    source_files,
    strip_credentials,
)
from .hardware import HardwareMonitor
from .streams import StreamCapture

__all__ = [
    "HardwareMonitor",
    "StreamCapture",
    "git_info",
    "in_kernel",
    "kernel_history",
    "kernel_id",
    "notebook_path",
    "package_versions",
    "relative_source_path",
    "run_details",
    "running_cell",
    "source_files",
    "strip_credentials",
]
