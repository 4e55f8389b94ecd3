"""What every handler needs: the store, a thread pool for its blocking calls, and who is local."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from ..store.base import TrackerStore
from .client_config import ConfigStore

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class TrackerService:
    """Built once by the app and handed to every handler through the route kwargs.

    ``local_user`` is whom a browser request that Jupyter itself authenticated acts as; in the
    standalone team server it is ``None`` and only API tokens are accepted. ``config`` holds the
    Configure settings (``None`` in the standalone server, which has none): when they name
    another tracker, browser requests are forwarded there.
    """

    store: TrackerStore
    local_user: str | None
    default_project: str = "sandbox"
    config: ConfigStore | None = None
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="tracker-store")
    )

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking store call on the pool, so the event loop keeps serving."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.store.close()
