"""Cost of ``log_metric`` in the Python client, and how soon the points are on the server.

The client's logging calls only append to an in-memory buffer; a background thread journals the
points and POSTs them to the server. This benchmark logs ``--points`` (1,000,000) float points
of one metric through each of the call forms users type:

- ``exp.log_metric(name, value)``
- ``exp.log_metric(name, step, value)``
- ``tracker.log_metric(name, value)`` (the module-level call on the current experiment)

against a real standalone server (``python -m jupyter_tracker.cli ... serve``, started as a
subprocess on 127.0.0.1 with the helpers of ``bench/ingest_read.py``) on SQLite, and on
PostgreSQL when asked. For each it prints the microseconds per call (median and best of
``--repeat`` runs, each run a new experiment), the same Python loop without the call, and the
seconds from the last call until ``exp.flush()`` returned, that is until the server acknowledged
every point; the count is then read back (GET .../runs/{id}/series) and checked.

The timed runs create experiments with ``send_hardware_metrics=False, upload_stdout=False,
upload_stderr=False``; one more run keeps the defaults to show what the capture costs, and one
logs in offline mode (journal only, no server) to separate the client's own cost from sending.

Then (``other_trackers.py``) the same workload with the tools users would pick instead, each
installed into a virtualenv of its own under ``~/.cache/jupyter_tracker_bench/`` (kept between
runs) and run in a subprocess: neptune in offline mode, Aim, MLflow with asynchronous logging
(SQLite, its default store, and the file store) and MLflow synchronous. They log fewer points
(see the output), scaled to microseconds per call. A tool that cannot be installed or run is
reported with the reason, and the rest go on.

Run: python bench/client_log_metric.py [--points N] [--others-points N] [--skip-others]
[--repeat N] [--backends sqlite,postgresql] [--pg-url URL]. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import logging
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
METRIC = "loss"
PROJECT = "sandbox"
BACKENDS = ("sqlite", "postgresql")

TARGET_US_PER_CALL = 1.0
TARGET_DURABLE_S = 1.0

FLUSH_TIMEOUT = 600.0
INSTALL_TIMEOUT = 1200.0
TOOL_TIMEOUT = 900.0
RESULT_PREFIX = "BENCH-RESULT "

# The client modules, imported in the parent process only (the tools' virtualenvs run this
# file too, without the project): see _import_client().
tracker: Any = None
ingest_read: Any = None


# --------------------------------------------------------------------------------------------
# Data and the timed loops


def make_values(n: int, seed: int = 0) -> list[float]:
    """A noisy decaying loss curve as Python floats, the same in every process."""
    rng = random.Random(seed)
    scale = n / 5 + 1
    return [2.0 * math.exp(-i / scale) + 0.1 + 0.02 * rng.gauss(0.0, 1.0) for i in range(n)]


def loop_exp_value(exp: Any, values: list[float]) -> None:
    for v in values:
        exp.log_metric("loss", v)


def loop_exp_step_value(exp: Any, values: list[float]) -> None:
    for step, v in enumerate(values):
        exp.log_metric("loss", step, v)


def loop_module_value(exp: Any, values: list[float]) -> None:
    for v in values:
        tracker.log_metric("loss", v)


def bare_value(exp: Any, values: list[float]) -> None:
    for _v in values:
        pass


def bare_step_value(exp: Any, values: list[float]) -> None:
    for _step, _v in enumerate(values):
        pass


def time_call(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    loop: Callable[[Any, list[float]], None]
    bare: Callable[[Any, list[float]], None]


VARIANTS = (
    Variant("value", "exp.log_metric(name, value)", loop_exp_value, bare_value),
    Variant("step", "exp.log_metric(name, step, value)", loop_exp_step_value, bare_step_value),
    Variant("module", "tracker.log_metric(name, value)", loop_module_value, bare_value),
)


# --------------------------------------------------------------------------------------------
# Results


def us(seconds: float, points: int) -> float:
    return seconds / points * 1e6


@dataclass
class Trial:
    """One experiment: the timed loop, then flush() until the server acknowledged all."""

    loop_s: float
    durable_s: float
    expected: int
    count: int | None  # points of the metric read back (None: could not be read)
    last_step: float | None = None
    pending: int = 0
    error: str | None = None

    @property
    def verified(self) -> bool:
        return self.count == self.expected and self.pending == 0


@dataclass
class Measurement:
    """The trials of one call form (or one other tool) and its bare loop."""

    label: str
    points: int
    trials: list[Trial] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)
    note: str = ""
    version: str = ""
    failure: str | None = None
    details: list[str] = field(default_factory=list)

    def per_call(self) -> list[float]:
        return [us(t.loop_s, self.points) for t in self.trials]

    @property
    def median_us(self) -> float:
        return statistics.median(self.per_call())

    @property
    def best_us(self) -> float:
        return min(self.per_call())

    @property
    def bare_us(self) -> float:
        return statistics.median(us(s, self.points) for s in self.bare_s) if self.bare_s else 0.0

    @property
    def durable_median_s(self) -> float:
        return statistics.median(t.durable_s for t in self.trials)

    @property
    def durable_worst_s(self) -> float:
        return max(t.durable_s for t in self.trials)

    @property
    def verified(self) -> bool:
        return bool(self.trials) and all(t.verified for t in self.trials)


# --------------------------------------------------------------------------------------------
# Our client against a real server


def _load_by_path(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _import_client(scratch: Path) -> None:
    """The client, with its config and journal folders inside ``scratch``.

    The user's config file (URL, token, project) and journal stay out of the measurement; the
    journal lands on the same disk as a user's would (``scratch`` is under the temp folder).
    """
    global tracker, ingest_read
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = scratch / "client" / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    import jupyter_tracker

    tracker = jupyter_tracker
    ingest_read = _load_by_path(
        "jupyter_tracker_bench_ingest_read", REPO / "bench" / "ingest_read.py"
    )


def _series_count(client: Any, run_id: str) -> tuple[int | None, float | None]:
    listing = client.call("GET", f"/runs/{run_id}/series")
    for s in listing.get("series", []):
        if s.get("name") == METRIC:
            return int(s["count"]), s.get("last_step")
    return 0, None


CAPTURE_OFF = {"send_hardware_metrics": False, "upload_stdout": False, "upload_stderr": False}


def run_trial(
    variant: Variant,
    values: list[float],
    label: str,
    reader: Any | None,
    capture: dict[str, bool],
) -> Trial:
    """A new experiment, the timed loop, flush() timed from the last call, the count checked."""
    exp = tracker.create_experiment(name=label, **capture)
    try:
        gc.collect()
        start = time.perf_counter()
        variant.loop(exp, values)
        last_call = time.perf_counter()
        delivery = exp.flush(FLUSH_TIMEOUT)
        durable = time.perf_counter() - last_call
        count: int | None = None
        last_step: float | None = None
        error = delivery.error
        if reader is not None:
            try:
                count, last_step = _series_count(reader, exp.id)
            except Exception as e:  # report it, go on with the other measurements
                error = f"reading the count back: {e}"
        else:
            # Offline: flush() returns once the journal is fsynced; the records stay unsent.
            exp.stop()
            count = journal_count(exp._journal_dir)
            return Trial(last_call - start, durable, len(values), count)
        return Trial(
            last_call - start, durable, len(values), count, last_step, delivery.pending, error
        )
    finally:
        exp.stop()


def journal_count(folder: Path) -> int:
    """Points of the metric in a run's on-disk journal (what ``jupyter tracker sync`` sends)."""
    import base64

    from jupyter_tracker.client.journal import BATCH, Journal

    journal = Journal(folder)
    try:
        total = 0
        for record in journal.records():
            if record.kind == BATCH:
                for series in json.loads(record.payload).get("metrics", []):
                    if series["name"] == METRIC:
                        total += len(base64.b64decode(series["values"]["data"])) // 8
        return total
    finally:
        journal.close()


def measure_variant(
    variant: Variant,
    values: list[float],
    repeat: int,
    tag: str,
    reader: Any | None,
    capture: dict[str, bool] | None = None,
    label: str | None = None,
) -> Measurement:
    m = Measurement(label or variant.label, len(values))
    for r in range(repeat):
        m.trials.append(
            run_trial(variant, values, f"{tag}-{variant.key}-{r}", reader, capture or {})
        )
        m.bare_s.append(time_call(lambda: variant.bare(None, values)))
    return m


@dataclass
class BackendResult:
    backend: str
    description: str
    rows: list[Measurement]


def measure_backend(
    backend: str, databases: Any, scratch: Path, values: list[float], repeat: int
) -> BackendResult:
    db_url = databases.new(backend, f"client-{backend}")
    workdir = scratch / f"server-{backend}"
    workdir.mkdir()
    server = ingest_read.start_server(db_url, workdir, "cli")
    reader = ingest_read.Client(server.port, server.authorization)
    try:
        token = server.authorization.removeprefix("Bearer ")
        tracker.init(PROJECT, api_token=token, url=f"http://127.0.0.1:{server.port}")
        rows = []
        for variant in VARIANTS:
            began = time.monotonic()
            m = measure_variant(variant, values, repeat, backend, reader, CAPTURE_OFF)
            rows.append(m)
            _progress(f"{backend}: {m.label}", m, time.monotonic() - began)
        began = time.monotonic()
        defaults = measure_variant(
            VARIANTS[0],
            values,
            1,
            f"{backend}-defaults",
            reader,
            {},
            label=f"{VARIANTS[0].label}, capture on (defaults)",
        )
        defaults.note = "1 run: hardware metrics, stdout and stderr captured"
        rows.append(defaults)
        _progress(f"{backend}: {defaults.label}", defaults, time.monotonic() - began)
    finally:
        reader.close()
        server.stop()
    description = "SQLite file" if backend == "sqlite" else "PostgreSQL"
    return BackendResult(backend, description, rows)


def measure_offline(values: list[float], repeat: int) -> Measurement:
    """The same loop with no server: the worker only journals (and fsyncs) the points."""
    tracker.init(PROJECT, mode="offline")
    # stop() warns that the records are not on a server yet: expected here.
    logging.getLogger("jupyter_tracker.client").setLevel(logging.ERROR)
    m = measure_variant(
        VARIANTS[0],
        values,
        repeat,
        "offline",
        None,
        CAPTURE_OFF,
        label=f"{VARIANTS[0].label}, offline mode",
    )
    m.note = "journal on local disk only, no server: flush() = journal fsynced"
    return m


def _progress(what: str, m: Measurement, took: float) -> None:
    flags = "" if m.verified else "  NOT VERIFIED"
    print(
        f"  {what}: {m.median_us:.2f} us/call, durable {m.durable_median_s:.2f} s"
        f" ({took:.0f} s){flags}",
        flush=True,
    )


# --------------------------------------------------------------------------------------------
# Report


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_ours(results: Sequence[BackendResult], offline: Measurement | None, repeat: int) -> None:
    print(
        "Our client: microseconds per call (the loop's time / points), the bare loop (the same"
        " Python loop\nwithout the call), and seconds from the last call until exp.flush()"
        " returned with every point\nacknowledged by the server (then counted back with GET"
        " .../runs/{id}/series)."
    )
    print(
        "Timed with send_hardware_metrics=False, upload_stdout=False, upload_stderr=False;"
        f" median and best of {repeat} runs,\neach a new experiment. Targets: at most"
        f" {TARGET_US_PER_CALL:g} us per call; all points durable within {TARGET_DURABLE_S:g} s"
        " of the last call."
    )
    print()
    head = (
        f"{'call':<52} {'us/call':>8} {'best':>6} {'loop':>6} {'net':>6}"
        f" {'<=1us':>5}  {'durable s':>9} {'worst':>6} {'<=1s':>5}  {'read back':>11}"
    )
    for result in results:
        print(f"{result.backend} ({result.description}), {result.rows[0].points:,} points per run")
        print(head)
        print("-" * len(head))
        for m in result.rows:
            _print_our_row(m)
        for m in result.rows:
            if m.note:
                print(f"  {m.label}: {m.note}")
        print()
    if offline is not None:
        print("Offline mode, no server (where the time goes when nothing is sent):")
        print(head)
        print("-" * len(head))
        _print_our_row(offline)
        print(f"  {offline.note}; read back: points in the journal's records")
        print()


def _print_our_row(m: Measurement) -> None:
    net = m.median_us - m.bare_us
    counts = {t.count for t in m.trials}
    if m.verified:
        read_back = f"{m.points:,} ok"
    else:
        read_back = "/".join("?" if c is None else f"{c:,}" for c in sorted(counts, key=str))
        read_back += " BAD"
    print(
        f"{m.label:<52} {m.median_us:>8.3f} {m.best_us:>6.3f} {m.bare_us:>6.3f} {net:>6.3f}"
        f" {_verdict(m.median_us <= TARGET_US_PER_CALL):>5}"
        f"  {m.durable_median_s:>9.3f} {m.durable_worst_s:>6.3f}"
        f" {_verdict(m.durable_median_s <= TARGET_DURABLE_S and m.verified):>5}"
        f"  {read_back:>11}"
    )
    for t in m.trials:
        if t.error:
            print(f"    error: {t.error}")


# --------------------------------------------------------------------------------------------
# Main


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
        description="Per-call cost of log_metric and time until the points are on the server;"
        " the same workload with neptune, Aim and MLflow."
    )
    parser.add_argument("--points", type=int, default=1_000_000, help="points per run (ours)")
    parser.add_argument(
        "--others-points",
        type=int,
        default=100_000,
        help="points per run for the other tools (some are capped lower: see the output)",
    )
    parser.add_argument("--skip-others", action="store_true", help="only our client")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each call form (median and best)"
    )
    parser.add_argument(
        "--others-repeat", type=int, default=1, help="runs of each other tool (median)"
    )
    parser.add_argument(
        "--backends",
        type=_backends,
        default=["sqlite"],
        help="comma-separated: sqlite, postgresql (a throwaway cluster from"
        " tests/postgres_server.py unless --pg-url)",
    )
    parser.add_argument(
        "--pg-url",
        default=None,
        help="admin SQLAlchemy URL of an existing PostgreSQL server (a role that may create"
        " databases); adds the postgresql backend",
    )
    parser.add_argument("--skip-offline", action="store_true", help="no offline-mode row")
    args = parser.parse_args(argv)
    if min(args.points, args.others_points, args.repeat, args.others_repeat) < 1:
        parser.error("--points, --others-points, --repeat and --others-repeat must be positive")
    if args.pg_url and "postgresql" not in args.backends:
        args.backends.append("postgresql")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    with _scratch() as scratch:
        _import_client(scratch)
        import sqlite3

        print(
            f"log_metric: {args.points:,} points per run, {args.repeat} runs per call form;"
            f" backends {', '.join(args.backends)}"
        )
        print(
            f"python {platform.python_version()}, jupyter_tracker {tracker.__version__},"
            f" SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cpus,"
            f" load average {load_before:.2f}"
        )
        values = make_values(args.points)
        results: list[BackendResult] = []
        databases = ingest_read.Databases(scratch, args.pg_url)
        try:
            for backend in args.backends:
                results.append(measure_backend(backend, databases, scratch, values, args.repeat))
        finally:
            databases.close()
        offline = None
        if not args.skip_offline:
            began_offline = time.monotonic()
            offline = measure_offline(values, args.repeat)
            _progress("no server: " + offline.label, offline, time.monotonic() - began_offline)
        others: list[Measurement] = []
        if not args.skip_others:
            # Imported here: other_trackers.py imports this module (also in the tools'
            # virtualenvs, where only its standard-library top level loads).
            import other_trackers

            print(f"other tools (virtualenvs in {other_trackers.cache_dir()}):", flush=True)
            for tool in other_trackers.OTHER_TOOLS:
                others.append(
                    other_trackers.measure_other(
                        tool, args.others_points, args.others_repeat, scratch
                    )
                )
        notes = [*databases.notes]
        if databases.pg_version:
            notes.append(databases.pg_version)
    print()
    for note in notes:
        print(note)
    print()
    print_ours(results, offline, args.repeat)
    if not args.skip_others:
        ours = results[0].rows[0] if results else None
        import other_trackers

        other_trackers.print_others(ours, others, args.others_points)
    load = os.getloadavg()[0]
    print(f"total {time.monotonic() - began:.0f} s; load average now {load:.2f}")
    if max(load, load_before) > 1.0:
        print(
            "The machine was busy (load average above 1 on 2 cores): timings of the same run"
            " vary by 20-50 % then. Rerun on a quiet machine before trusting a MISS."
        )
    return 0


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="jupyter-tracker-bench-client-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
