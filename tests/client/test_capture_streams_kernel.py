"""StreamCapture in a real IPython kernel: ipykernel's OutStream, IPython's per-cell patching
of ``write``, and the frontend still receiving every stream message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import start_new_kernel


@pytest.fixture(scope="module")
def kernel() -> Iterator[BlockingKernelClient]:
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client: BlockingKernelClient, code: str) -> list[dict[str, Any]]:
    """Run ``code``; the iopub messages the frontend got for it (checked to be ``ok``)."""
    messages: list[dict[str, Any]] = []
    reply = client.execute_interactive(code, output_hook=messages.append, timeout=60)
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert reply["content"]["status"] == "ok", errors
    return messages


def streamed(messages: list[dict[str, Any]], name: str) -> str:
    return "".join(
        m["content"]["text"]
        for m in messages
        if m["msg_type"] == "stream" and m["content"]["name"] == name
    )


def test_in_a_kernel_output_still_reaches_the_frontend(kernel: BlockingKernelClient) -> None:
    # Given a kernel whose streams are ipykernel's OutStream, captured in one cell
    execute(
        kernel,
        "import sys\n"
        "from jupyter_tracker.client.capture import StreamCapture\n"
        "original = (sys.stdout, sys.stderr)\n"
        "got = []\n"
        "capture = StreamCapture(lambda name, text: got.append((name, text)))\n"
        "capture.start()\n",
    )
    # When a later cell prints to both streams
    messages = execute(kernel, "print('hello from the kernel')\nsys.stderr.write('oops\\n')\n")
    # Then that cell's output went to the frontend as usual (with that cell as parent)
    assert streamed(messages, "stdout") == "hello from the kernel\n"
    assert streamed(messages, "stderr") == "oops\n"
    # And the callback got the same text; stop() puts the OutStreams back
    messages = execute(
        kernel,
        "capture.stop()\n"
        "assert (sys.stdout, sys.stderr) == original, (sys.stdout, sys.stderr)\n"
        "assert type(sys.stdout).__name__ == 'OutStream'\n"
        "import json\n"
        "print(json.dumps(got))\n",
    )
    got = json.loads(streamed(messages, "stdout"))
    assert ["stdout", "hello from the kernel"] in got
    assert ["stderr", "oops\n"] in got
    assert "".join(text for name, text in got if name == "stdout") == "hello from the kernel\n"


def test_in_a_kernel_a_printing_callback_does_not_loop(kernel: BlockingKernelClient) -> None:
    messages = execute(
        kernel,
        "import sys\n"
        "from jupyter_tracker.client.capture import StreamCapture\n"
        "seen = []\n"
        "def echo(name, text):\n"
        "    seen.append(text)\n"
        "    print('echo:', text.strip())\n"
        "capture = StreamCapture(echo)\n"
        "capture.start()\n"
        "print('x')\n"
        "capture.stop()\n"
        "print(seen)\n",
    )
    assert streamed(messages, "stdout") == "x" + "echo: x\n" + "\n" + "echo: \n" + "['x', '\\n']\n"


def test_in_a_kernel_threads_and_ipython_history_still_work(
    kernel: BlockingKernelClient,
) -> None:
    # Given a capture started in one cell
    execute(
        kernel,
        "import sys, threading\n"
        "from jupyter_tracker.client.capture import StreamCapture\n"
        "got = []\n"
        "capture = StreamCapture(lambda name, text: got.append(text))\n"
        "capture.start()\n",
    )
    # When a later cell prints from a thread and from the cell itself
    messages = execute(
        kernel,
        "worker = threading.Thread(target=print, args=('from a thread',))\n"
        "worker.start(); worker.join()\n"
        "print('from the cell')\n",
    )
    # Then the frontend got both as that cell's output, and so did the callback
    assert streamed(messages, "stdout") == "from a thread\nfrom the cell\n"
    seen = execute(
        kernel,
        "capture.stop()\n"
        "import json\n"
        "history = get_ipython().history_manager.outputs\n"
        "texts = [''.join(''.join(o.bundle.get('stream', ())) for o in cell)\n"
        "         for cell in history.values()]\n"
        "print(json.dumps([''.join(got), texts]))\n",
    )
    # And IPython's own record of the cell's output (it patches sys.stdout.write) is intact
    captured, history = json.loads(streamed(seen, "stdout"))
    assert captured == "from a thread\nfrom the cell\n"
    assert "from a thread\nfrom the cell\n" in history
