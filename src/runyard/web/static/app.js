// runyard dashboard: small progressive enhancements; every page works without them.
"use strict";

function loadFragments() {
  for (const holder of document.querySelectorAll("[data-fragment]")) {
    fetch(holder.dataset.fragment, { credentials: "same-origin" })
      .then((answer) => answer.ok ? answer.text() : Promise.reject(answer.status))
      .then((html) => { holder.innerHTML = html; })
      .catch(() => { holder.innerHTML = '<p class="error">The count could not be loaded.</p>'; });
  }
}

function rowFrom(html) {
  const body = document.createElement("tbody");
  body.innerHTML = html.trim();
  return body.firstElementChild;
}

const MAX_INSERTED = 200;

function liveRows() {
  const table = document.querySelector("table[data-live]");
  if (!table || !window.EventSource) return;
  const body = table.tBodies[0];
  const state = document.getElementById("live-state");
  const canInsert = table.dataset.insert === "yes";
  let inserted = 0;
  const source = new EventSource(table.dataset.live);
  source.addEventListener("open", () => { if (state) state.textContent = "Live"; });
  source.addEventListener("error", () => { if (state) state.textContent = "Reconnecting…"; });
  source.addEventListener("row", (event) => {
    const data = JSON.parse(event.data);
    const current = document.getElementById("run-" + data.id);
    if (current) {
      if (current.dataset.sig !== data.sig) {
        const row = rowFrom(data.html);
        row.classList.add("changed");
        current.replaceWith(row);
      }
      return;
    }
    if (!canInsert || data.index === null || inserted >= MAX_INSERTED) return;
    const row = rowFrom(data.html);
    row.classList.add("changed");
    const before = body.rows[data.index] || null;
    body.insertBefore(row, before);
    inserted += 1;
    const empty = document.querySelector(".empty");
    if (empty) empty.remove();
  });
}

function liveRun() {
  const holder = document.querySelector("#run-live[data-live]");
  if (!holder || !window.EventSource) return;
  const source = new EventSource(holder.dataset.live);
  const log = document.getElementById("run-log");
  source.addEventListener("log", (event) => {
    const data = JSON.parse(event.data);
    if (!log || log.dataset.html === data.html) return;
    const shown = log.querySelector("pre");
    const atEnd = !shown || shown.scrollTop + shown.clientHeight >= shown.scrollHeight - 4;
    log.dataset.html = data.html;
    log.innerHTML = data.html;
    const now = log.querySelector("pre");
    if (now && atEnd) now.scrollTop = now.scrollHeight;  // follow the end, unless scrolled up
  });
  source.addEventListener("run", (event) => {
    const data = JSON.parse(event.data);
    if (holder.dataset.html === data.html) return;
    const shown = document.getElementById("run-status");
    const first = holder.dataset.html === undefined;
    holder.dataset.html = data.html;
    if (first && shown && shown.dataset.status === data.status) return;  // as rendered
    holder.innerHTML = data.html;
    const status = document.getElementById("run-status");
    if (status) status.classList.add("changed");
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      const finished = ["completed", "failed", "canceled", "terminated", "timed_out"].includes(data.status);
      const action = form.action.split("/").pop();
      const button = form.querySelector("button");
      if (!button) continue;
      const allowed = {
        cancel: !finished && data.status !== "canceling",
        pause: ["created", "queued", "running", "waiting"].includes(data.status),
        resume: data.status === "paused",
        retry: finished,
      }[action];
      form.hidden = !allowed;
    }
  });
}

function confirmations() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadFragments();
  liveRows();
  liveRun();
  confirmations();
});
