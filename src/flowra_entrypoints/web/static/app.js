// The page behaviour of the web client: the live connection and what each event updates,
// the composer (Enter sends), dialogs, toasts, board drag and drop, dark mode, shortcuts.
import { LiveConnection } from "./live.js";

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content;
const chatPane = document.querySelector("main.chat[data-chat-id]");
const currentChat = chatPane?.dataset.chatId;
const workspaceId = document.querySelector("[data-workspace-id]")?.dataset.workspaceId;
const TYPING_EVERY_MS = 2000;
const STATE_TEXT = { connecting: "connecting…", connected: "live", reconnecting: "reconnecting…", offline: "offline" };

// ---------- toasts ----------
export function toast(message, { error = false } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = error ? "toast error" : "toast";
  item.setAttribute("role", error ? "alert" : "status");
  const text = document.createElement("span");
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => item.remove());
  item.append(text, close);
  box.append(item);
  if (!error) window.setTimeout(() => item.remove(), 5000);
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status === 401) return; // HX-Redirect takes the page to sign-in
  toast(xhr.responseText || `Request failed (${xhr.status})`, { error: true });
});
document.body.addEventListener("flowra:toast", (event) => toast(event.detail.value));
document.addEventListener("htmx:sendError", () => toast("The server cannot be reached; try again.", { error: true }));

// ---------- dialogs (native <dialog>: Esc closes; focus stays inside while modal) ----------
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    document.getElementById(opener.dataset.openDialog)?.showModal();
    return;
  }
  const enlarge = event.target.closest("[data-lightbox]");
  if (enlarge) {
    const box = document.getElementById("lightbox");
    const image = box.querySelector("img");
    image.src = enlarge.dataset.lightbox;
    image.alt = enlarge.dataset.name;
    box.setAttribute("aria-label", enlarge.dataset.name);
    box.querySelector("a[download]").href = `${enlarge.dataset.lightbox}?download=1`;
    box.showModal();
    return;
  }
  if (event.target.closest("[data-close-thread]")) {
    const pane = document.getElementById("thread");
    pane.hidden = true;
    pane.replaceChildren();
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog")?.close();
  const copy = event.target.closest("[data-copy-from]");
  if (copy) {
    const field = copy.previousElementSibling;
    navigator.clipboard?.writeText(field.value).then(() => toast(copy.dataset.copied || "Link copied"), () => field.select());
  }
});

// ---------- confirmations: every hx-confirm asks in the page's own <dialog> ----------
// The native confirm() cannot be styled or labelled; this modal dialog traps focus, Esc
// cancels, and its confirm button names the action (`data-confirm-action`).
const confirmDialog = document.getElementById("confirm");
document.addEventListener("htmx:confirm", (event) => {
  if (!event.detail.question || !confirmDialog) return;
  event.preventDefault();
  const { elt, question, issueRequest } = event.detail;
  const opener = document.activeElement;
  confirmDialog.querySelector("#confirm-question").textContent = question;
  confirmDialog.querySelector("#confirm-action").textContent = elt.closest("[data-confirm-action]")?.dataset.confirmAction || "Confirm";
  confirmDialog.returnValue = "";
  confirmDialog.addEventListener("close", () => {
    if (confirmDialog.returnValue === "confirm") issueRequest(true);
    else if (opener?.isConnected) opener.focus();
  }, { once: true });
  confirmDialog.showModal();
});

// A modal dialog makes the page inert, but Tab past its last control would leave for the
// browser's own UI; wrap it round so focus stays in the dialog.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
document.addEventListener("keydown", (event) => {
  if (event.key !== "Tab") return;
  const dialog = [...document.querySelectorAll("dialog[open]")].pop();
  if (!dialog) return;
  const controls = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
  if (controls.length === 0) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const inside = dialog.contains(document.activeElement);
  if (event.shiftKey && (!inside || document.activeElement === first)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
    event.preventDefault();
    first.focus();
  }
});

// ---------- dark mode, remembered ----------
const themeButton = document.getElementById("theme-toggle");
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  themeButton?.setAttribute("aria-pressed", String(theme === "dark"));
}
applyTheme(localStorage.getItem("flowra-theme") || "light");
themeButton?.addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  localStorage.setItem("flowra-theme", next);
  applyTheme(next);
});

// Compact board (titles only) is a per-browser preference, like the theme.
const compactButton = document.getElementById("compact-toggle");
function applyCompact(compact) {
  document.querySelector("[data-board]")?.classList.toggle("compact", compact);
  compactButton?.setAttribute("aria-pressed", String(compact));
}
applyCompact(localStorage.getItem("flowra-board-compact") === "1");
compactButton?.addEventListener("click", () => {
  const next = compactButton.getAttribute("aria-pressed") !== "true";
  localStorage.setItem("flowra-board-compact", next ? "1" : "0");
  applyCompact(next);
});

// ---------- keyboard ----------
document.addEventListener("keydown", (event) => {
  const typingInField = event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "Escape") {
    const pane = document.getElementById("thread");
    if (pane && !pane.hidden && !document.querySelector("dialog[open]")) {
      pane.hidden = true;
      pane.replaceChildren();
    }
  }
  if (event.key === "?" && !typingInField) {
    document.getElementById("shortcuts")?.showModal();
    event.preventDefault();
  }
  if (event.key.toLowerCase() === "k" && (event.ctrlKey || event.metaKey)) {
    const dialog = document.getElementById("search");
    if (dialog) {
      event.preventDefault();
      dialog.showModal();
      dialog.querySelector("input")?.focus();
    }
    return;
  }
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.target.closest("form")?.requestSubmit();
    event.preventDefault();
  }
});

// ---------- search results: arrows move, Enter opens ----------
document.addEventListener("keydown", (event) => {
  if (event.target.id !== "search-q") return;
  const options = [...document.querySelectorAll("#search-hits [role=option]")];
  if (options.length === 0) return;
  let index = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    index = event.key === "ArrowDown" ? Math.min(index + 1, options.length - 1) : Math.max(index - 1, 0);
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
    event.target.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  } else if (event.key === "Enter") {
    event.preventDefault();
    options[Math.max(index, 0)].querySelector("a")?.click();
  }
});

// ---------- chat filter ----------
document.addEventListener("input", (event) => {
  const box = event.target.closest("[data-filter-list]");
  if (!box) return;
  const needle = box.value.trim().toLowerCase();
  document.querySelectorAll(`#${box.dataset.filterList} li[data-filter-text]`).forEach((li) => {
    li.hidden = needle !== "" && !li.dataset.filterText.includes(needle);
  });
});

// ---------- live connection ----------
const live = csrfToken ? new LiveConnection({ csrfToken, onState: showLiveState }) : null;

function showLiveState(state) {
  const badge = document.getElementById("live");
  if (!badge) return;
  badge.dataset.state = state;
  badge.querySelector(".live-text").textContent = STATE_TEXT[state];
}

function subscribedChats() {
  return [...new Set([...document.querySelectorAll("[data-subscribe]")].map((el) => el.dataset.subscribe))];
}

function later(fn, ms = 250) {
  let timer = null;
  return () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(fn, ms);
  };
}

const refreshSidebar = later(() => document.body.dispatchEvent(new CustomEvent("flowra:sidebar")));
const refreshPanel = later(() => document.body.dispatchEvent(new CustomEvent("flowra:panel")));
const refreshBell = later(() => document.body.dispatchEvent(new CustomEvent("flowra:bell")));

// A live refresh swaps the whole bell; an open dropdown stays open (and keeps focus) across it.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const bell = event.detail.target;
  if (bell.id !== "bell" || !bell.open) return;
  event.detail.serverResponse = event.detail.serverResponse.replace("<details ", "<details open ");
  if (bell.contains(document.activeElement)) {
    document.body.addEventListener("htmx:afterSettle", () => document.querySelector("#bell > summary")?.focus(), { once: true });
  }
});
const refreshBoard = later(() => reloadBoard());
const markRead = later(() => {
  if (!currentChat || document.hidden) return;
  fetch(`/workspaces/${workspaceId}/chats/${currentChat}/read`, {
    method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken },
  });
}, 800);

async function fragment(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } });
  if (!response.ok) throw new Error(`${response.status}`);
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  return template.content;
}

// ---------- chat log ----------
const log = document.getElementById("messages");

function nearBottom() {
  return !log || log.scrollHeight - log.scrollTop - log.clientHeight < 120;
}
function toBottom() {
  if (log) log.scrollTop = log.scrollHeight;
}

function dedupeLog(container = log) {
  const seen = new Set();
  container?.querySelectorAll("article[data-message-id]").forEach((article) => {
    if (seen.has(article.id)) article.remove();
    else seen.add(article.id);
  });
}

async function messageArticle(messageId) {
  const content = await fragment(`/workspaces/${workspaceId}/chats/${currentChat}/messages/${messageId}`);
  const article = content.querySelector("article");
  fillPresence(article);
  return article;
}

function replaceEverywhere(article) {
  const copies = document.querySelectorAll(`article[id="${CSS.escape(article.id)}"]`);
  copies.forEach((copy) => {
    const fresh = article.cloneNode(true);
    copy.replaceWith(fresh);
    window.htmx?.process(fresh);
  });
  return copies.length > 0;
}

async function showMessage(messageId) {
  const wasAtBottom = nearBottom();
  const article = await messageArticle(messageId);
  if (!article) return;
  const parentId = article.dataset.parentId;
  if (replaceEverywhere(article)) return;
  if (parentId) {
    // A reply: into the open thread of its message; the message's reply count changes.
    const replies = document.querySelector(`#thread-replies[data-thread-parent="${CSS.escape(parentId)}"]`);
    if (replies) {
      replies.append(article);
      window.htmx?.process(article);
    }
    const parent = await messageArticle(parentId);
    if (parent) replaceEverywhere(parent);
    return;
  }
  log.append(article);
  window.htmx?.process(article);
  if (wasAtBottom) toBottom();
}

async function reloadLog() {
  const content = await fragment(`/workspaces/${workspaceId}/chats/${currentChat}/messages`);
  log.replaceChildren(content);
  window.htmx?.process(log);
  toBottom();
}

async function reloadBoard() {
  const board = document.getElementById("board-columns");
  if (!board) return;
  const content = await fragment(`/workspaces/${workspaceId}/board?fragment=true&${board.dataset.query}`);
  const fresh = content.querySelector("#board-columns");
  if (fresh) {
    board.replaceWith(fresh);
    window.htmx?.process(fresh);
  }
}

// ---------- presence dots ----------
// The page comes with every dot set by the server; a fragment added later (an older page, a
// thread, a live message) takes the state the page already knows for that person.
const presence = new Map();
document.querySelectorAll("[data-presence][data-online]").forEach((dot) => presence.set(dot.dataset.presence, dot.dataset.online));
function fillPresence(root) {
  if (!root?.querySelectorAll) return;
  const dots = [...root.querySelectorAll("[data-presence]"), ...(root.matches("[data-presence]") ? [root] : [])];
  dots.forEach((dot) => {
    if (!dot.dataset.online && presence.has(dot.dataset.presence)) dot.dataset.online = presence.get(dot.dataset.presence);
  });
}
document.addEventListener("htmx:load", (event) => fillPresence(event.detail.elt));

// ---------- typing ----------
const typingLine = document.getElementById("typing");
const typers = new Map();
function nameOf(userId) {
  return document.querySelector(`#member-names [data-user-id="${CSS.escape(userId)}"]`)?.dataset.name || "Someone";
}
function showTypers() {
  if (!typingLine) return;
  const names = [...typers.keys()].map(nameOf);
  typingLine.textContent = names.length === 0 ? "" : `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…`;
}

let lastTyping = 0;
document.addEventListener("input", (event) => {
  if (event.target.id !== "composer-text" || !currentChat || !live) return;
  const now = Date.now();
  if (now - lastTyping > TYPING_EVERY_MS) {
    lastTyping = now;
    live.typing(currentChat);
  }
});

// ---------- composer autocomplete: `@` members and `#` tags, from the server ----------
const suggestions = document.getElementById("suggestions");
const TOKEN_BEFORE_CARET = /(^|\s)([@#][\w.-]*)$/;

function currentToken(box) {
  return TOKEN_BEFORE_CARET.exec(box.value.slice(0, box.selectionStart))?.[2] ?? null;
}
function closeSuggestions() {
  if (!suggestions) return;
  suggestions.hidden = true;
  suggestions.replaceChildren();
  document.getElementById("composer-text")?.removeAttribute("aria-activedescendant");
}
function suggestionOptions() {
  return suggestions ? [...suggestions.querySelectorAll("[role=option]")] : [];
}
function insertSuggestion(option) {
  const box = document.getElementById("composer-text");
  const token = currentToken(box);
  if (token === null) return closeSuggestions();
  const start = box.selectionStart - token.length;
  const text = `${option.dataset.insert} `;
  box.value = box.value.slice(0, start) + text + box.value.slice(box.selectionStart);
  box.selectionStart = box.selectionEnd = start + text.length;
  closeSuggestions();
  box.focus();
}
const suggest = later(async () => {
  const box = document.getElementById("composer-text");
  const token = box && currentToken(box);
  if (!token) return closeSuggestions();
  const content = await fragment(`${box.dataset.suggestUrl}?q=${encodeURIComponent(token)}`);
  if (currentToken(box) !== token) return; // typed on meanwhile
  suggestions.replaceChildren(content);
  suggestions.hidden = suggestionOptions().length === 0;
  const first = suggestionOptions()[0];
  if (first) box.setAttribute("aria-activedescendant", first.id);
}, 150);
document.addEventListener("input", (event) => {
  if (event.target.id === "composer-text" && suggestions) suggest();
});
suggestions?.addEventListener("mousedown", (event) => {
  const option = event.target.closest("[role=option]");
  if (option) {
    event.preventDefault();
    insertSuggestion(option);
  }
});
document.addEventListener("keydown", (event) => {
  if (event.target.id !== "composer-text" || !suggestions || suggestions.hidden) return;
  const options = suggestionOptions();
  let index = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    event.stopImmediatePropagation();
    index = event.key === "ArrowDown" ? Math.min(index + 1, options.length - 1) : Math.max(index - 1, 0);
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
    event.target.setAttribute("aria-activedescendant", options[index].id);
  } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
    event.preventDefault();
    event.stopImmediatePropagation();
    insertSuggestion(options[Math.max(index, 0)]);
  } else if (event.key === "Escape") {
    event.stopImmediatePropagation();
    closeSuggestions();
  }
}, true);

// ---------- composer ----------
document.addEventListener("keydown", (event) => {
  if (event.target.id !== "composer-text") return;
  if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
    event.preventDefault();
    if (event.target.value.trim() !== "") event.target.form.requestSubmit();
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.elt?.id === "reply-form" && event.detail.successful) event.detail.elt.reset();
  if (event.detail.elt?.id === "composer" && event.detail.successful) {
    event.detail.elt.reset();
    document.getElementById("pending-files")?.replaceChildren();
    lastTyping = 0;
  }
});

// ---------- attachments: upload with a progress bar, sent with the next message ----------
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-attach]");
  if (button) document.getElementById(button.dataset.attach)?.click();
});

function upload(file, url) {
  const list = document.getElementById("pending-files");
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Uploading ${file.name}`);
  item.append(name, bar);
  list.append(item);
  const body = new FormData();
  body.append("file", file);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", url);
  xhr.setRequestHeader("X-CSRF-Token", csrfToken);
  xhr.setRequestHeader("HX-Request", "true");
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
  });
  xhr.addEventListener("load", () => {
    if (xhr.status !== 201) {
      item.remove();
      toast(xhr.responseText || `Upload failed (${xhr.status})`, { error: true });
      return;
    }
    const uploaded = JSON.parse(xhr.responseText);
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "attachment_ids";
    hidden.value = uploaded.id;
    bar.replaceWith(hidden);
    item.dataset.uploaded = "true";
  });
  xhr.addEventListener("error", () => {
    item.remove();
    toast("The upload failed; try again.", { error: true });
  });
  xhr.send(body);
}

document.addEventListener("change", (event) => {
  const input = event.target.closest?.("input[type=file][data-upload-url]");
  if (!input) return;
  [...input.files].forEach((file) => upload(file, input.dataset.uploadUrl));
  input.value = "";
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "thread") {
    const pane = event.detail.target;
    pane.hidden = false;
    pane.querySelector("#reply-text")?.focus();
  }
  if (event.detail.target.id === "thread-replies") dedupeLog(event.detail.target);
  if (event.detail.requestConfig?.elt?.classList.contains("older-replies")) {
    // The loader is gone with its page in place: keep the keyboard where the reader was.
    const replies = document.getElementById("thread-replies");
    (replies?.querySelector(".older-replies") || replies)?.focus();
  }
  if (event.detail.target === log) {
    dedupeLog();
    if (event.detail.requestConfig?.elt?.id === "composer") toBottom();
  }
});

// ---------- board: drag and drop, and the keyboard's "Move to" ----------
async function moveCard(chatId, category) {
  const body = new URLSearchParams({ chat_id: chatId, category });
  const response = await fetch(`/workspaces/${workspaceId}/board/move`, {
    method: "POST", credentials: "same-origin", body,
    headers: { "X-CSRF-Token": csrfToken, "HX-Request": "true" },
  });
  if (!response.ok) toast((await response.text()) || "The card cannot move there", { error: true });
  await reloadBoard(); // the card lands where the server says it is
}

document.addEventListener("dragstart", (event) => {
  const card = event.target.closest?.(".card[data-chat-id]");
  if (!card) return;
  event.dataTransfer.setData("text/plain", card.dataset.chatId);
  event.dataTransfer.effectAllowed = "move";
  card.classList.add("dragging");
});
document.addEventListener("dragend", (event) => event.target.closest?.(".card")?.classList.remove("dragging"));
document.addEventListener("dragover", (event) => {
  const column = event.target.closest?.(".column[data-category]");
  if (!column) return;
  event.preventDefault();
  column.classList.add("drop-target");
});
document.addEventListener("dragleave", (event) => event.target.closest?.(".column")?.classList.remove("drop-target"));
document.addEventListener("drop", (event) => {
  const column = event.target.closest?.(".column[data-category]");
  if (!column) return;
  event.preventDefault();
  column.classList.remove("drop-target");
  const chatId = event.dataTransfer.getData("text/plain");
  const card = document.querySelector(`.card[data-chat-id="${CSS.escape(chatId)}"]`);
  if (!card || card.dataset.category === column.dataset.category) return;
  column.querySelector(".cards").append(card); // optimistic; reloadBoard settles it
  moveCard(chatId, column.dataset.category);
});
document.addEventListener("change", (event) => {
  const select = event.target.closest?.(".move-select");
  if (select) moveCard(select.dataset.chatId, select.value);
});

// ---------- events ----------
document.addEventListener("flowra:event", (event) => {
  const frame = event.detail;
  const type = frame.type;
  if (type === "typing") {
    if (frame.chat_id !== currentChat) return;
    window.clearTimeout(typers.get(frame.user_id));
    typers.set(frame.user_id, window.setTimeout(() => { typers.delete(frame.user_id); showTypers(); }, (frame.expires_in || 5) * 1000));
    showTypers();
    return;
  }
  if (type === "presence.changed") {
    presence.set(frame.user_id, String(frame.status === "online"));
    document.querySelectorAll(`[data-presence="${CSS.escape(frame.user_id)}"]`).forEach((dot) => {
      dot.dataset.online = presence.get(frame.user_id);
    });
    return;
  }
  if (type.startsWith("notification.") || type === "chat.read") refreshBell();
  if (type.startsWith("message.")) {
    if (frame.chat_id === currentChat && frame.data?.message_id) {
      if (type === "message.created" && typers.has(frame.actor_id)) {
        window.clearTimeout(typers.get(frame.actor_id));
        typers.delete(frame.actor_id);
        showTypers();
      }
      showMessage(frame.data.message_id).catch(() => reloadLog());
      markRead();
    } else if (type === "message.created") {
      refreshSidebar();
    }
  }
  if (type.startsWith("chat.") && type !== "chat.read") {
    refreshSidebar();
    if (frame.chat_id === currentChat) refreshPanel();
    refreshBoard();
    if (type === "chat.created" || type === "chat.participant_added") {
      if (frame.chat_id && live) live.subscribe(frame.chat_id);
    }
  }
  if (type.startsWith("member.") || type.startsWith("workspace.")) refreshSidebar();
});

document.addEventListener("flowra:resync", (event) => {
  if (event.detail.chat_id === currentChat) reloadLog().catch(() => window.location.reload());
  else refreshSidebar();
});

// ---------- start ----------
if (log) {
  toBottom();
  if (location.hash.startsWith("#m-")) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  markRead();
}
live?.start(subscribedChats());
