"""Realistic workflows and runs: the demo data of ``runyard serve --demo`` and the
benchmark corpus (``benchmarks/``), from one deterministic generator.

Runs look like production history: 20 workflows (agents, browser automations, data
jobs) with parameter definitions; inputs with customer ids, URLs and e-mail addresses;
extra HTTP headers on browser runs; statuses in realistic proportions; about 2% of
runs with step errors over a dozen error codes; child runs; credential ids; and
``created_at`` spread over 90 days.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from runyard.core.ids import uuid7
from runyard.core.times import to_micros, to_rfc3339

P = dict[str, Any]


def _param(key: str, description: str, type: str = "string", default: Any = None) -> P:
    return {"key": key, "description": description, "type": type, "default": default}


WORKFLOWS: list[P] = [
    {
        "name": "invoice-agent",
        "type": "agent",
        "title": "Invoice collection agent",
        "parameters": [
            _param("customer_id", "Customer to collect invoices for"),
            _param("portal_url", "Supplier portal login page"),
            _param("notify_email", "Where to send the summary"),
        ],
    },
    {
        "name": "kyc-document-check",
        "type": "workflow",
        "title": "KYC document check",
        "parameters": [
            _param("customer_id", "Customer under review"),
            _param("document_url", "Scanned passport or ID card"),
            _param("strict", "Reject blurry scans", "boolean", True),
        ],
    },
    {
        "name": "insurance-quote-bot",
        "type": "agent",
        "title": "Insurance quote browser bot",
        "parameters": [
            _param("customer_id", "Customer requesting the quote"),
            _param("carrier_url", "Carrier quote form"),
            _param("zip_code", "Postal code of the insured address"),
        ],
    },
    {
        "name": "crm-sync",
        "type": "ingestion",
        "title": "CRM contact sync",
        "parameters": [
            _param("account_email", "CRM account owner"),
            _param("since", "Sync changes after this time"),
        ],
    },
    {
        "name": "support-triage",
        "type": "agent",
        "title": "Support ticket triage",
        "parameters": [
            _param("ticket_id", "Helpdesk ticket"),
            _param("customer_email", "Requester e-mail address"),
        ],
    },
    {
        "name": "shipment-tracker",
        "type": "workflow",
        "title": "Shipment tracking scraper",
        "parameters": [
            _param("tracking_url", "Carrier tracking page"),
            _param("order_id", "Shop order number"),
        ],
    },
    {
        "name": "price-monitor",
        "type": "workflow",
        "title": "Competitor price monitor",
        "parameters": [_param("product_url", "Product page to watch"), _param("sku", "Our SKU")],
    },
    {
        "name": "lead-enrichment",
        "type": "tool",
        "title": "Lead enrichment",
        "parameters": [
            _param("lead_email", "Lead's work e-mail"),
            _param("company_domain", "Company website domain"),
        ],
    },
    {
        "name": "payroll-export",
        "type": "flow",
        "title": "Monthly payroll export",
        "parameters": [
            _param("company_id", "Payroll company"),
            _param("month", "Month to export, YYYY-MM"),
        ],
    },
    {
        "name": "claims-intake",
        "type": "workflow",
        "title": "Insurance claims intake",
        "parameters": [
            _param("claim_id", "Claim reference"),
            _param("customer_id", "Policy holder"),
            _param("photos_url", "Damage photo folder"),
        ],
    },
    {
        "name": "contract-review",
        "type": "agent",
        "title": "Contract review agent",
        "parameters": [
            _param("document_url", "Contract PDF"),
            _param("reviewer_email", "Lawyer to notify"),
        ],
    },
    {
        "name": "bank-reconciliation",
        "type": "flow",
        "title": "Bank statement reconciliation",
        "parameters": [
            _param("account_iban", "Account to reconcile"),
            _param("statement_url", "Statement download link"),
        ],
    },
    {
        "name": "vendor-onboarding",
        "type": "workflow",
        "title": "Vendor onboarding",
        "parameters": [
            _param("vendor_email", "Vendor contact"),
            _param("tax_id", "VAT or tax number"),
        ],
    },
    {
        "name": "web-form-filler",
        "type": "agent",
        "title": "Government form filler",
        "parameters": [_param("form_url", "Form to fill"), _param("customer_id", "Applicant")],
    },
    {
        "name": "email-digest",
        "type": "handler",
        "title": "Daily e-mail digest",
        "parameters": [_param("recipient_email", "Digest recipient")],
    },
    {
        "name": "inventory-sync",
        "type": "ingestion",
        "title": "Warehouse inventory sync",
        "parameters": [
            _param("warehouse_id", "Warehouse code"),
            _param("feed_url", "Inventory feed"),
        ],
    },
    {
        "name": "refund-processor",
        "type": "workflow",
        "title": "Refund processor",
        "parameters": [
            _param("order_id", "Order to refund"),
            _param("customer_email", "Customer to notify"),
            _param("amount", "Refund amount", "number"),
        ],
    },
    {
        "name": "appointment-booker",
        "type": "agent",
        "title": "Appointment booking agent",
        "parameters": [
            _param("booking_url", "Scheduling page"),
            _param("patient_email", "Patient e-mail"),
        ],
    },
    {
        "name": "report-generator",
        "type": "tool",
        "title": "Quarterly report generator",
        "parameters": [
            _param("quarter", "Quarter, e.g. 2026-Q3"),
            _param("owner_email", "Report owner"),
        ],
    },
    {
        "name": "llm-eval",
        "type": "tool",
        "title": "LLM evaluation batch",
        "parameters": [
            _param("dataset_url", "Evaluation dataset"),
            _param("model", "Model under test"),
        ],
    },
]

# (status, weight): most runs finish well; a few are live or ended badly.
STATUSES = [
    ("completed", 780),
    ("failed", 80),
    ("canceled", 30),
    ("timed_out", 10),
    ("terminated", 5),
    ("running", 25),
    ("queued", 25),
    ("waiting", 10),
    ("paused", 5),
    ("created", 10),
    ("canceling", 2),
]
ERROR_CODES = [
    "LOGIN_FAILED",
    "CAPTCHA_BLOCKED",
    "ELEMENT_NOT_FOUND",
    "NAVIGATION_TIMEOUT",
    "RATE_LIMITED",
    "INVALID_CREDENTIALS",
    "PAGE_CRASHED",
    "LLM_REFUSAL",
    "SCHEMA_MISMATCH",
    "UPSTREAM_5XX",
    "DOWNLOAD_FAILED",
    "MFA_REQUIRED",
]
TRIGGERS = [("api", 55), ("scheduled", 25), ("manual", 10), ("webhook", 7), ("event", 3)]
DOMAINS = ["acme.com", "globex.ch", "initech.io", "umbrella.de", "hooli.com", "zürich-re.ch"]
FIRST = ["anna", "ben", "chloé", "david", "eva", "farid", "gita", "hans", "ines", "jürg"]
BROWSER = {
    "invoice-agent",
    "insurance-quote-bot",
    "shipment-tracker",
    "price-monitor",
    "web-form-filler",
    "appointment-booker",
    "bank-reconciliation",
    "claims-intake",
}


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _value(rng: random.Random, key: str) -> Any:
    if key.endswith("email"):
        return f"{rng.choice(FIRST)}.{rng.randrange(1000)}@{rng.choice(DOMAINS)}"
    if key.endswith("url"):
        return f"https://portal.{rng.choice(DOMAINS)}/{key.removesuffix('_url')}/{rng.randrange(10**6)}"
    if key == "customer_id":
        return f"CUST-{rng.randrange(100_000):06d}"
    if key in ("strict",):
        return rng.random() < 0.8
    if key == "amount":
        return round(rng.uniform(5, 900), 2)
    if key.endswith("_id"):
        return f"{key.removesuffix('_id')[:3].upper()}-{rng.randrange(10**6)}"
    return f"{key}-{rng.randrange(10**4)}"


def generate_runs(
    workflow_ids: dict[str, str], count: int, *, now: datetime, days: int = 90, seed: int = 7
) -> Iterator[P]:
    """``count`` import records over the last ``days``, oldest first.

    ``workflow_ids`` maps each name of ``WORKFLOWS`` to its id in the target project.
    """
    rng = random.Random(seed)
    span = timedelta(days=days).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    start = now - timedelta(days=days)
    recent_parents: list[tuple[str, str]] = []
    by_name = {w["name"]: w for w in WORKFLOWS}
    names = [w["name"] for w in WORKFLOWS if w["name"] in workflow_ids]
    weights = [max(1, 30 - i) for i in range(len(names))]
    for offset in offsets:
        created = start + timedelta(seconds=offset)
        name = rng.choices(names, weights=weights)[0]
        status = _pick(rng, STATUSES)
        run = _record(rng, by_name[name], workflow_ids[name], status, created)
        _add_origin(rng, run, browser=name in BROWSER)
        recent_parents = _add_lineage(rng, run, recent_parents)
        _add_times(rng, run, status, created)
        _add_errors(rng, run, status)
        yield run


def _record(rng: random.Random, spec: P, workflow_id: str, status: str, created: datetime) -> P:
    """A run's id, workflow, status, creation, trigger, input, tags and test flag."""
    return {
        "id": uuid7(to_micros(created) // 1000),
        "workflow_id": workflow_id,
        "status": status,
        "created_at": to_rfc3339(created),
        "trigger_type": _pick(rng, TRIGGERS),
        "input": {p["key"]: _value(rng, p["key"]) for p in spec["parameters"]},
        "tags": {
            "env": "prod" if rng.random() < 0.9 else "staging",
            "team": rng.choice(["growth", "ops", "finance", "support"]),
        },
        "is_test": rng.random() < 0.03,
    }


def _add_origin(rng: random.Random, run: P, *, browser: bool) -> None:
    """Who triggered some runs; a browser run's credential and extra HTTP headers."""
    if rng.random() < 0.4:
        run["triggered_by"] = f"{rng.choice(FIRST)}@{rng.choice(DOMAINS)}"
    if browser:
        run["credential_id"] = f"cred_{rng.randrange(200):04d}"
        run["extra_http_headers"] = {
            "X-Tenant": f"tenant-{rng.randrange(50)}",
            "Accept-Language": rng.choice(["de-CH", "en-US", "fr-FR", "de-DE"]),
        }


def _add_lineage(
    rng: random.Random, run: P, recent_parents: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Makes a few runs children of a recent parent, and a few others parents; returns
    the recent parents (the last 50) after this run."""
    if recent_parents and rng.random() < 0.05:
        run["parent_run_id"], run["root_run_id"] = rng.choice(recent_parents)
    elif rng.random() < 0.05:
        recent_parents = [*recent_parents, (run["id"], run["id"])][-50:]
    return recent_parents


def _add_times(rng: random.Random, run: P, status: str, created: datetime) -> None:
    """When a run that left the queue started, when an ended one finished, and what a
    completed one returned."""
    if status in ("created", "queued"):
        return
    started = created + timedelta(seconds=rng.uniform(0.05, 20))
    run["started_at"] = to_rfc3339(started)
    if status in ("completed", "failed", "canceled", "timed_out", "terminated"):
        run["finished_at"] = to_rfc3339(started + timedelta(seconds=rng.expovariate(1 / 90)))
        if status == "completed":
            run["progress"] = 100
            run["result"] = {"ok": True, "items": rng.randrange(50)}
            run["credits_used"] = round(rng.uniform(0.1, 12), 2)


def _add_errors(rng: random.Random, run: P, status: str) -> None:
    """Step errors on a fifth of the failed and timed-out runs (and a rare completed one,
    whose failed step was retried)."""
    errored = status in ("failed", "timed_out") and rng.random() < 0.2
    if not (errored or (status == "completed" and rng.random() < 0.002)):
        return
    code = rng.choice(ERROR_CODES)
    run["steps"] = [
        {"name": "open-page", "status": "completed"},
        {
            "name": "act",
            "status": "failed" if errored else "completed",
            "errors": [{"error_code": code, "message": f"{code.lower()} on attempt 1"}],
        },
    ]
    if errored:
        run["error"] = f"{code}: step 'act' failed"
