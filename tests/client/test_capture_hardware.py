"""HardwareMonitor: real psutil samples on a daemon thread, at the interval, stopping promptly."""

from __future__ import annotations

import importlib.util
import itertools
import math
import os
import threading
import time

import pytest

from jupyter_tracker.client.capture import HardwareMonitor
from jupyter_tracker.client.capture.hardware import MAX_INTERVAL, MIN_INTERVAL

Sample = tuple[dict[str, float], float, float]  # values, reported unix time, monotonic arrival

KEYS = {
    "cpu/process_percent",
    "cpu/system_percent",
    "memory/process_rss_mb",
    "memory/system_used_percent",
    "memory/system_used_mb",
}


def collect(interval: float) -> tuple[HardwareMonitor, list[Sample], threading.Event]:
    samples: list[Sample] = []
    arrived = threading.Event()

    def on_sample(values: dict[str, float], at: float) -> None:
        samples.append((values, at, time.monotonic()))
        arrived.set()

    return HardwareMonitor(interval, on_sample), samples, arrived


def test_samples_arrive_at_the_interval_with_sane_values() -> None:
    monitor, samples, _ = collect(0.2)
    started = time.monotonic()
    monitor.start()
    try:
        time.sleep(1.1)
    finally:
        monitor.stop()
    assert 3 <= len(samples) <= 6, [round(s[2] - started, 3) for s in samples]
    arrivals = [started] + [s[2] for s in samples]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert all(0.15 < gap < 0.6 for gap in gaps), gaps  # 0.2 s, with room for a busy machine
    cores = os.cpu_count() or 1
    for values, at, _ in samples:
        gpu_keys = {key for key in values if key.startswith("gpu/")}
        assert set(values) - gpu_keys == KEYS
        assert all(isinstance(v, float) and math.isfinite(v) for v in values.values())
        assert 0 <= values["cpu/process_percent"] <= 100 * cores
        assert 0 <= values["cpu/system_percent"] <= 100
        assert values["memory/process_rss_mb"] > 0
        assert 0 < values["memory/system_used_percent"] <= 100
        assert values["memory/system_used_mb"] > 0
        assert abs(at - time.time()) < 60
    timestamps = [at for _, at, _ in samples]
    assert timestamps == sorted(timestamps)


@pytest.mark.skipif(importlib.util.find_spec("pynvml") is not None, reason="pynvml present")
def test_without_nvml_gpus_are_skipped_silently() -> None:
    monitor, samples, arrived = collect(0.1)
    monitor.start()
    try:
        assert arrived.wait(5)
    finally:
        monitor.stop()
    assert not any(key.startswith("gpu/") for key in samples[0][0])


def test_the_first_sample_measures_the_first_interval() -> None:
    # Given a monitor whose counters are primed when it starts
    monitor, samples, arrived = collect(0.5)
    monitor.start()
    try:
        # When this process is busy for the whole first interval
        deadline = time.monotonic() + 5
        while not arrived.is_set() and time.monotonic() < deadline:
            sum(i * i for i in range(1000))
    finally:
        monitor.stop()
    # Then the first sample shows it (an unprimed psutil would report 0.0)
    assert samples, "no sample"
    assert samples[0][0]["cpu/process_percent"] > 20, samples[0][0]


def test_stop_returns_within_the_interval_and_ends_the_thread() -> None:
    monitor, samples, _ = collect(5.0)
    monitor.start()
    assert monitor.running
    thread = next(t for t in threading.enumerate() if t.name == "jupyter-tracker-hardware")
    assert thread.daemon
    time.sleep(0.2)
    before = time.monotonic()
    monitor.stop()
    assert time.monotonic() - before < 0.5
    assert not thread.is_alive()
    assert not monitor.running
    assert samples == []


def test_no_samples_after_stop() -> None:
    monitor, samples, arrived = collect(0.1)
    monitor.start()
    assert arrived.wait(5)
    monitor.stop()
    count = len(samples)
    time.sleep(0.35)
    assert len(samples) == count


def test_start_and_stop_are_idempotent_and_restartable() -> None:
    monitor, _samples, arrived = collect(0.1)
    monitor.stop()  # before any start
    monitor.start()
    monitor.start()
    try:
        workers = [t for t in threading.enumerate() if t.name == "jupyter-tracker-hardware"]
        assert len(workers) == 1
        assert arrived.wait(5)
    finally:
        monitor.stop()
        monitor.stop()
    arrived.clear()
    monitor.start()
    try:
        assert arrived.wait(5)
    finally:
        monitor.stop()
    assert not monitor.running


def test_a_failing_callback_does_not_end_sampling() -> None:
    calls: list[float] = []

    def on_sample(values: dict[str, float], at: float) -> None:
        calls.append(at)
        raise RuntimeError("broken callback")

    monitor = HardwareMonitor(0.1, on_sample)
    monitor.start()
    try:
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert monitor.running
    finally:
        monitor.stop()
    assert len(calls) >= 3


def test_stop_from_the_callback_does_not_deadlock() -> None:
    done = threading.Event()
    holder: list[HardwareMonitor] = []

    def on_sample(values: dict[str, float], at: float) -> None:
        holder[0].stop()
        done.set()

    holder.append(HardwareMonitor(0.1, on_sample))
    holder[0].start()
    assert done.wait(5)
    time.sleep(0.1)
    assert not holder[0].running


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (0.0, MIN_INTERVAL),
        (-3.0, MIN_INTERVAL),
        (math.nan, MIN_INTERVAL),
        (math.inf, MAX_INTERVAL),
        (2.5, 2.5),
    ],
)
def test_unusable_intervals_are_clamped_not_raised(given: float, expected: float) -> None:
    assert HardwareMonitor(given, lambda values, at: None).interval == expected
