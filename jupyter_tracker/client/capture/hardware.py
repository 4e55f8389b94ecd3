"""Sample CPU, memory and (when NVML is available) GPU usage on a daemon thread."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_INTERVAL", "MIN_INTERVAL", "HardwareMonitor"]

log = logging.getLogger(__name__)

MIN_INTERVAL = 0.1
"""Shortest sampling interval in seconds; shorter (or NaN) intervals are raised to this."""
MAX_INTERVAL = 86_400.0
"""Longest sampling interval in seconds; longer (or infinite) intervals are lowered to this."""

_MB = 1024.0 * 1024.0


class HardwareMonitor:
    """Call ``on_sample(values, unix_time)`` every ``interval`` seconds from a daemon thread.

    ``values`` always has ``cpu/process_percent`` (this process, all threads: up to
    100 x cores), ``cpu/system_percent`` (0-100), ``memory/process_rss_mb``,
    ``memory/system_used_percent`` and ``memory/system_used_mb`` (total minus available, the
    same basis as the percentage). When ``pynvml`` imports and initialises, each GPU ``i`` adds
    ``gpu/<i>/utilization_percent`` and ``gpu/<i>/memory_used_mb``; otherwise GPUs are skipped
    silently. CPU counters are primed when the thread starts, so the first sample (one interval
    later) covers that first interval.

    Nothing here raises: errors in sampling or in ``on_sample`` are logged at debug level, and
    a monitor whose psutil is missing simply never samples.
    """

    def __init__(
        self, interval: float, on_sample: Callable[[dict[str, float], float], None]
    ) -> None:
        self.interval = _clamp_interval(interval)
        self._on_sample = on_sample
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the sampling thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start sampling; does nothing if already running. Never raises."""
        try:
            with self._lock:
                if self._thread is not None and self._thread.is_alive():
                    return
                self._stop_event = threading.Event()
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._stop_event,),
                    name="jupyter-tracker-hardware",
                    daemon=True,
                )
                self._thread.start()
        except Exception:
            log.debug("could not start the hardware monitor", exc_info=True)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop sampling and wait up to ``timeout`` seconds for the thread to end.

        The thread wakes at once (no sample is taken after this returns unless one was already
        in progress); ``timeout`` only bounds a sample or ``on_sample`` call stuck in progress.
        Idempotent; never raises.
        """
        try:
            with self._lock:
                thread, self._thread = self._thread, None
                self._stop_event.set()
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        except Exception:
            log.debug("could not stop the hardware monitor", exc_info=True)

    def _run(self, stop: threading.Event) -> None:
        try:
            sampler = _Sampler()
        except Exception:
            log.debug("hardware monitoring unavailable", exc_info=True)
            return
        try:
            next_due = time.monotonic() + self.interval
            while not stop.wait(max(0.0, next_due - time.monotonic())):
                values = sampler.sample()
                if stop.is_set():
                    break
                try:
                    self._on_sample(values, time.time())
                except Exception:
                    log.debug("hardware sample callback failed", exc_info=True)
                next_due += self.interval
                now = time.monotonic()
                if next_due < now:  # fell behind (suspended, slow callback): skip, don't burst
                    next_due = now + self.interval
        except Exception:
            log.debug("hardware monitor stopped by an error", exc_info=True)
        finally:
            sampler.close()


class _Sampler:
    """Reads the counters; constructed on the monitor thread (imports and NVML set-up there)."""

    def __init__(self) -> None:
        import psutil

        self._psutil: Any = psutil
        self._process: Any = psutil.Process()
        # The first call of each only sets the baseline for the next one.
        self._process.cpu_percent(interval=None)
        psutil.cpu_percent(interval=None)
        self._nvml: Any = None
        self._gpus: list[Any] = []
        self._init_nvml()

    def _init_nvml(self) -> None:
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:
            log.debug("no NVML: GPUs are not monitored", exc_info=True)
            return
        self._nvml = pynvml
        try:
            count = int(pynvml.nvmlDeviceGetCount())
            self._gpus = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception:
            log.debug("could not list GPUs", exc_info=True)

    def sample(self) -> dict[str, float]:
        values: dict[str, float] = {}
        psutil = self._psutil
        with contextlib.suppress(Exception):
            values["cpu/process_percent"] = float(self._process.cpu_percent(interval=None))
        with contextlib.suppress(Exception):
            values["cpu/system_percent"] = float(psutil.cpu_percent(interval=None))
        with contextlib.suppress(Exception):
            values["memory/process_rss_mb"] = self._process.memory_info().rss / _MB
        with contextlib.suppress(Exception):
            vm = psutil.virtual_memory()
            values["memory/system_used_percent"] = float(vm.percent)
            values["memory/system_used_mb"] = (vm.total - vm.available) / _MB
        for i, handle in enumerate(self._gpus):
            with contextlib.suppress(Exception):
                rates = self._nvml.nvmlDeviceGetUtilizationRates(handle)
                values[f"gpu/{i}/utilization_percent"] = float(rates.gpu)
            with contextlib.suppress(Exception):
                memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
                values[f"gpu/{i}/memory_used_mb"] = memory.used / _MB
        return values

    def close(self) -> None:
        if self._nvml is not None:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()
            self._nvml = None


def _clamp_interval(interval: float) -> float:
    try:
        value = float(interval)
    except (TypeError, ValueError):
        return MIN_INTERVAL
    if math.isnan(value):
        return MIN_INTERVAL
    return min(max(value, MIN_INTERVAL), MAX_INTERVAL)
