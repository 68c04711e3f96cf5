// Library page: while a sync is queued or running, poll its status and reload when it ends.
(() => {
  "use strict";
  const panel = document.getElementById("spotify-status");
  if (!panel) return;
  const busy = new Set(["queued", "running", "waiting"]);
  if (!busy.has(panel.dataset.state)) return;
  const stateEl = document.getElementById("sync-state");
  const stepEl = document.getElementById("sync-step");
  async function poll() {
    try {
      const response = await fetch("status.json", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const status = await response.json();
      if (stateEl) { stateEl.textContent = status.sync.label; stateEl.dataset.state = status.sync.state; }
      if (stepEl) stepEl.textContent = status.sync.step ? ` — ${status.sync.step}` : "";
      if (!busy.has(status.sync.state)) { location.reload(); return; }
    } catch (error) {
      if (stepEl) stepEl.textContent = " — status unavailable, retrying…";
    }
    if (Date.now() - startedAt < 10 * 60 * 1000) setTimeout(poll, 1500);
    else if (stepEl) stepEl.textContent = " — still busy; reload later";
  }
  const startedAt = Date.now();
  setTimeout(poll, 1000);
})();

// Library page: while a data import is queued or running, poll its status, show its counts,
// and reload when it ends so the page shows its summary.
(() => {
  "use strict";
  const panel = document.getElementById("import");
  if (!panel || panel.dataset.busy !== "true") return;
  const show = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  const bar = document.getElementById("import-bar");
  const number = (value) => Number(value || 0).toLocaleString();
  async function poll() {
    try {
      const response = await fetch("import/status.json", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const status = await response.json();
      show("import-state", status.label || status.state);
      show("import-step", status.step ? ` — ${status.step}` : "");
      show("import-count-files", `${number(status.files_done)} of ${number(status.files_total)}`);
      show("import-count-rows", number(status.rows));
      show("import-count-matched",
        `${status.matched_percent || 0}% (${number(status.matched)} of ${number(status.track_rows)})`);
      if (bar) { bar.max = Math.max(1, status.files_total || 0); bar.value = status.files_done || 0; }
      if (!status.busy) { location.reload(); return; }
    } catch (error) {
      show("import-step", " — status unavailable, retrying…");
    }
    if (Date.now() - startedAt < 45 * 60 * 1000) setTimeout(poll, 1500);
    else show("import-step", " — still busy; reload later");
  }
  const startedAt = Date.now();
  setTimeout(poll, 1000);
})();
