"""Fixtures of the API tests; the helpers they use live in ``api_client.py``."""

from api_client import api, browser, run_id, tracker_store

__all__ = ["api", "browser", "run_id", "tracker_store"]
