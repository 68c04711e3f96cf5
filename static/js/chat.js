// Chat page: one WebSocket, typed JSON events in, {"type": "message"} frames out.
// Everything the server sends is rendered with textContent, never as HTML.
(() => {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const statusEl = document.getElementById("status");
  const typing = document.getElementById("typing");
  const player = document.getElementById("player");
  let socket = null;
  let retry = 0;
  let lastUserBubble = null;
  let streaming = null; // the assistant bubble that tokens are streaming into
  let lastSent = ""; // put back in the box when the server says it could not store it
  let undoable = []; // this turn's playlist changes: their Undo buttons go under the reply that says them
  // The moods a reading can be corrected to, [{label, name, shown}], from mood.labels via the page;
  // `shown` is the listener's words for it ("anxious / stressed" for fear).
  const MOODS = JSON.parse(document.getElementById("moods").textContent);
  const SHOWN = Object.fromEntries(MOODS.map(({ label, shown }) => [label, shown || label]));

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  // The mood read from one listener message, with a way to say "that's not how I feel".
  function moodLine(mood, messageId) {
    const line = el("div", "mood");
    line.dataset.label = mood.label;
    if (messageId) line.dataset.messageId = String(messageId);
    line.append("Mood: ");
    line.append(el("b", "", SHOWN[mood.label] || mood.label));
    const sure = mood.corrected ? "set by you" : `${Math.round(mood.confidence * 100)}% sure`;
    line.append(` · valence ${mood.valence.toFixed(1)} · energy ${mood.arousal.toFixed(1)} · ${sure}`);
    if (messageId) {
      const fix = el("select", "mood-fix");
      fix.setAttribute("aria-label", "Correct the mood");
      fix.append(el("option", "", "not right?"));
      fix.firstChild.value = "";
      for (const { label, name, shown } of MOODS) {
        const option = el("option", "", shown || label);
        option.value = label;
        if (name !== label) option.title = name;
        fix.append(option);
      }
      fix.addEventListener("change", () => {
        if (fix.value && send({ type: "correct_mood", message_id: messageId, label: fix.value })) fix.disabled = true;
      });
      line.append(" ", fix);
    }
    return line;
  }

  function showMood(event) {
    if (event.mood.quiet) return; // a command ("add the first one to Gym"): no mood line under it
    const existing = event.message_id && log.querySelector(`.mood[data-message-id="${event.message_id}"]`);
    if (existing) { existing.replaceWith(moodLine(event.mood, event.message_id)); return; }
    if (lastUserBubble) lastUserBubble.append(moodLine(event.mood, event.message_id));
  }

  function addMessage(role, text, extraClass) {
    const item = el("li", `msg ${role} ${extraClass || ""}`.trim());
    item.append(el("div", "bubble", text));
    log.append(item);
    scrollDown();
    return item;
  }

  function play(track) {
    player.replaceChildren();
    const now = el("div", "now");
    now.append(el("b", "", track.name));
    now.append(el("span", "", track.artists.join(", ")));
    const link = el("a", "", "Open in Spotify ↗");
    link.href = `https://open.spotify.com/track/${encodeURIComponent(track.spotify_id)}`;
    link.target = "_blank";
    link.rel = "noopener";
    player.append(now, el("p", "", track.reason || ""), link);
  }

  function savePlaylistForm(messageId) {
    const form = el("form", "save-playlist");
    const name = el("input");
    name.name = "playlist-name";
    name.placeholder = "Playlist name";
    name.maxLength = 100;
    name.setAttribute("aria-label", "Playlist name");
    const button = el("button", "", "Save to Spotify");
    button.type = "submit";
    form.append(name, button);
    form.addEventListener("submit", (submitEvent) => {
      submitEvent.preventDefault();
      const value = name.value.trim();
      if (!value) { name.focus(); return; }
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        addMessage("assistant", "Not connected yet — try again in a moment.", "error");
        return;
      }
      socket.send(JSON.stringify({ type: "save_playlist", message_id: messageId, name: value }));
      button.disabled = true;
    });
    return form;
  }

  function addTracks(tracks, messageId) {
    const grid = el("div", "tracks");
    for (const track of tracks) {
      const card = el("article", "track");
      card.dataset.spotifyId = track.spotify_id;
      card.append(el("div", "title", track.name));
      card.append(el("div", "artists", (track.artists || []).join(", ")));
      if (track.reason) card.append(el("div", "reason", track.reason));
      const meta = el("div", "meta");
      if (track.mood && typeof track.mood_confidence === "number") {
        const mood = el("span", "mood", `${track.mood} · ${Math.min(99, Math.round(track.mood_confidence * 100))}%`);
        mood.title = `How likely this track feels ${track.mood}, learned from moods people gave tracks`;
        meta.append(mood);
      }
      if (track.genre) meta.append(el("span", "", track.genre));
      if (track.duration_ms) {
        const s = Math.round(track.duration_ms / 1000);
        meta.append(el("span", "", `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`));
      }
      card.append(meta);
      const actions = el("div", "card-actions");
      const button = el("button", "", "▶ Play");
      button.type = "button";
      button.addEventListener("click", () => play(track));
      actions.append(button);
      if (messageId && track.track_id) {
        for (const [kind, label, title] of [["like", "♥", "More like this"], ["dislike", "✕", "Not for me"]]) {
          const vote = el("button", "vote", label);
          vote.type = "button";
          vote.title = title;
          vote.setAttribute("aria-label", `${title}: ${track.name}`);
          vote.addEventListener("click", () => {
            if (!socket || socket.readyState !== WebSocket.OPEN) return;
            socket.send(JSON.stringify({ type: "feedback", message_id: messageId, track_id: track.track_id, kind }));
            card.dataset.feedback = kind;
            actions.querySelectorAll(".vote").forEach((b) => { b.disabled = true; });
          });
          actions.append(vote);
        }
      }
      card.append(actions);
      grid.append(card);
    }
    const last = log.lastElementChild;
    const holder = last && last.classList.contains("assistant") ? last : addMessage("assistant", "");
    holder.append(grid);
    if (messageId) holder.append(savePlaylistForm(messageId));
    scrollDown();
  }

  // One playlist change can be undone for a while; the button names the change it undoes.
  function undoButton(action) {
    const button = el("button", "undo", "Undo");
    button.type = "button";
    button.setAttribute("aria-label", `Undo: ${action.text}`);
    button.addEventListener("click", () => {
      if (send({ type: "undo", write_id: action.write_id })) {
        button.disabled = true;
        button.textContent = "Undoing…";
      }
    });
    return button;
  }

  function render(message) {
    const item = addMessage(message.role, message.text);
    if (message.mood && !message.mood.quiet) item.append(moodLine(message.mood, message.id));
    if (message.tracks && message.tracks.length) addTracks(message.tracks, message.id);
  }

  const handlers = {
    history(event) { log.replaceChildren(); event.messages.forEach(render); },
    typing() { typing.classList.remove("hidden"); scrollDown(); },
    mood: showMood,
    token(event) {
      if (!streaming) streaming = addMessage("assistant", "", "streaming");
      streaming.firstChild.textContent += event.text;
      scrollDown();
    },
    message(event) {
      let bubble = streaming;
      if (streaming) {
        streaming.firstChild.textContent = event.text;
        streaming.classList.remove("streaming");
        streaming = null;
      } else {
        bubble = addMessage("assistant", event.text);
      }
      undoable.forEach((action) => bubble.append(undoButton(action)));
      undoable = [];
    },
    tracks(event) { addTracks(event.tracks, event.message_id); },
    notice(event) {
      const box = el("div", "notice", event.text + " ");
      if (event.url) {
        const link = el("a", "", "Open your Library");
        link.href = event.url;
        box.append(link);
      }
      log.before(box);
    },
    action(event) {
      if (event.action === "feedback") { statusEl.textContent = event.text; return; }
      if (event.in_reply) { undoable.push(event); return; } // the reply says it once; Undo goes there
      if (event.action === "undone") {
        log.querySelectorAll("button.undo[disabled]").forEach((b) => { b.textContent = "Undone"; });
      }
      const bubble = addMessage("assistant", event.text, "action");
      if (event.write_id) bubble.append(undoButton(event));
    },
    error(event) {
      addMessage("assistant", event.message, "error");
      if (event.code === "not_saved" && !input.value) input.value = lastSent;
      log.querySelectorAll("button.undo[disabled]").forEach((b) => {
        if (b.textContent === "Undoing…") { b.disabled = false; b.textContent = "Undo"; }
      });
      document.querySelectorAll(".save-playlist button[disabled]").forEach((b) => { b.disabled = false; });
    },
    done() {
      streaming = null;
      typing.classList.add("hidden");
      input.disabled = false;
      input.focus();
    },
  };

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/chat/`);
    statusEl.textContent = "Connecting…";
    socket.addEventListener("open", () => {
      retry = 0;
      statusEl.textContent = "Connected";
      statusEl.classList.remove("offline");
    });
    socket.addEventListener("message", (frame) => {
      let event;
      try { event = JSON.parse(frame.data); } catch { return; }
      const handler = handlers[event.type];
      if (handler) handler(event);
    });
    socket.addEventListener("close", (closeEvent) => {
      // A reply cut off mid-stream is stored server-side: the history on reconnect shows it whole.
      streaming = null;
      typing.classList.add("hidden");
      input.disabled = false;
      if (closeEvent.code === 4401) {
        statusEl.textContent = "Your session ended — please log in again.";
        statusEl.classList.add("offline");
        return;
      }
      statusEl.textContent = "Disconnected — reconnecting…";
      statusEl.classList.add("offline");
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    });
  }

  form.addEventListener("submit", (submitEvent) => {
    submitEvent.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      addMessage("assistant", "Not connected yet — your message was not sent. Try again in a moment.", "error");
      return;
    }
    lastUserBubble = addMessage("user", text);
    socket.send(JSON.stringify({ type: "message", text }));
    lastSent = text;
    input.value = "";
    input.disabled = true;
  });

  connect();
})();
