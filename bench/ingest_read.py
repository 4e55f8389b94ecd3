"""Ingest and read-back speed, and storage size, of one run's metric over the HTTP API.

For each backend (SQLite, PostgreSQL) and each batch size, a fresh database and a real server
(a subprocess) receive one run of ``--points`` float64 points of the metric ``loss`` as columnar
batches (POST .../runs/{id}/batches); then the benchmark reads them all back (GET .../points
?format=columnar, decoded into numpy arrays here) and downsampled to 1,000 buckets, ``--repeat``
times each, stops the server and measures the storage per point. It prints the figures side by
side with the targets (PASS/MISS) and, for scale, reference figures of other tools.

Run: python bench/ingest_read.py [--points N] [--backends sqlite,postgresql]
[--batch-sizes 10000,100000,250000] [--repeat N] [--pg-url URL] [--server auto|cli|jupyter].
See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tracker_server import API, PROJECT, REPO, BenchError, start_server, team_server_available

METRIC = "loss"
BUCKETS = 1000
# How full reads ask for points: "binary" (raw float64 columns) or "columnar" (base64 in JSON).
READ_FORMAT = "binary"
BACKENDS = ("sqlite", "postgresql")
HTTP_TIMEOUT = 300.0

TARGET_INGEST_POINTS_PER_S = 1_000_000
TARGET_FULL_READ_S = 0.2
TARGET_DOWNSAMPLED_READ_MS = 20.0
TARGET_BYTES_PER_POINT = 16.0


@dataclass(frozen=True)
class Reference:
    """A figure measured on this machine for another tool (quoted, not run here)."""

    tool: str
    points: int
    read_s: float
    bytes_per_point: float


REFERENCES = (
    Reference("Aim", 100_000, 1.3, 160.0),
    Reference("MLflow", 100_000, 3.5, 250.0),
)

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Series:
    steps: FloatArray
    timestamps: FloatArray
    values: FloatArray

    def __len__(self) -> int:
        return len(self.values)

    def same_bits(self, other: Series) -> bool:
        return all(
            a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))
            for a, b in (
                (self.steps, other.steps),
                (self.timestamps, other.timestamps),
                (self.values, other.values),
            )
        )


def realistic_series(n: int, seed: int = 0) -> Series:
    """Steps 0..n-1, timestamps now + i ms with jitter, a noisy decaying loss curve."""
    rng = np.random.default_rng(seed)
    i = np.arange(n, dtype=np.float64)
    timestamps = time.time() + i * 0.001 + rng.uniform(0.0, 2e-4, n)
    values = 2.0 * np.exp(-i / (n / 5 + 1)) + 0.1 + 0.02 * rng.standard_normal(n)
    return Series(i, timestamps, values)


def _column(values: FloatArray) -> dict[str, str]:
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return {"dtype": "<f8", "data": base64.b64encode(data).decode("ascii")}


def batch_bodies(series: Series, batch_size: int) -> list[bytes]:
    """The JSON bodies of the batches that deliver ``series``, ``batch_size`` points each."""
    bodies = []
    for seq, start in enumerate(range(0, len(series), batch_size)):
        end = start + batch_size
        body = {
            "seq": seq,
            "metrics": [
                {
                    "name": METRIC,
                    "steps": _column(series.steps[start:end]),
                    "timestamps": _column(series.timestamps[start:end]),
                    "values": _column(series.values[start:end]),
                }
            ],
        }
        bodies.append(json.dumps(body, separators=(",", ":")).encode("ascii"))
    return bodies


def _decode_column(column: Any) -> FloatArray:
    if not isinstance(column, dict) or column.get("dtype") != "<f8":
        raise BenchError(f"unexpected column in the response: {str(column)[:200]}")
    array: FloatArray = np.frombuffer(base64.b64decode(column["data"]), dtype="<f8")
    return array


# --------------------------------------------------------------------------------------------
# HTTP


class Client:
    """One keep-alive HTTP/1.1 connection to the server, with the API's authorization header."""

    def __init__(self, port: int, authorization: str) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self._headers = {"Authorization": authorization, "Accept": "application/json"}
        self._post_headers = {**self._headers, "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = self._headers if body is None else self._post_headers
        self._conn.request(method, API + path, body=body, headers=headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        raw = None if body is None else json.dumps(body).encode()
        status, data = self.request(method, path, raw)
        if status != expect:
            raise BenchError(f"{method} {path}: HTTP {status}: {data[:500]!r}")
        return json.loads(data)

    def close(self) -> None:
        self._conn.close()


def read_all(client: Client, run_id: str, decode_times: list[float] | None = None) -> Series:
    """Every point of the metric, decoded into numpy arrays.

    The seconds spent decoding (JSON and base64, after the last byte arrived) are appended to
    ``decode_times`` when given.
    """
    fmt = READ_FORMAT
    status, data = client.request("GET", f"/runs/{run_id}/points?name={METRIC}&format={fmt}")
    if status != 200:
        raise BenchError(f"full read: HTTP {status}: {data[:500]!r}")
    start = time.perf_counter()
    if fmt == "binary":
        # Three little-endian float64 columns back to back: steps, timestamps, values.
        columns = np.frombuffer(data, dtype="<f8").reshape(3, -1)
        series = Series(columns[0], columns[1], columns[2])
    else:
        payload = json.loads(data)
        series = Series(
            _decode_column(payload["steps"]),
            _decode_column(payload["timestamps"]),
            _decode_column(payload["values"]),
        )
    if decode_times is not None:
        decode_times.append(time.perf_counter() - start)
    return series


def read_downsampled(client: Client, run_id: str) -> tuple[FloatArray, FloatArray]:
    """The metric downsampled to ``BUCKETS`` buckets, decoded into numpy arrays."""
    path = f"/runs/{run_id}/points?name={METRIC}&format=columnar&downsample={BUCKETS}"
    status, data = client.request("GET", path)
    if status != 200:
        raise BenchError(f"downsampled read: HTTP {status}: {data[:500]!r}")
    payload = json.loads(data)
    return _decode_column(payload["steps"]), _decode_column(payload["values"])


# --------------------------------------------------------------------------------------------
# Databases


def load_postgres_harness() -> ModuleType:
    """``tests/postgres_server.py``, imported by path (it is not part of the package)."""
    path = REPO / "tests" / "postgres_server.py"
    spec = importlib.util.spec_from_file_location("jupyter_tracker_bench_postgres_server", path)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Databases:
    """Hands out a fresh database per measurement, and measures what it holds."""

    scratch: Path
    pg_url: str | None
    _pg: Any = None
    _pg_module: ModuleType | None = None
    pg_version: str = ""
    notes: list[str] = field(default_factory=list)

    def new(self, backend: str, label: str) -> str:
        if backend == "sqlite":
            directory = self.scratch / f"sqlite-{label}"
            directory.mkdir()
            return f"sqlite:///{directory / 'tracker.db'}"
        pg = self._postgres()
        _, url = pg.create_database(label)
        return str(url)

    def _postgres(self) -> Any:
        if self._pg is None:
            module = load_postgres_harness()
            self._pg_module = module
            if self.pg_url:
                from sqlalchemy.engine import make_url

                url = make_url(self.pg_url)
                self._pg = module.PostgresServer(url, f"existing server {url.host}:{url.port}")
            else:
                self._pg = module.start()
            with self._pg.connect_admin() as conn:
                row = conn.execute("SHOW server_version").fetchone()
                self.pg_version = f"PostgreSQL {row[0]}" if row else "PostgreSQL"
            self.notes.append(f"PostgreSQL: {self._pg.description}")
        return self._pg

    def release(self, backend: str, db_url: str) -> None:
        if backend == "sqlite":
            shutil.rmtree(_sqlite_path(db_url).parent, ignore_errors=True)
        elif self._pg is not None:
            from sqlalchemy.engine import make_url

            self._pg.release_database(make_url(db_url).database)

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None


def _sqlite_path(db_url: str) -> Path:
    return Path(db_url[len("sqlite:///") :])


@dataclass(frozen=True)
class Storage:
    chunks_bytes: int | None
    database_bytes: int
    empty_database_bytes: int | None = None


def sqlite_storage(db_url: str) -> Storage:
    """The database file plus its WAL after a truncating checkpoint; the chunk table by dbstat."""
    path = _sqlite_path(db_url)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        chunks: int | None
        try:
            row = conn.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name IN"
                " (SELECT name FROM sqlite_schema WHERE tbl_name = 'series_chunks')"
            ).fetchone()
            chunks = int(row[0]) if row and row[0] is not None else None
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            chunks = None
    finally:
        conn.close()
    wal = path.with_name(path.name + "-wal")
    total = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return Storage(chunks, total)


def _psycopg_conninfo(db_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_database_size(db_url: str) -> int:
    import psycopg

    with psycopg.connect(_psycopg_conninfo(db_url), autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def postgres_storage(db_url: str, empty_bytes: int | None) -> Storage:
    """``pg_total_relation_size('series_chunks')`` and the database's size after VACUUM ANALYZE."""
    import psycopg

    with psycopg.connect(_psycopg_conninfo(db_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        row = conn.execute(
            "SELECT pg_total_relation_size('series_chunks'), pg_database_size(current_database())"
        ).fetchone()
    if row is None:
        raise BenchError("no answer to the size query")
    return Storage(int(row[0]), int(row[1]), empty_bytes)


# --------------------------------------------------------------------------------------------
# One measurement


@dataclass
class Result:
    backend: str
    batch_size: int
    points: int
    batches: int
    ingest_s: float
    full_read_s: list[float]
    full_decode_s: list[float]
    downsampled_read_s: list[float]
    storage: Storage
    response_bytes: int

    @property
    def ingest_rate(self) -> float:
        return self.points / self.ingest_s


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def measure(
    backend: str,
    batch_size: int,
    series: Series,
    databases: Databases,
    scratch: Path,
    server_kind: str,
    repeat: int,
) -> Result:
    label = f"{backend}-{batch_size}"
    bodies = batch_bodies(series, batch_size)
    db_url = databases.new(backend, label)
    empty = postgres_database_size(db_url) if backend == "postgresql" else None
    workdir = scratch / f"server-{label}"
    workdir.mkdir()
    server = start_server(db_url, workdir, server_kind)
    try:
        client = Client(server.port, server.authorization)
        try:
            run = client.call("POST", "/runs", {"project": PROJECT, "name": label}, expect=201)
            run_id = str(run["id"])
            statuses: list[tuple[int, bytes]] = []
            path = f"/runs/{run_id}/batches"
            start = time.perf_counter()
            for body in bodies:
                statuses.append(client.request("POST", path, body))
            ingest_s = time.perf_counter() - start
            _check_ingest(statuses, len(series))

            back = read_all(client, run_id)
            if not back.same_bits(series):
                raise BenchError(f"{label}: the points read back differ from those sent")
            steps, _ = read_downsampled(client, run_id)
            if not 0 < len(steps) <= 2 * BUCKETS:
                raise BenchError(f"{label}: downsampled read gave {len(steps)} points")
            decode: list[float] = []
            full = timed(lambda: read_all(client, run_id, decode), repeat)
            _, response = client.request(
                "GET", f"/runs/{run_id}/points?name={METRIC}&format={READ_FORMAT}"
            )
            down = timed(lambda: read_downsampled(client, run_id), repeat)
        finally:
            client.close()
    finally:
        server.stop()
    storage = sqlite_storage(db_url) if backend == "sqlite" else postgres_storage(db_url, empty)
    databases.release(backend, db_url)
    shutil.rmtree(workdir, ignore_errors=True)
    return Result(
        backend,
        batch_size,
        len(series),
        len(bodies),
        ingest_s,
        full,
        decode,
        down,
        storage,
        len(response),
    )


def _check_ingest(statuses: Sequence[tuple[int, bytes]], expected: int) -> None:
    total = 0
    for i, (status, data) in enumerate(statuses):
        if status != 200:
            raise BenchError(f"batch {i}: HTTP {status}: {data[:500]!r}")
        reply = json.loads(data)
        if not reply.get("applied"):
            raise BenchError(f"batch {i} was not applied: {reply}")
        total += int(reply["points"])
    if total != expected:
        raise BenchError(f"the server took {total} points, not {expected}")


# --------------------------------------------------------------------------------------------
# Report


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass(frozen=True)
class Row:
    label: str
    target: str
    cell: Callable[[Result], str]


def _rows() -> list[Row]:
    def ingest(r: Result) -> str:
        rate = r.ingest_rate
        return f"{rate:,.0f} {_verdict(rate >= TARGET_INGEST_POINTS_PER_S)}"

    def full(r: Result) -> str:
        s = statistics.median(r.full_read_s)
        return f"{s:.3f} {_verdict(s < TARGET_FULL_READ_S)}"

    def down(r: Result) -> str:
        ms = statistics.median(r.downsampled_read_s) * 1e3
        return f"{ms:.1f} {_verdict(ms < TARGET_DOWNSAMPLED_READ_MS)}"

    def per_point(size: int | None, points: int) -> str:
        if size is None:
            return "n/a"
        b = size / points
        return f"{b:.2f} {_verdict(b < TARGET_BYTES_PER_POINT)}"

    def growth(r: Result) -> str:
        # What the points added: an empty PostgreSQL database already holds ~7.6 MB of
        # catalogs; an empty SQLite file is a few pages, so its whole size is counted.
        empty = r.storage.empty_database_bytes or 0
        return per_point(r.storage.database_bytes - empty, r.points)

    def whole(r: Result) -> str:
        return f"{r.storage.database_bytes / r.points:.2f}"

    return [
        Row("ingest (points/s)", f">= {TARGET_INGEST_POINTS_PER_S:,}", ingest),
        Row("full read + decode (s, median)", f"< {TARGET_FULL_READ_S}", full),
        Row(
            f"read downsampled to {BUCKETS} (ms, median)", f"< {TARGET_DOWNSAMPLED_READ_MS:g}", down
        ),
        Row(
            "storage, series_chunks (bytes/point)",
            f"< {TARGET_BYTES_PER_POINT:g}",
            lambda r: per_point(r.storage.chunks_bytes, r.points),
        ),
        Row("storage, database growth (bytes/point)", f"< {TARGET_BYTES_PER_POINT:g}", growth),
        Row("  whole database incl. empty catalogs", "", whole),
    ]


def print_table(
    results: Sequence[Result], backends: Sequence[str], batch_sizes: Sequence[int]
) -> None:
    by_key = {(r.backend, r.batch_size): r for r in results}
    width = 44
    cell_width = 20
    header = f"{'':<{width}} {'target':>13}" + "".join(f" {b:>{cell_width}}" for b in backends)
    print(header)
    print("-" * len(header))
    for size in batch_sizes:
        batches = -(-results[0].points // size) if results else 0
        print(f"batches of {size:,} points ({batches} requests)")
        for row in _rows():
            cells = "".join(
                f" {row.cell(by_key[(b, size)]) if (b, size) in by_key else '-':>{cell_width}}"
                for b in backends
            )
            print(f"  {row.label:<{width - 2}} {row.target:>13}{cells}")
    print()


def print_details(results: Sequence[Result]) -> None:
    for r in results:
        full = ", ".join(f"{t:.3f}" for t in r.full_read_s)
        down = ", ".join(f"{t * 1e3:.1f}" for t in r.downsampled_read_s)
        decode = statistics.median(r.full_decode_s)
        print(
            f"  {r.backend:<10} batch {r.batch_size:>9,}: ingest {r.ingest_s:.3f} s"
            f" ({r.batches} requests, {r.ingest_s / r.batches * 1e3:.1f} ms each)\n"
            f"  {'':<27}full reads [{full}] s, {r.response_bytes / 1e6:.1f} MB each,"
            f" median {decode * 1e3:.0f} ms of it decoding in the client\n"
            f"  {'':<27}downsampled reads [{down}] ms"
        )


def print_references(results: Sequence[Result]) -> None:
    print("For scale: other tools, measured on this machine (quoted from the issue, not run here):")
    for ref in REFERENCES:
        print(
            f"  {ref.tool:<8} read {ref.points:,} points back in {ref.read_s:.1f} s"
            f" ({ref.points / ref.read_s:,.0f} points/s); ~{ref.bytes_per_point:.0f} bytes/point"
        )
    for backend in dict.fromkeys(r.backend for r in results):
        mine = [r for r in results if r.backend == backend]
        rate = max(r.points / statistics.median(r.full_read_s) for r in mine)
        print(f"  {'tracker':<8} {backend}: full read at {rate:,.0f} points/s (best batch size)")


# --------------------------------------------------------------------------------------------
# Main


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give one or more positive integers")
    return values


def _backends(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name not in BACKENDS:
            raise argparse.ArgumentTypeError(f"unknown backend {name!r}; use {','.join(BACKENDS)}")
    if not names:
        raise argparse.ArgumentTypeError("name at least one backend")
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Ingest/read speed and storage size of one run's metric, over HTTP."
    )
    parser.add_argument("--points", type=int, default=1_000_000, help="points in the run")
    parser.add_argument(
        "--backends", type=_backends, default=list(BACKENDS), help="comma-separated"
    )
    parser.add_argument(
        "--batch-sizes",
        type=_int_list,
        default=[10_000, 100_000, 250_000],
        help="comma-separated points per batch; each gets a fresh database and server",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed reads of each kind")
    parser.add_argument(
        "--pg-url",
        default=None,
        help="admin SQLAlchemy URL of an existing PostgreSQL server (a role that may create"
        " databases); by default a throwaway cluster is started",
    )
    parser.add_argument(
        "--server",
        choices=("auto", "cli", "jupyter"),
        default="auto",
        help="the standalone team server (cli), a Jupyter server with the extension, or the"
        " former when jupyter_tracker/cli.py exists (auto)",
    )
    parser.add_argument(
        "--read-format",
        choices=("binary", "columnar"),
        default="binary",
        help="format of the full read: raw float64 columns, or base64 columns in JSON",
    )
    args = parser.parse_args(argv)
    if args.points < 1 or args.repeat < 1:
        parser.error("--points and --repeat must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    global READ_FORMAT
    args = parse_args(argv)
    READ_FORMAT = args.read_format
    kind = args.server
    if kind == "auto":
        kind = "cli" if team_server_available() else "jupyter"
    series = realistic_series(args.points)
    print(
        f"{args.points:,} points of one metric per run; backends {', '.join(args.backends)};"
        f" batch sizes {', '.join(f'{b:,}' for b in args.batch_sizes)}; {args.repeat} timed"
        f" reads of each kind ({READ_FORMAT} full reads); server: {kind}"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__},"
        f" SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cpus"
    )
    results: list[Result] = []
    with _scratch() as scratch:
        databases = Databases(scratch, args.pg_url)
        try:
            for backend in args.backends:
                for size in args.batch_sizes:
                    began = time.monotonic()
                    result = measure(backend, size, series, databases, scratch, kind, args.repeat)
                    results.append(result)
                    took = time.monotonic() - began
                    print(
                        f"  {backend:<10} batch {size:>9,}: done in {took:.1f} s"
                        f" (ingest {result.ingest_rate:,.0f} points/s)",
                        flush=True,
                    )
        finally:
            databases.close()
        notes = databases.notes
        if databases.pg_version:
            notes.append(databases.pg_version)
    print()
    for note in notes:
        print(note)
    print()
    print_table(results, args.backends, args.batch_sizes)
    print("Timings:")
    print_details(results)
    print()
    print_references(results)
    return 0


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="jupyter-tracker-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
