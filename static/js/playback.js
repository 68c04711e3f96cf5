// The page's player through Spotify's Web Playback SDK, for listeners with Premium who granted
// the player scopes: window.PersonalAIsPlayback. chat.js builds the player and falls back to
// Spotify's embed whenever init() says "embed" or play() resolves false. Nothing here rejects,
// and nothing here builds markup (the only element added is the SDK's script).
(() => {
  "use strict";
  const configElement = document.getElementById("page-config");
  const config = configElement ? JSON.parse(configElement.textContent) : {};
  const BASE = config.player_url || "/library/player/";
  const URLS = { status: BASE, token: `${BASE}token/`, play: `${BASE}play/`, noPremium: `${BASE}no-premium/` };
  const START_TIMEOUT_MS = 8000;
  const QUEUE_MAX = 50;
  const REASONS = {
    failed: "Spotify's player couldn't start in this page, so tracks play in Spotify's embed.",
    slow: "Spotify's player took too long to start, so tracks play in Spotify's embed.",
    browser: "This browser can't run Spotify's player (it needs protected-media support), so tracks play in Spotify's embed.",
    auth: "Spotify needs you to reconnect on the Library page before whole songs can play in the page.",
    premium: "Full playback in the page needs Spotify Premium.",
  };

  let mode = "idle"; // idle → starting → sdk | embed
  let started = null; // init()'s promise: the SDK is loaded and connected once per page
  let player = null;
  let deviceId = null;
  const stateListeners = [];

  function csrfToken() {
    const cookie = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    return { ok: response.ok, body: await response.json() };
  }

  function postJson(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(data),
    });
  }

  // The SDK calls this whenever it needs a token (at connect, and again before one expires).
  function oauthToken(callback) {
    getJson(URLS.token)
      .then(({ ok, body }) => callback(ok && body.access_token ? body.access_token : ""))
      .catch(() => callback(""));
  }

  function sdkLoaded(url) {
    if (window.Spotify && window.Spotify.Player) return Promise.resolve();
    return new Promise((resolve, reject) => {
      window.onSpotifyWebPlaybackSDKReady = resolve;
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onerror = () => reject(new Error("Spotify's player script did not load"));
      document.head.append(script);
    });
  }

  function stateOf(sdkState) {
    const track = sdkState && sdkState.track_window && sdkState.track_window.current_track;
    if (!track) return null;
    const images = (track.album && track.album.images) || [];
    return {
      name: track.name || "",
      artists: (track.artists || []).map((artist) => artist.name).filter(Boolean),
      image: images.length ? images[0].url : null,
      paused: Boolean(sdkState.paused),
      position_ms: Number(sdkState.position) || 0,
      duration_ms: Number(sdkState.duration || track.duration_ms) || 0,
    };
  }

  function stateTell(sdkState) {
    const state = stateOf(sdkState);
    if (!state) return;
    for (const callback of stateListeners) {
      try { callback(state); } catch (error) { console.error(error); }
    }
  }

  // Creates and connects the player; `settle` gets the first outcome (later ones are ignored).
  function playerStart(settle) {
    const lost = () => { deviceId = null; };
    player = new window.Spotify.Player({ name: "PersonalAIs", getOAuthToken: oauthToken, volume: 0.8 });
    player.addListener("ready", ({ device_id: id }) => {
      if (mode === "embed") return;
      deviceId = id;
      settle({ mode: "sdk" });
    });
    player.addListener("not_ready", lost);
    player.addListener("initialization_error", () => { lost(); settle({ mode: "embed", reason: REASONS.browser }); });
    player.addListener("authentication_error", () => { lost(); settle({ mode: "embed", reason: REASONS.auth }); });
    player.addListener("account_error", () => {
      lost();
      postJson(URLS.noPremium, {}).catch(() => {});
      settle({ mode: "embed", reason: REASONS.premium });
    });
    player.addListener("player_state_changed", stateTell);
    player.connect().then(
      (connected) => { if (!connected) settle({ mode: "embed", reason: REASONS.failed }); },
      () => settle({ mode: "embed", reason: REASONS.failed }),
    );
  }

  async function start(settle) {
    const { ok, body } = await getJson(URLS.status);
    if (!ok || !body.sdk) {
      settle({ mode: "embed", reason: (body && body.reason) || REASONS.failed });
      return;
    }
    await sdkLoaded(body.sdk_url);
    playerStart(settle);
  }

  function init() {
    if (started) return started;
    mode = "starting";
    started = new Promise((resolve) => {
      let timer = null;
      const settle = (result) => {
        if (mode !== "starting") return;
        clearTimeout(timer);
        mode = result.mode;
        if (mode !== "sdk") {
          deviceId = null;
          if (player) player.disconnect();
        }
        resolve(result);
      };
      timer = setTimeout(() => settle({ mode: "embed", reason: REASONS.slow }), START_TIMEOUT_MS);
      start(settle).catch(() => settle({ mode: "embed", reason: REASONS.failed }));
    });
    return started;
  }

  // At most 50 tracks go to Spotify: from the chosen one on, with earlier ones near the end.
  function queueOf(uris, index) {
    const from = Math.min(Math.max(0, index), Math.max(0, uris.length - QUEUE_MAX));
    return { uris: uris.slice(from, from + QUEUE_MAX), offset: index - from };
  }

  async function play(uris, index) {
    if (mode !== "sdk" || !deviceId || !Array.isArray(uris) || !uris.length) return false;
    const at = Number.isInteger(index) && index >= 0 && index < uris.length ? index : 0;
    // Synchronously, inside the listener's click: browsers let audio start only after a gesture.
    if (player && typeof player.activateElement === "function") Promise.resolve(player.activateElement()).catch(() => {});
    try {
      const queue = queueOf(uris, at);
      const response = await postJson(URLS.play, { device_id: deviceId, uris: queue.uris, offset: queue.offset });
      const body = await response.json();
      if (response.ok && body.ok) return true;
      if (response.status === 403) deviceId = null; // no Premium after all: the embed from now on
      return false;
    } catch (error) {
      return false;
    }
  }

  async function command(name) {
    if (!player || !deviceId) return;
    try { await player[name](); } catch (error) { console.error(error); }
  }

  window.PersonalAIsPlayback = {
    init,
    play,
    toggle: () => command("togglePlay"),
    next: () => command("nextTrack"),
    previous: () => command("previousTrack"),
    onState(callback) {
      if (typeof callback === "function") stateListeners.push(callback);
    },
  };
})();
