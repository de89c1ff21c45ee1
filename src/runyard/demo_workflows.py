"""Example workflows that ``runyard serve --demo`` really executes on its embedded worker.

One sometimes fails with an error code (and is retried), one starts child runs, one waits
for an event: ``curl -X POST .../api/v1/events -d '{"key": "approve:<order>"}'``.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from runyard.worker import App, Context, WorkflowError, workflow

ERROR_CODES = ["CAPTCHA_BLOCKED", "NAVIGATION_TIMEOUT", "LOGIN_FAILED"]
log = logging.getLogger("demo")


def _work(seconds: float) -> None:
    time.sleep(seconds)


def _scrape(url: str) -> dict[str, Any]:
    print(f"loading {url}")  # a run's print output and logging records are its log
    _work(random.uniform(0.1, 0.4))
    if random.random() < 0.3:
        code = random.choice(ERROR_CODES)
        log.warning("the page refused us: %s", code)
        raise WorkflowError(f"could not load {url}", code)
    price = round(random.uniform(5, 500), 2)
    print(f"read the price: {price}")
    return {"url": url, "price": price}


@workflow(
    name="demo-price-check",
    title="Price check (fails now and then)",
    retries=1,
    backoff=2.0,
    timeout=120,
)
def price_check(ctx: Context, url: str = "https://shop.example/item/42") -> dict[str, Any]:
    """Opens a product page and reads its price; the page sometimes refuses (error code)."""
    ctx.step("open-page", _work, 0.2)
    found: dict[str, Any] = ctx.step("read-price", _scrape, url)
    return found


@workflow(name="demo-pack-item", title="Pack one item", type="tool")
def pack_item(ctx: Context, sku: str) -> dict[str, Any]:
    ctx.step("pick", _work, 0.2)
    ctx.step("pack", _work, 0.2)
    return {"sku": sku, "packed": True}


@workflow(name="demo-fulfil-order", title="Fulfil an order (child runs)", timeout=300)
def fulfil_order(ctx: Context, order: str = "ORD-1", skus: list[str] | None = None) -> Any:
    """Packs each item in a child run, then ships."""
    packed = [ctx.child("demo-pack-item", {"sku": sku}) for sku in skus or ["SKU-1", "SKU-2"]]
    print(f"packed {len(packed)} items of {order}; shipping")
    ctx.progress(80)
    ctx.step("ship", _work, 0.3)
    return {"order": order, "items": packed}


@workflow(name="demo-refund-approval", title="Refund awaiting approval (event)")
def refund_approval(ctx: Context, order: str = "ORD-1", amount: float = 10.0) -> Any:
    """Waits for ``approve:<order>`` before refunding."""
    ctx.step("check-order", _work, 0.1)
    decision = ctx.wait_for_event(f"approve:{order}")
    ctx.step("refund", _work, 0.2)
    return {"order": order, "amount": amount, "decision": decision}


APP = App(price_check, pack_item, fulfil_order, refund_approval)

# A few runs of each, started when the demo loads.
STARTERS: list[tuple[str, dict[str, Any]]] = [
    ("demo-price-check", {"url": f"https://shop.example/item/{n}"}) for n in range(1, 7)
] + [
    ("demo-fulfil-order", {"order": "ORD-1001", "skus": ["SKU-7", "SKU-9"]}),
    ("demo-refund-approval", {"order": "ORD-2002", "amount": 49.9}),
]
