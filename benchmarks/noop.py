"""The workflow the execution benchmark runs: it does nothing."""

from runyard.worker import App, Context, workflow


@workflow()
def noop(ctx: Context) -> None:
    return None


app = App(noop)
