// Stand-in for Spotify's Web Playback SDK (https://sdk.scdn.co/spotify-player.js), served by the
// offline emulator at /sdk/spotify-player.js. It offers the part of the SDK's browser interface
// PersonalAIs uses (window.Spotify.Player) and talks to the emulator's /sdk/ channel where the
// real SDK talks to Spotify. It plays no audio: the emulator keeps the queue and moves the
// position with the clock, and this script reports that state as the real one would.
(() => {
  "use strict";
  const BASE = new URL(document.currentScript.src).origin;
  const POLL_MS = 1000;
  const EVENTS = new Set([
    "ready", "not_ready", "player_state_changed", "autoplay_failed",
    "initialization_error", "authentication_error", "account_error", "playback_error",
  ]);

  class Player {
    constructor({ name, getOAuthToken, volume = 1 } = {}) {
      if (typeof getOAuthToken !== "function") throw new TypeError("getOAuthToken must be a function");
      this._name = name || "Web Player";
      this._getOAuthToken = getOAuthToken;
      this._volume = volume;
      this._listeners = new Map();
      this._deviceId = null;
      this._timer = null;
      this._lastKey = "";
      this._tokenValue = "";
    }

    addListener(event, callback) {
      if (!EVENTS.has(event) || typeof callback !== "function") return false;
      if (!this._listeners.has(event)) this._listeners.set(event, []);
      this._listeners.get(event).push(callback);
      return true;
    }

    on(event, callback) { return this.addListener(event, callback); }

    removeListener(event, callback) {
      const kept = callback ? (this._listeners.get(event) || []).filter((c) => c !== callback) : [];
      this._listeners.set(event, kept);
      return true;
    }

    async connect() {
      try {
        const answer = await this._send("devices", { name: this._name });
        if (!answer || !answer.device_id) return false;
        this._deviceId = answer.device_id;
        this._emit("ready", { device_id: this._deviceId });
        this._timer = setInterval(() => this._poll(), POLL_MS);
        return true;
      } catch (error) {
        this._emit("initialization_error", { message: `The emulator could not be reached: ${error}` });
        return false;
      }
    }

    disconnect() {
      clearInterval(this._timer);
      this._timer = null;
      const deviceId = this._deviceId;
      if (!deviceId) return;
      this._deviceId = null;
      this._send(`devices/${deviceId}`, { command: "disconnect" }).catch(() => {});
      this._emit("not_ready", { device_id: deviceId });
    }

    async getCurrentState() {
      if (!this._deviceId) return null;
      return this._send(`devices/${this._deviceId}`, { command: "state" }).catch(() => null);
    }

    togglePlay() { return this._command("toggle"); }
    pause() { return this._command("pause"); }
    resume() { return this._command("resume"); }
    nextTrack() { return this._command("next"); }
    previousTrack() { return this._command("previous"); }
    activateElement() { return Promise.resolve(); } // nothing to unlock: there is no audio element
    getVolume() { return Promise.resolve(this._volume); }
    setVolume(volume) { this._volume = volume; return Promise.resolve(); }
    setName(name) { this._name = name; return Promise.resolve(); }

    async _command(command) {
      if (!this._deviceId) return;
      this._changed(await this._send(`devices/${this._deviceId}`, { command }));
    }

    async _poll() {
      if (!this._deviceId) return;
      try {
        this._changed(await this._send(`devices/${this._deviceId}`, { command: "state" }));
      } catch (error) {
        // the emulator is away for a moment: the next poll tries again
      }
    }

    // player_state_changed fires on a change (track, pause, a command), not on every poll.
    _changed(state) {
      const key = state ? `${state.track_window.current_track.uri} ${state.paused} ${state.timestamp}` : "";
      if (key === this._lastKey) return;
      this._lastKey = key;
      this._emit("player_state_changed", state);
    }

    // Like the real SDK, the token is asked for at connect and again only when it stops working.
    _token(fresh) {
      if (!fresh && this._tokenValue) return Promise.resolve(this._tokenValue);
      return new Promise((resolve) => this._getOAuthToken((token) => resolve(token || ""))).then((token) => {
        this._tokenValue = token;
        return token;
      });
    }

    // A POST of form fields: a "simple" cross-origin request, so no preflight is needed.
    async _send(path, fields, retried = false) {
      const body = new URLSearchParams({ ...fields, access_token: await this._token(retried) });
      const response = await fetch(`${BASE}/sdk/${path}`, { method: "POST", body });
      const answer = await response.json().catch(() => null);
      if (response.ok) return answer;
      if (response.status === 401 && !retried) return this._send(path, fields, true);
      const error = (answer && answer.error) || {};
      const message = error.message || `The emulator answered ${response.status}`;
      if (error.reason === "PREMIUM_REQUIRED") this._emit("account_error", { message });
      else if (response.status === 401 || response.status === 403) this._emit("authentication_error", { message });
      else if (response.status === 404 && this._deviceId) this.disconnect();
      return null;
    }

    _emit(event, payload) {
      for (const callback of this._listeners.get(event) || []) {
        try { callback(payload); } catch (error) { console.error(error); }
      }
    }
  }

  window.Spotify = { Player };
  // As the real SDK does once it has loaded.
  if (typeof window.onSpotifyWebPlaybackSDKReady === "function") setTimeout(window.onSpotifyWebPlaybackSDKReady, 0);
})();
