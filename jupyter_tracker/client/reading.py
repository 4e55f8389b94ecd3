"""Reading a run back: parameters, properties, tags, last values, curves, artifacts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .http import ApiClient

if TYPE_CHECKING:
    import pandas as pd

    from .project import Project

MONITORING_PREFIX = "monitoring/"
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def api_float(value: Any) -> Any:
    """A float as the API writes it in JSON, where non-finite ones are the strings ``NaN``,
    ``Infinity`` and ``-Infinity``; ``None`` stays ``None``."""
    return _NON_FINITE.get(value, value) if isinstance(value, str) else value


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "this call returns a pandas DataFrame: pip install 'jupyter_tracker[pandas]'"
        ) from None
    return pandas


def read_columns(api: ApiClient, run_id: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of one numeric series, through the binary points format."""
    _, headers, body = api.request(
        "GET", api.path("runs", run_id, "points", name=name, format="binary")
    )
    names = headers.get("x-columns", "steps,timestamps,values").split(",")
    columns = np.frombuffer(body, dtype="<f8").reshape(len(names), -1)
    return columns[names.index("steps")], columns[names.index("values")]


class RunReader:
    """Read calls shared by live experiments and those fetched with ``get_experiments``."""

    def __init__(self, project: Project, run_id: str | None) -> None:
        self.project = project
        self._run_id = run_id

    @property
    def id(self) -> str:
        assert self._run_id is not None
        return self._run_id

    def _api(self) -> ApiClient:
        api = self.project._api
        if api is None:
            raise RuntimeError("reading runs back needs a server; this project is offline")
        flush = getattr(self, "flush", None)
        if flush is not None:
            flush(10.0)  # read what this process logged too
        if self.id.startswith("offline-"):
            raise RuntimeError(f"{self.id} has not reached the server yet")
        return api

    def _run(self) -> dict[str, Any]:
        api = self._api()
        run: dict[str, Any] = api.json("GET", api.path("runs", self.id))
        return run

    def get_parameters(self) -> dict[str, Any]:
        return dict(self._run()["params"])

    def get_properties(self) -> dict[str, str]:
        return dict(self._run()["properties"])

    def get_tags(self) -> list[str]:
        return list(self._run()["tags"])

    def get_state(self) -> str:
        return str(self._run()["state"])

    def get_logs(self) -> dict[str, dict[str, Any]]:
        """The last value of every series: ``{name: {"x": step, "y": value}}``."""
        api = self._api()
        listing = api.json("GET", api.path("runs", self.id, "series"))
        out: dict[str, dict[str, Any]] = {}
        for s in listing["series"]:
            y = api_float(s["last"]) if s["kind"] == "numeric" else s["last_text"]
            out[s["name"]] = {"x": api_float(s["last_step"]), "y": y, "kind": s["kind"]}
        return out

    def get_numeric_channels_values(self, *channel_names: str) -> pd.DataFrame:
        """A DataFrame with column ``x`` (the step) and one column per series."""
        if not channel_names:
            raise ValueError("name at least one series")
        pandas = _pandas()
        api = self._api()
        frame = None
        for name in channel_names:
            steps, values = read_columns(api, self.id, name)
            part = pandas.DataFrame({"x": steps, name: values})
            part = part.drop_duplicates("x", keep="last")
            frame = part if frame is None else frame.merge(part, on="x", how="outer")
        assert frame is not None
        return frame.sort_values("x").reset_index(drop=True)

    def get_hardware_utilization(self) -> pd.DataFrame:
        """The monitoring series (CPU, memory, GPU) side by side, by sample."""
        names = [n for n in self.get_logs() if n.startswith(MONITORING_PREFIX)]
        if not names:
            return _pandas().DataFrame({"x": []})
        return self.get_numeric_channels_values(*names)

    def download_artifact(self, path: str, destination_dir: str | None = None) -> Path:
        """Fetch an artifact into ``destination_dir`` (the current folder by default)."""
        api = self._api()
        _, _, body = api.request(
            "GET", api.path("runs", self.id, "artifacts", "content", path=path)
        )
        target = Path(destination_dir or ".") / Path(path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        return target
