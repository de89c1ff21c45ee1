"""The dashboard over a large corpus: how fast each page is usable, and its screenshots.

    .venv/bin/python -m benchmarks.bench_queries --runs 1000000        # builds the corpus once
    .venv/bin/python -m benchmarks.bench_dashboard --runs 1000000      # SQLite
    .venv/bin/python -m benchmarks.bench_dashboard --runs 1000000 \
        --database postgresql://postgres@127.0.0.1:5432/runyard_bench

Starts ``runyard serve`` on the corpus ``bench_queries`` left, signs in with Debian's
Chromium (headless, through Playwright) and loads each page ``--samples`` times: "HTML" is
the server's answer as the browser measured it (navigation ``responseEnd``), "usable" the
moment the page can be read and used (``domInteractive``: table, filters and links are
there; the count and the chart follow in their own request, "summary", which is timed
apart and awaited before the next load). With ``--shots``
it writes the README's screenshots to ``docs/``.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_queries import API_KEY, RESULTS, percentile
from benchmarks.server import CHROMIUM_ARGS, running_server
from runyard.demo import ERROR_CODES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _navigation(page: Any, url: str) -> tuple[float, float]:
    page.goto(url, wait_until="domcontentloaded")
    timing = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return [n.responseEnd - n.startTime, n.domInteractive - n.startTime]; })()"
    )
    if page.locator("#summary").count():  # as a person would: the count arrives, then on
        page.locator("#summary .count, #summary .error").wait_for(timeout=60_000)
    return float(timing[0]), float(timing[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--shots", action="store_true", help="write docs/*.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if args.database == "sqlite":
        database_url, label = f"sqlite:///{RESULTS / f'bench-{args.runs}.db'}", "SQLite"
    else:
        database_url, label = args.database, "PostgreSQL"
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium: apt-get install chromium")
    with running_server(database_url, API_KEY, RESULTS / "server.log", "--no-worker") as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"})
        failed = api.get(
            "/api/v1/runs", params={"status": "failed", "error_code": ERROR_CODES[0], "limit": 1}
        ).json()
        failed_id = failed["items"][0]["id"]
        pages = {
            "explorer, newest first": "/",
            "explorer, failed in 7 days": "/?status=failed&range=7d",
            "explorer, search": "/?search=acme",
            "run detail": f"/ui/runs/{failed_id}",
            "workflows": "/ui/workflows",
        }
        summaries = {
            "summary, all runs": "/ui/summary",
            "summary, failed in 7 days": "/ui/summary?status=failed&range=7d",
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(url + "/ui/login")
            page.get_by_label("API key").fill(API_KEY)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(url + "/")
            results: dict[str, tuple[list[float], list[float]]] = {}
            for name, path in pages.items():
                _navigation(page, url + path)  # warm-up
                html, usable = [], []
                for _ in range(args.samples):
                    h, u = _navigation(page, url + path)
                    html.append(h)
                    usable.append(u)
                results[name] = (html, usable)
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
            with httpx.Client(base_url=url, cookies=cookies, timeout=60) as http:
                for name, path in summaries.items():
                    http.get(path)
                    spent = []
                    for _ in range(max(3, args.samples // 4)):
                        started = time.perf_counter()
                        http.get(path).raise_for_status()
                        spent.append((time.perf_counter() - started) * 1000)
                    results[name] = (spent, spent)
            if args.shots:
                DOCS.mkdir(exist_ok=True)
                for name, path in (
                    ("explorer", "/"),
                    ("run-failed", pages["run detail"]),
                    ("workflows", "/ui/workflows"),
                ):
                    page.set_viewport_size(
                        {"width": 1280, "height": 1000 if name == "run-failed" else 860}
                    )
                    page.goto(url + path)
                    page.wait_for_timeout(4000)  # the count and the chart arrive
                    page.screenshot(path=str(DOCS / f"dashboard-{name}.png"))
            browser.close()

    width = max(len(n) for n in results)
    print(f"\n{label}, {args.runs:,} runs, {args.samples} loads per page, headless Chromium")
    print(f"{'page':<{width}}  {'HTML p50':>9}  {'p95':>7}  {'usable p50':>10}  {'p95':>7}")
    for name, (html, usable) in results.items():
        print(
            f"{name:<{width}}  {percentile(html, 50):9.0f}  {percentile(html, 95):7.0f}  "
            f"{percentile(usable, 50):10.0f}  {percentile(usable, 95):7.0f}"
        )


if __name__ == "__main__":
    main()
