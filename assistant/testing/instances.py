"""``presence run`` processes for tests of several instances sharing one PostgreSQL database.

Each instance runs in a folder of its own, with its config there and its output going to
``presence.log`` beside it: a file, not a pipe, so worker processes outliving a killed run
keep no one waiting. The DSN reaches it through ``PRESENCE_TEST_DSN`` (the config's
``dsn_env``), as a deployment's would through its own variable.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = [
    "DSN_ENV",
    "Instance",
    "discard_instances",
    "environment",
    "start_instance",
    "stop_instances",
]

DSN_ENV = "PRESENCE_TEST_DSN"
"""The variable the instances' configs name in ``[storage] dsn_env``."""


@dataclass
class Instance:
    """One running ``presence run`` and the log file it writes."""

    folder: Path
    process: asyncio.subprocess.Process
    log_file: IO[bytes]


def environment(dsn: str) -> dict[str, str]:
    """This process's environment for a ``presence`` command on ``dsn`` (no stray config)."""
    environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
    return environ | {DSN_ENV: dsn, "COLUMNS": "200"}


async def start_instance(folder: Path, config: str, dsn: str) -> Instance:
    """Write ``config`` into a new ``folder`` and start ``presence run`` there."""
    path = folder / "presence.toml"
    await asyncio.to_thread(folder.mkdir)
    await asyncio.to_thread(path.write_text, config, "utf-8")
    log_file = await asyncio.to_thread((folder / "presence.log").open, "wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "assistant",
        "run",
        "--config",
        str(path),
        cwd=folder,
        env=environment(dsn),
        stdout=log_file,
        stderr=log_file,
    )
    return Instance(folder, process, log_file)


async def stop_instances(instances: Sequence[Instance], timeout: float = 60.0) -> list[int]:
    """Ask every instance to stop (SIGTERM, as a service manager does) and return their
    exit statuses, in order; one that has not stopped within ``timeout`` raises TimeoutError.
    """
    for instance in instances:
        instance.process.send_signal(signal.SIGTERM)
    return [
        await asyncio.wait_for(instance.process.wait(), timeout=timeout) for instance in instances
    ]


async def discard_instances(instances: Sequence[Instance]) -> None:
    """Kill the instances still running (a failed test) and close every log file."""
    for instance in instances:
        if instance.process.returncode is None:
            instance.process.kill()
            await instance.process.wait()
        instance.log_file.close()
