"""Jupyter server configuration for the browser tests.

Galata's helper turns authentication and the XSRF check off and puts the
notebook root in a temporary folder; never use this configuration elsewhere.
"""

import os
import shutil
from pathlib import Path
from tempfile import gettempdir

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# Set after the helper, which sets its own port.
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = 28888  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.open_browser = False  # noqa: F821

# A fresh tracker database per server start, so tests never touch the user's
# runs. The folder is fixed (the port is too, so one server runs at a time) and
# wiped here, because the test runner kills the server before it can clean up.
_tracker_dir = Path(gettempdir()) / "jupyter-tracker-ui-tests"
shutil.rmtree(_tracker_dir, ignore_errors=True)
_tracker_dir.mkdir(parents=True)
c.TrackerExtension.db_url = f"sqlite:///{_tracker_dir / 'tracker.db'}"  # noqa: F821
c.TrackerExtension.blob_dir = str(_tracker_dir / "blobs")  # noqa: F821

# The Configure dialog saves to jupyter_tracker_client.json in the Jupyter config
# folder: keep it in the same throw-away folder, never in the user's ~/.jupyter.
# Read when the extension starts (after this file), and by the kernels it starts.
os.environ["JUPYTER_CONFIG_DIR"] = str(_tracker_dir / "jupyter-config")
