// Chat page: one WebSocket, typed JSON events in, {"type": "message"} frames out.
// Everything the server sends is rendered with textContent, never as HTML.
(() => {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const counter = document.getElementById("counter");
  const statusEl = document.getElementById("status");
  const typing = document.getElementById("typing");
  const announcer = document.getElementById("announcer");
  const older = document.getElementById("older");
  const olderButton = document.getElementById("older-button");
  const player = document.getElementById("player");
  const playerBody = document.getElementById("player-body");
  const playerClose = document.getElementById("player-close");
  const MAX_CHARS = Number(input.getAttribute("maxlength")) || 2000;
  // The limit is checked here, not by maxlength: a paste past it must not be cut silently.
  input.removeAttribute("maxlength");
  const CONFIG = JSON.parse(document.getElementById("page-config").textContent);
  // The moods a reading can be corrected to, [{label, name, shown}], from mood.labels via the page;
  // `shown` is the listener's words for it ("anxious / stressed" for fear).
  const MOODS = JSON.parse(document.getElementById("moods").textContent);
  const SHOWN = Object.fromEntries(MOODS.map(({ label, shown }) => [label, shown || label]));
  const VOTES = { like: ["♥", "More like this", "Liked — more like this"], dislike: ["✕", "Not for me", "Noted — not for you"] };

  let socket = null;
  let retry = 0;
  let lastUserBubble = null;
  let streaming = null; // the assistant bubble that tokens are streaming into
  let lastSent = ""; // put back in the box when the server says it could not store it
  let waiting = false; // a message of ours is being answered: the box is busy until `done`
  let loadingOlder = false;
  let hasMore = false;
  let undoable = []; // this turn's playlist changes: their Undo buttons go under the reply that says them
  const votes = new Map(); // track id → "like" | "dislike", as the server last confirmed
  let playback = { mode: "embed" }; // the Web Playback SDK when the listener's account allows it

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(text, cls, label) {
    const node = el("button", cls, text);
    node.type = "button";
    if (label) node.setAttribute("aria-label", label);
    return node;
  }

  // Follow new messages only while the listener is at the bottom; reading back is never interrupted.
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scrollDown(force) { if (force || nearBottom()) log.scrollTop = log.scrollHeight; }

  function announce(text) {
    // Whole messages only: screen readers hear the reply once, not every streamed token.
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function described(track) { return `${track.name} by ${(track.artists || []).join(", ") || "unknown artist"}`; }

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

  function messageItem(role, text, extraClass) {
    const item = el("li", `msg ${role} ${extraClass || ""}`.trim());
    const bubble = el("div", "bubble");
    bubble.append(el("span", "text", text));
    item.append(bubble);
    return item;
  }

  // Follow the conversation only if the listener was at the bottom *before* it grew.
  function appendFollowing(parent, node, force) {
    const stick = force || nearBottom();
    parent.append(node);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function addMessage(role, text, extraClass) {
    const item = messageItem(role, text, extraClass);
    appendFollowing(log, item, role === "user");
    return item;
  }

  function bubbleText(item) { return item.querySelector(".bubble .text"); }

  // --- album art ------------------------------------------------------------------------------------

  function cover(track, size) {
    if (track.image) {
      const img = el("img", "cover");
      img.src = track.image;
      img.alt = "";
      img.width = size;
      img.height = size;
      img.loading = "lazy";
      img.decoding = "async";
      return img;
    }
    // No artwork known yet: a tile coloured from the album name, so cards still line up.
    const tile = el("div", "cover placeholder", (track.album || track.name || "♪").trim().charAt(0).toUpperCase());
    tile.setAttribute("aria-hidden", "true");
    let hue = 0;
    for (const ch of track.album || track.name || "") hue = (hue * 31 + ch.charCodeAt(0)) % 360;
    tile.style.setProperty("--hue", String(hue));
    return tile;
  }

  // --- the player -----------------------------------------------------------------------------------

  function playerOpen() {
    player.classList.remove("idle");
    document.body.classList.add("playing");
  }

  playerClose.addEventListener("click", () => {
    playerBody.replaceChildren(el("p", "muted", "Press ▶ on a track to play it here."));
    player.classList.add("idle");
    document.body.classList.remove("playing");
    input.focus();
  });

  function spotifyLink(track) {
    const link = el("a", "open-spotify", "Open in Spotify ↗");
    link.href = `https://open.spotify.com/track/${encodeURIComponent(track.spotify_id)}`;
    link.target = "_blank";
    link.rel = "noopener";
    link.setAttribute("aria-label", `Open ${described(track)} in Spotify (new tab)`);
    return link;
  }

  function nowPlaying(track) {
    const now = el("div", "now");
    now.append(cover(track, 64));
    const words = el("div", "now-text");
    words.append(el("b", "now-title", track.name), el("span", "now-artists", (track.artists || []).join(", ")));
    now.append(words);
    return now;
  }

  function embedFrame(track) {
    const frame = el("iframe", "embed");
    frame.src = `${CONFIG.embed_origin}/embed/track/${encodeURIComponent(track.spotify_id)}`;
    frame.title = `Spotify player: ${described(track)}`;
    frame.allow = "autoplay; clipboard-write; encrypted-media; fullscreen; picture-in-picture";
    frame.setAttribute("loading", "eager");
    const note = el("p", "muted embed-note hidden", "The Spotify player didn't load. Open the track in Spotify instead.");
    let loaded = false;
    frame.addEventListener("load", () => { loaded = true; });
    window.setTimeout(() => { if (!loaded && frame.isConnected) note.classList.remove("hidden"); }, 10000);
    return [frame, note];
  }

  function clock(ms) {
    const s = Math.max(0, Math.round((ms || 0) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function sdkControls() {
    const bar = el("div", "sdk-controls");
    const previous = button("Previous", "ghost-button", "Previous track");
    const toggle = button("Pause", "ghost-button sdk-toggle");
    const next = button("Next", "ghost-button", "Next track");
    previous.addEventListener("click", () => window.PersonalAIsPlayback.previous());
    toggle.addEventListener("click", () => window.PersonalAIsPlayback.toggle());
    next.addEventListener("click", () => window.PersonalAIsPlayback.next());
    bar.append(previous, toggle, next, el("span", "sdk-state muted"));
    return bar;
  }

  async function play(track, list, index) {
    playerOpen();
    const parts = [nowPlaying(track)];
    if (track.reason) parts.push(el("p", "now-reason", track.reason));
    announce(`Playing ${described(track)}`);
    if (!track.spotify_id) {
      parts.push(el("p", "embed-note", "This track has no Spotify link, so it can't be played here."));
      playerBody.replaceChildren(...parts);
      return;
    }
    let viaSdk = false;
    if (playback.mode === "sdk") {
      const uris = list.filter((t) => t.spotify_id).map((t) => `spotify:track:${t.spotify_id}`);
      const at = list.filter((t) => t.spotify_id).indexOf(track);
      viaSdk = await window.PersonalAIsPlayback.play(uris, Math.max(0, at));
    }
    if (viaSdk) {
      parts.push(sdkControls(), el("p", "muted small", "Playing in this page through your Spotify Premium; the list plays as a queue."));
    } else {
      parts.push(...embedFrame(track));
      if (playback.reason) parts.push(el("p", "muted small", playback.reason));
    }
    parts.push(spotifyLink(track));
    playerBody.replaceChildren(...parts);
  }

  if (window.PersonalAIsPlayback) {
    window.PersonalAIsPlayback.init().then((result) => { playback = result || { mode: "embed" }; });
    window.PersonalAIsPlayback.onState((state) => {
      const controls = playerBody.querySelector(".sdk-controls");
      if (!controls || !state || !state.name) return;
      playerBody.querySelector(".now").replaceWith(nowPlaying({ name: state.name, artists: state.artists, image: state.image }));
      controls.querySelector(".sdk-toggle").textContent = state.paused ? "Play" : "Pause";
      controls.querySelector(".sdk-state").textContent =
        `${state.paused ? "Paused" : "Playing"} · ${clock(state.position_ms)} / ${clock(state.duration_ms)}`;
    });
  }

  // --- cards ----------------------------------------------------------------------------------------

  function voteShow(trackId, kind) {
    log.querySelectorAll(`.track[data-track-id="${trackId}"]`).forEach((card) => {
      if (kind) card.dataset.feedback = kind; else delete card.dataset.feedback;
      card.querySelectorAll(".vote").forEach((b) => { b.setAttribute("aria-pressed", String(b.dataset.kind === kind)); b.disabled = false; });
      const note = card.querySelector(".vote-note");
      if (note) note.textContent = kind ? VOTES[kind][2] : "";
    });
  }

  function savePlaylistForm(messageId) {
    const saveForm = el("form", "save-playlist");
    const name = el("input");
    name.name = "playlist-name";
    name.placeholder = "Playlist name";
    name.maxLength = 100;
    name.setAttribute("aria-label", "Name for a new Spotify playlist of these tracks");
    const submit = el("button", "", "Save to Spotify");
    submit.type = "submit";
    saveForm.append(name, submit);
    saveForm.addEventListener("submit", (submitEvent) => {
      submitEvent.preventDefault();
      const value = name.value.trim();
      if (!value) { name.focus(); return; }
      if (!send({ type: "save_playlist", message_id: messageId, name: value })) {
        addMessage("assistant", "Not connected yet — try again in a moment.", "error");
        return;
      }
      submit.disabled = true;
    });
    return saveForm;
  }

  function trackCard(track, list, index, messageId) {
    const card = el("article", "track");
    card.dataset.spotifyId = track.spotify_id;
    if (track.track_id) card.dataset.trackId = String(track.track_id);
    card.setAttribute("aria-label", described(track));
    card.append(cover(track, 56));
    const body = el("div", "track-body");
    body.append(el("div", "title", track.name));
    body.append(el("div", "artists", (track.artists || []).join(", ")));
    if (track.reason) body.append(el("div", "reason", track.reason));
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
    body.append(meta);
    const actions = el("div", "card-actions");
    const playButton = button("▶ Play", "play", `Play ${described(track)}`);
    playButton.addEventListener("click", () => play(track, list, index));
    actions.append(playButton);
    if (messageId && track.track_id) {
      for (const kind of ["like", "dislike"]) {
        const [symbol, title] = VOTES[kind];
        const vote = button(symbol, "vote", `${title}: ${described(track)}`);
        vote.dataset.kind = kind;
        vote.title = title;
        vote.setAttribute("aria-pressed", "false");
        vote.addEventListener("click", () => {
          if (card.dataset.feedback === kind) return; // already said; the other button changes it
          if (!send({ type: "feedback", message_id: messageId, track_id: track.track_id, kind })) {
            addMessage("assistant", "Not connected — your vote was not sent. Try again in a moment.", "error");
            return;
          }
          actions.querySelectorAll(".vote").forEach((b) => { b.disabled = true; });
        });
        actions.append(vote);
      }
      actions.append(el("span", "vote-note"));
    }
    body.append(actions);
    card.append(body);
    const kind = track.track_id && votes.get(String(track.track_id));
    if (kind) {
      card.dataset.feedback = kind;
      card.querySelectorAll(".vote").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.kind === kind)));
      const note = card.querySelector(".vote-note");
      if (note) note.textContent = VOTES[kind][2];
    }
    return card;
  }

  function trackGrid(tracks, messageId) {
    const grid = el("div", "tracks");
    tracks.forEach((track, index) => grid.append(trackCard(track, tracks, index, messageId)));
    return grid;
  }

  function addTracks(tracks, messageId) {
    const last = log.lastElementChild;
    const holder = last && last.classList.contains("assistant") ? last : addMessage("assistant", "");
    const stick = nearBottom();
    holder.append(trackGrid(tracks, messageId));
    if (messageId && CONFIG.can_save) holder.append(savePlaylistForm(messageId));
    if (stick) log.scrollTop = log.scrollHeight;
  }

  // One playlist change can be undone for a while; the button names the change it undoes.
  function undoButton(action) {
    const undo = button("Undo", "undo", `Undo: ${action.text}`);
    undo.addEventListener("click", () => {
      if (send({ type: "undo", write_id: action.write_id })) {
        undo.disabled = true;
        undo.textContent = "Undoing…";
      }
    });
    return undo;
  }

  // --- history --------------------------------------------------------------------------------------

  function historyItem(message) {
    const item = messageItem(message.role, message.text);
    item.dataset.id = String(message.id);
    if (message.mood && !message.mood.quiet) item.append(moodLine(message.mood, message.id));
    if (message.tracks && message.tracks.length) {
      item.append(trackGrid(message.tracks, message.id));
      if (CONFIG.can_save && message.role === "assistant") item.append(savePlaylistForm(message.id));
    }
    return item;
  }

  function rememberVotes(event) {
    for (const [trackId, kind] of Object.entries(event.votes || {})) votes.set(trackId, kind);
  }

  function olderShow(more) {
    hasMore = more;
    older.classList.toggle("hidden", !more);
  }

  function olderAsk() {
    if (!hasMore || loadingOlder) return;
    const first = log.querySelector(".msg[data-id]");
    if (!first || !send({ type: "older", before_id: Number(first.dataset.id) })) return;
    loadingOlder = true;
    olderButton.disabled = true;
    olderButton.textContent = "Loading…";
  }

  olderButton.addEventListener("click", olderAsk);
  log.addEventListener("scroll", () => { if (log.scrollTop < 120) olderAsk(); }, { passive: true });

  const handlers = {
    history(event) {
      rememberVotes(event);
      log.replaceChildren(...event.messages.map(historyItem));
      olderShow(Boolean(event.has_more));
      // Land on the latest message, as chat apps do; again once covers have laid out.
      scrollDown(true);
      window.requestAnimationFrame(() => scrollDown(true));
    },
    older(event) {
      rememberVotes(event);
      const fromBottom = log.scrollHeight - log.scrollTop;
      log.prepend(...event.messages.map(historyItem));
      log.scrollTop = log.scrollHeight - fromBottom; // keep what the listener was reading in place
      loadingOlder = false;
      olderButton.disabled = false;
      olderButton.textContent = "Show earlier messages";
      olderShow(Boolean(event.has_more));
    },
    typing() { typing.classList.remove("hidden"); scrollDown(); },
    mood: showMood,
    token(event) {
      if (!streaming) streaming = addMessage("assistant", "", "streaming");
      const stick = nearBottom();
      bubbleText(streaming).textContent += event.text;
      if (stick) log.scrollTop = log.scrollHeight;
    },
    message(event) {
      let bubble = streaming;
      if (streaming) {
        bubbleText(streaming).textContent = event.text;
        streaming.classList.remove("streaming");
        streaming = null;
      } else {
        bubble = addMessage("assistant", event.text);
      }
      bubble.dataset.id = String(event.id);
      announce(`PersonalAIs: ${event.text}`);
      undoable.forEach((action) => bubble.append(undoButton(action)));
      undoable = [];
    },
    tracks(event) {
      addTracks(event.tracks, event.message_id);
      announce(`${event.tracks.length} tracks: ${event.tracks.slice(0, 3).map(described).join("; ")}${event.tracks.length > 3 ? "; and more" : ""}`);
    },
    notice(event) {
      const box = el("div", "notice", event.text + " ");
      box.setAttribute("role", "status");
      if (event.url) {
        const link = el("a", "", "Open your Library");
        link.href = event.url;
        box.append(link);
      }
      document.querySelector(".chat-head").append(box);
    },
    action(event) {
      if (event.action === "feedback") {
        votes.set(String(event.track_id), event.kind);
        voteShow(event.track_id, event.kind);
        announce(event.text);
        return;
      }
      if (event.in_reply) { undoable.push(event); return; } // the reply says it once; Undo goes there
      if (event.action === "undone") {
        log.querySelectorAll("button.undo[disabled]").forEach((b) => { b.textContent = "Undone"; });
      }
      const bubble = addMessage("assistant", event.text, "action");
      announce(event.text);
      if (event.write_id) bubble.append(undoButton(event));
    },
    error(event) {
      addMessage("assistant", event.message, "error");
      announce(event.message);
      if (event.code === "not_saved" && !input.value) input.value = lastSent;
      log.querySelectorAll("button.undo[disabled]").forEach((b) => {
        if (b.textContent === "Undoing…") { b.disabled = false; b.textContent = "Undo"; }
      });
      log.querySelectorAll(".save-playlist button[disabled], .vote[disabled]").forEach((b) => { b.disabled = false; });
      if (loadingOlder) { loadingOlder = false; olderButton.disabled = false; olderButton.textContent = "Show earlier messages"; }
    },
    done() {
      streaming = null;
      typing.classList.add("hidden");
      if (waiting) {
        waiting = false;
        input.disabled = false;
        sendButton.disabled = false;
        countChars();
        input.focus();
      }
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
      if (waiting) { waiting = false; input.disabled = false; sendButton.disabled = false; }
      loadingOlder = false;
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

  // --- the composer ---------------------------------------------------------------------------------

  function countChars() {
    const length = input.value.length;
    const over = length > MAX_CHARS;
    counter.classList.toggle("over", over);
    if (over) counter.textContent = `${length.toLocaleString()} / ${MAX_CHARS.toLocaleString()} characters — ${(length - MAX_CHARS).toLocaleString()} too many`;
    else if (length > MAX_CHARS * 0.8) counter.textContent = `${length.toLocaleString()} / ${MAX_CHARS.toLocaleString()} characters`;
    else counter.textContent = "";
    input.setAttribute("aria-invalid", String(over));
    if (!waiting) sendButton.disabled = over;
    // Grow with the text up to a few lines, then scroll inside the box.
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  input.addEventListener("input", countChars);
  input.addEventListener("keydown", (keyEvent) => {
    // Enter sends, Shift+Enter starts a new line, as in the chat apps people use.
    if (keyEvent.key === "Enter" && !keyEvent.shiftKey && !keyEvent.isComposing) {
      keyEvent.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", (submitEvent) => {
    submitEvent.preventDefault();
    const text = input.value.trim();
    if (!text || waiting) return;
    if (text.length > MAX_CHARS) { countChars(); input.focus(); return; }
    if (!send({ type: "message", text })) {
      addMessage("assistant", "Not connected yet — your message was not sent. Try again in a moment.", "error");
      return;
    }
    lastUserBubble = addMessage("user", text);
    lastSent = text;
    input.value = "";
    countChars();
    waiting = true;
    sendButton.disabled = true;
  });

  // "Signed in as …" has been said (role=status); on the chat it would keep taking the listener's room.
  const flash = document.querySelector(".flash-wrap");
  if (flash) window.setTimeout(() => flash.remove(), 8000);

  connect();
  input.focus();
})();
