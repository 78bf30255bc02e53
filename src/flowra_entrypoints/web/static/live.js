// The live connection of a page (websocket.md): ticket -> /api/v1/ws, subscribe to the
// chats the page shows, resume each with its last event id after a reconnect, back off
// 1 s doubling to 30 s (+ jitter). Events are re-dispatched on `document` as
// `flowra:event` (domain events, typing, presence) and `flowra:resync` (reload a pane).

const MAX_BACKOFF_MS = 30000;
const SESSION_ENDED = 4401;
const DEACTIVATED = 4403;

export class LiveConnection {
  constructor({ csrfToken, onState }) {
    this.csrfToken = csrfToken;
    this.onState = onState;
    this.chats = new Set();
    this.lastEventIds = new Map();
    this.seen = new Set();
    this.socket = null;
    this.backoff = 1000;
    this.stopped = false;
  }

  start(chatIds) {
    chatIds.forEach((id) => this.chats.add(id));
    this.connect();
  }

  async connect() {
    if (this.stopped) return;
    this.onState(this.socket ? "reconnecting" : "connecting");
    let ticket;
    try {
      const response = await fetch("/ws-ticket", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": this.csrfToken },
      });
      if (response.status === 401) {
        window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
        return;
      }
      if (!response.ok) throw new Error(`ticket ${response.status}`);
      ticket = (await response.json()).ticket;
    } catch (error) {
      this.retry();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/ws?ticket=${encodeURIComponent(ticket)}`);
    this.socket = socket;
    socket.addEventListener("message", (event) => this.receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => this.closed(event));
  }

  receive(frame) {
    if (frame.type === "connected") {
      this.backoff = 1000;
      this.onState("connected");
      this.chats.forEach((id) => this.subscribe(id));
      return;
    }
    if (frame.type === "resync_required") {
      document.dispatchEvent(new CustomEvent("flowra:resync", { detail: frame }));
      return;
    }
    if (frame.event_id) {
      if (this.seen.has(frame.event_id)) return; // delivered at least once: drop repeats
      this.seen.add(frame.event_id);
      if (this.seen.size > 2000) this.seen = new Set([...this.seen].slice(-1000));
      if (frame.chat_id && this.chats.has(frame.chat_id)) {
        this.lastEventIds.set(frame.chat_id, frame.event_id);
      }
    }
    document.dispatchEvent(new CustomEvent("flowra:event", { detail: frame }));
  }

  subscribe(chatId) {
    this.chats.add(chatId);
    const frame = { type: "subscribe", chat_id: chatId };
    const last = this.lastEventIds.get(chatId);
    if (last) frame.last_event_id = last;
    this.send(frame);
  }

  typing(chatId) {
    this.send({ type: "typing", chat_id: chatId });
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  closed(event) {
    if (event.code === SESSION_ENDED) {
      window.location.assign("/login");
      return;
    }
    if (event.code === DEACTIVATED) {
      this.stopped = true;
      this.onState("offline");
      return;
    }
    this.retry();
  }

  retry() {
    if (this.stopped) return;
    this.onState("reconnecting");
    const delay = this.backoff + Math.random() * 1000;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    window.setTimeout(() => this.connect(), delay);
  }
}
