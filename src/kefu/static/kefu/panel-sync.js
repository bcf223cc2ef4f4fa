// The live event stream. EventSource reconnects by itself and sends Last-Event-ID, so the
// server replays what we missed (or says "resync" when it cannot). When the browser gives
// up (the server answered with an error while restarting), we open a new stream ourselves,
// passing the last id we saw as ?last_event_id=.
import { api } from "./panel-api.js";

export class EventStream {
  constructor(url, { onEvent, onStatus }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.lastId = null;
    this.failures = 0;
    this.source = null;
    this.timer = null;
  }

  start() {
    clearTimeout(this.timer);
    const url = this.lastId
      ? `${this.url}?last_event_id=${encodeURIComponent(this.lastId)}` : this.url;
    const source = new EventSource(url);
    this.source = source;
    this.onStatus(this.lastId ? "reconnecting" : "connecting");
    source.onopen = () => {
      this.failures = 0;
      this.onStatus("live");
    };
    source.onmessage = (message) => {
      if (message.lastEventId) this.lastId = message.lastEventId;
      let data;
      try { data = JSON.parse(message.data); } catch (_err) { return; }
      this.onEvent(data);
    };
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) {
        this.onStatus("reconnecting"); // the browser is retrying on its own
        return;
      }
      source.close();
      this.retry();
    };
  }

  async retry() {
    this.failures += 1;
    // Logged out (401) is not worth hammering: say so, and check again slowly.
    const probe = await api("GET", "/api/v1/variables?limit=1");
    const loggedOut = probe.status === 401;
    const seconds = loggedOut ? 60 : Math.min(30, 2 ** Math.min(this.failures, 5));
    this.onStatus(loggedOut ? "loggedOut" : "offline", seconds);
    this.timer = setTimeout(() => this.start(), seconds * 1000);
  }
}
