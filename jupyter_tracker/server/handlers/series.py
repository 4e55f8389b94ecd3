"""Reading a run's series: summaries, points (whole, by step range, downsampled), entries."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import parsing, serialize
from .base import TrackerHandler

MAX_BUCKETS = 10_000
MAX_ENTRIES = 10_000
FORMATS = ("json", "columnar", "binary")


class SeriesListHandler(TrackerHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        items = await self.call(self.service.store.list_series, self.principal, run_id)
        self.send_json({"series": [serialize.series(s) for s in items]})


class _SeriesReader(TrackerHandler):
    def series_name(self) -> str:
        name = self.get_query_argument("name", None)
        if not name:
            raise self.invalid("name (the series to read) is required", "name")
        return name

    async def step_range(self) -> tuple[float | None, float | None]:
        args = self.request.query_arguments
        lo = await self.call(parsing.float_arg, args, "step_min")
        hi = await self.call(parsing.float_arg, args, "step_max")
        if lo is not None and hi is not None and hi < lo:
            raise self.invalid("step_max must not be below step_min", "step_max")
        return lo, hi


class PointsHandler(_SeriesReader):
    """Numeric points, whole, by step range or downsampled, in one of three formats.

    ``json``: number lists. ``columnar``: JSON with base64 float64 columns, fast to parse.
    ``binary``: the float64 columns back to back (little-endian), named in order by the
    ``X-Columns`` header, with the point count in ``X-Point-Count``; the fastest.
    """

    def compute_etag(self) -> None:
        # Hashing a multi-megabyte body on every read costs more than it could save.
        return None

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        name = self.series_name()
        lo, hi = await self.step_range()
        fmt = self.get_query_argument("format", "json")
        if fmt not in FORMATS:
            raise self.invalid(f"format must be one of {', '.join(FORMATS)}", "format")
        store = self.service.store
        raw = self.get_query_argument("downsample", None)
        if raw is None:
            points = await self.call(store.read_points, self.principal, run_id, name, lo, hi)
            columns = serialize.point_columns(points)
        else:
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_BUCKETS:
                raise self.invalid(
                    f"downsample must be an integer from 1 to {MAX_BUCKETS}", "downsample"
                )
            down = await self.call(
                store.read_downsampled, self.principal, run_id, name, int(raw), lo, hi
            )
            columns = serialize.downsampled_columns(down)
        if fmt == "binary":
            body = await self.call(serialize.columns_binary, columns)
            self.set_header("X-Columns", ",".join(columns))
            self.set_header("X-Point-Count", str(len(columns["steps"])))
            self.finish(body, set_content_type="application/octet-stream")
            return
        encode = serialize.columns_columnar if fmt == "columnar" else serialize.columns_json
        self.finish(await self.call(encode, name, columns))


class EntriesHandler(_SeriesReader):
    """Points of a text or image series."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        name = self.series_name()
        lo, hi = await self.step_range()
        raw = self.get_query_argument("limit", "1000")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ENTRIES:
            raise self.invalid(f"limit must be an integer from 1 to {MAX_ENTRIES}", "limit")
        entries = await self.call(
            self.service.store.read_entries, self.principal, run_id, name, lo, hi, int(raw)
        )
        self.send_json({"name": name, "entries": [serialize.entry(e) for e in entries]})
