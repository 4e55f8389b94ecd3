"""HTTP side of the tracker: the jupyter_server extension and the standalone team server."""
