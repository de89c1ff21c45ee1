"""The workflows the execution benchmark runs: they do (almost) nothing."""

from runyard.worker import App, Context, workflow


def nothing() -> None:
    return None


@workflow()
def noop(ctx: Context) -> None:
    return None


@workflow()
def one_step(ctx: Context) -> None:
    ctx.step("noop", nothing)


@workflow()
def hundred_steps(ctx: Context) -> None:
    for n in range(100):
        ctx.step(f"s{n}", nothing)


def chat(lines: int) -> int:
    for n in range(lines):
        print(f"log line {n} of the benchmark's chatty step")
    return lines


@workflow()
def chatty(ctx: Context, lines: int = 1000) -> int:
    return int(ctx.step("chat", chat, lines))


app = App(noop, one_step, hundred_steps, chatty)
