"""Workflows that worker-process tests run with ``runyard worker tests.worker.flows:app``.

Each step appends ``<run id> <step>`` to the file named by ``RUNYARD_TEST_EFFECTS``: a
side effect the tests count to prove what ran how often.
"""

from __future__ import annotations

import os
import time

from runyard.worker import App, Context, workflow


def effect(run_id: str, step: str, seconds: float = 0.0) -> str:
    if seconds:
        time.sleep(seconds)
    line = f"{run_id} {step}\n".encode()
    fd = os.open(os.environ["RUNYARD_TEST_EFFECTS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line)  # one small O_APPEND write: never interleaved with another
    finally:
        os.close(fd)
    return step


@workflow()
def five_steps(ctx: Context) -> int:
    for n in range(1, 6):
        ctx.step(f"step-{n}", effect, ctx.run_id, f"step-{n}", 0.05)
    return 5


@workflow()
def one_shot(ctx: Context) -> str:
    return str(ctx.step("once", effect, ctx.run_id, "once"))


app = App(five_steps, one_shot)
