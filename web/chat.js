/* TwitchCheck chat widget on Rasa's Socket.IO channel (socket.io-client 4, served locally).
 *
 * Embed: a <div id="twitchcheck"></div>, socket.io.min.js, then this script; data-socket-url on this
 * script tag names the Rasa server (default: this page's host, port 5005).
 * Every piece of text is set with textContent, never innerHTML: nothing either side writes can become HTML.
 * The session id is issued and signed by the server (components/channels/chat_socket.py); the widget never
 * makes one up. It and the transcript live in sessionStorage by default, so a reload keeps the conversation but they
 * end with the tab, and scripts of other pages' tabs never see them. data-storage="local" keeps them across
 * tabs and restarts (localStorage), data-storage="memory" keeps nothing past the page. "Delete my data"
 * clears them and starts a new session. Messages typed while the server is unreachable wait and are sent
 * once the session is confirmed again.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var socketUrl = (script && script.dataset.socketUrl) ||
    window.location.protocol + "//" + window.location.hostname + ":5005";
  var SESSION_KEY = "twitchcheck.session";
  var HISTORY_KEY = "twitchcheck.history";
  var MAX_HISTORY = 300;
  // The levels a card is coloured for; their titles come in the payload (level_title, data/red_flags.yml).
  var LEVELS = ["self_care", "see_doctor", "urgent", "emergency"];

  var storageKind = (script && script.dataset.storage) || "session";
  var memory = {};
  function storage() {
    try {
      if (storageKind === "local") { return window.localStorage; }
      if (storageKind === "session") { return window.sessionStorage; }
    } catch (e) { /* storage refused (private mode, sandboxed frame): keep it in memory */ }
    return null;
  }
  function storageGet(key) {
    var store = storage();
    try { return store ? store.getItem(key) : (memory[key] || null); } catch (e) { return memory[key] || null; }
  }
  function storageSet(key, value) {
    var store = storage();
    memory[key] = value;
    try { if (store) { store.setItem(key, value); } } catch (e) { /* full or refused: memory has it */ }
  }
  function storageClear() {
    memory = {};
    [SESSION_KEY, HISTORY_KEY].forEach(function (key) {
      try { var store = storage(); if (store) { store.removeItem(key); } } catch (e) { /* nothing kept */ }
    });
  }
  // Earlier versions kept both in localStorage, readable by any script of the host site for ever.
  if (storageKind !== "local") {
    try {
      window.localStorage.removeItem(SESSION_KEY);
      window.localStorage.removeItem(HISTORY_KEY);
    } catch (e) { /* no localStorage: nothing to remove */ }
  }

  var sessionId = storageGet(SESSION_KEY);  // null until the server issues one
  var history = [];
  try { history = JSON.parse(storageGet(HISTORY_KEY) || "[]"); } catch (e) { history = []; }
  if (!Array.isArray(history)) { history = []; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // The widget's skeleton.
  var root = document.getElementById("twitchcheck") || document.body.appendChild(el("div"));
  var chat = el("section", "tc-chat");
  chat.setAttribute("aria-label", "TwitchCheck chat");
  var header = el("header", "tc-header");
  header.appendChild(el("h1", null, "TwitchCheck"));
  header.appendChild(el("p", null,
    "Information about muscle twitches, not a diagnosis. If you have trouble breathing, sudden weakness " +
    "or a seizure, call emergency services now (911, 999, 112 or 000)."));
  var status = el("div", "tc-status");
  status.setAttribute("role", "status");
  status.hidden = true;
  var log = el("ol", "tc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0;
  var form = el("form", "tc-form");
  var label = el("label", null, "Your message");
  label.htmlFor = "tc-input";
  var input = el("input");
  input.id = "tc-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = 2000;
  input.placeholder = "Ask about twitching, or say \u201ccheck my symptoms\u201d";
  var send = el("button", null, "Send");
  send.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  chat.appendChild(header);
  chat.appendChild(status);
  chat.appendChild(log);
  chat.appendChild(form);
  root.appendChild(chat);

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function renderButtons(item, into) {
    var group = el("div", "tc-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    item.buttons.forEach(function (button) {
      var b = el("button", null, button.title);
      b.type = "button";
      b.addEventListener("click", function () { sendMessage(button.payload, button.title); });
      group.appendChild(b);
    });
    into.appendChild(group);
  }

  function list(title, entries, into) {
    if (!entries.length) { return; }
    if (title) { into.appendChild(el("h3", null, title)); }
    var ul = el("ul");
    entries.forEach(function (text) { ul.appendChild(el("li", null, text)); });
    into.appendChild(ul);
  }

  // A card kept from before titles were sent has none: the words of the message stand in, never a copy here.
  function levelTitle(card, fallback) {
    return String(card.level_title || fallback || "");
  }

  function renderAssessment(card, into, text) {
    var level = LEVELS.indexOf(card.level) >= 0 ? card.level : "urgent";
    var wording = card.level_wording || {};
    var title = levelTitle(card, wording.headline || text);
    var box = el("section", "tc-card tc-level-" + level);
    box.setAttribute("aria-label", "Assessment: " + title);
    box.appendChild(el("h2", null, title));
    // The headings come in the payload too (card_headings, data/wording.yml); a card kept from before they
    // were sent shows its lists and lines without them.
    var headings = card.card_headings || {};
    function headed(heading, text) { return heading ? heading + ": " + text : text; }
    if (wording.headline) { box.appendChild(el("p", null, wording.headline + " " + (wording.what_to_do || ""))); }
    list(headings.why, (card.red_flags || []).map(function (f) { return f.explanation; }), box);
    list(headings.what_may_feed_it, (card.contributors || []).map(function (c) {
      return c.explanation + " " + c.advice;
    }), box);
    if (wording.if_worse) { box.appendChild(el("p", null, headed(headings.if_worse, wording.if_worse))); }
    var sources = [];
    (card.red_flags || []).concat(card.contributors || []).forEach(function (entry) {
      var title = entry.source_title || entry.source;
      if (title && sources.indexOf(title) < 0) { sources.push(title); }
    });
    if (sources.length) { box.appendChild(el("p", "tc-sources", headed(headings.sources, sources.join("; ")))); }
    if (headings.not_a_diagnosis) { box.appendChild(el("p", "tc-sources", headings.not_a_diagnosis)); }
    into.appendChild(box);
  }

  function renderEmergency(card, into, text) {
    var box = el("section", "tc-card tc-level-emergency");
    box.setAttribute("aria-label", "Emergency");
    var title = levelTitle(card, text);
    if (title) { box.appendChild(el("h2", null, title)); }
    into.appendChild(box);
  }

  function render(item) {
    var li = el("li", "tc-msg " + (item.from === "user" ? "tc-user" : "tc-bot"));
    if (item.pending) { li.classList.add("tc-pending"); }
    if (item.text) {
      var who = el("span", "tc-sr", item.from === "user" ? "You said: " : "TwitchCheck: ");
      var bubble = el("div", "tc-bubble");
      bubble.appendChild(who);
      bubble.appendChild(document.createTextNode(String(item.text)));
      li.appendChild(bubble);
    }
    if (item.buttons && item.buttons.length) { renderButtons(item, li); }
    if (item.card && item.card.type === "assessment") { renderAssessment(item.card, li, item.text); }
    if (item.card && item.card.type === "emergency") { renderEmergency(item.card, li, item.text); }
    log.appendChild(li);
    scrollDown();
    return li;
  }

  function remember(item) {
    history.push(item);
    if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
    storageSet(HISTORY_KEY, JSON.stringify(history));
    return render(item);
  }

  history.forEach(render);

  // The connection: a session is (re)joined on every connect; queued messages go out once it is confirmed.
  // WebSocket first: it needs no CORS headers; long-polling remains the fallback for proxies that block it.
  var socket = window.io(socketUrl, { transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  var confirmed = false;
  var queue = [];

  function showStatus(text) { status.textContent = text; status.hidden = !text; }

  function flush() {
    while (confirmed && queue.length) {
      var next = queue.shift();
      socket.emit("user_uttered", { message: next.payload, session_id: sessionId });
      next.item.pending = false;
      if (next.node) { next.node.classList.remove("tc-pending"); }
    }
    storageSet(HISTORY_KEY, JSON.stringify(history));
  }

  function sendMessage(payload, shown) {
    var text = String(payload || "").trim();
    if (!text) { return; }
    var item = { from: "user", text: shown || text, pending: !confirmed };
    var node = remember(item);
    queue.push({ payload: text, item: item, node: node });
    flush();
  }

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", function (issued) {
    if (typeof issued === "string" && issued) {
      sessionId = issued;
      storageSet(SESSION_KEY, sessionId);
    }
    confirmed = true;
    showStatus("");
    flush();
  });
  socket.on("disconnect", function () {
    confirmed = false;
    showStatus("Can't reach TwitchCheck right now. Trying again\u2026 Anything you type will be sent when it's back.");
  });
  socket.on("connect_error", function () {
    confirmed = false;
    showStatus("Can't reach TwitchCheck right now. Trying again\u2026 Anything you type will be sent when it's back.");
  });
  socket.on("bot_uttered", function (message) {
    if (!message || typeof message !== "object") { return; }
    var item = { from: "bot" };
    if (typeof message.text === "string") { item.text = message.text; }
    var replies = message.quick_replies || message.buttons || [];
    if (Array.isArray(replies) && replies.length) {
      item.buttons = replies.filter(function (b) { return b && typeof b.title === "string"; })
        .map(function (b) { return { title: b.title, payload: String(b.payload || b.title) }; });
    }
    if (message.custom && typeof message.custom === "object") {
      if (message.custom.type === "data_deleted") { forgetEverything(); return; }
      item.card = message.custom;
    }
    if (item.text || item.buttons || item.card) { remember(item); }
  });

  // "Delete my data" is done on the server: this browser's copy goes too, and the next message starts a new
  // session. What is on the screen stays until the page is left, so the person can read the confirmation.
  function forgetEverything() {
    history = [];
    sessionId = null;
    storageClear();
    confirmed = false;
    socket.emit("session_request", {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    sendMessage(text);
    input.focus();
  });
}());
