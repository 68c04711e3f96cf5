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
