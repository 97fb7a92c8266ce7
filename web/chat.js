/* TwitchCheck chat widget on Rasa's Socket.IO channel (socket.io-client 4, served beside this script).
 *
 * Two modes from this one script:
 * - the full page (web/index.html): a <div id="twitchcheck"></div> is filled with the chat;
 * - a launcher bubble for any site, one tag:
 *     <script src="https://chat.example.org/chat.js" data-socket-url="https://rasa.example.org" defer></script>
 *   a round button in the corner opens the chat over the page (full screen on a phone) and closes it again.
 * Options, as data-* attributes of the script tag or in window.TwitchCheckConfig set before it (the tag's
 * attributes win): socketUrl (default: this page's host, port 5005), mode ("page" when the page has
 * #twitchcheck, else "launcher"), lang (default: the page's <html lang>), storage (below).
 * The script loads what it needs from its own folder when the page has not: socket.io.min.js, strings.js
 * (every word the widget shows, by language) and chat.css.
 *
 * Every piece of text is set with textContent, never innerHTML: nothing either side writes can become HTML.
 * The session id is issued and signed by the server (components/channels/chat_socket.py); the widget never
 * makes one up. It and the transcript live in sessionStorage by default, so a reload keeps the conversation but they
 * end with the tab, and scripts of other pages' tabs never see them. data-storage="local" keeps them across
 * tabs and restarts (localStorage), data-storage="memory" keeps nothing past the page. A reminder set on the
 * web moves them to localStorage until no reminder is left, so that the visit it waits for finds it; only
 * then, and only if the person presses the widget's button, does it ask for browser notifications. "Delete
 * my data" clears them and starts a new session. Messages typed while the server is unreachable wait and are sent
 * once the session is confirmed again. The launcher remembers whether it was open in localStorage (a flag,
 * nothing of the conversation), except with data-storage="memory".
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var attributes = (script && script.dataset) || {};
  var config = (window.TwitchCheckConfig && typeof window.TwitchCheckConfig === "object") ?
    window.TwitchCheckConfig : {};
  function option(name) {
    return attributes[name] !== undefined ? attributes[name] : config[name];
  }
  var folder = (script && script.src) ? new URL(".", script.src).href : "";

  // What the page did not load already comes from this script's own folder, then the widget starts.
  var missing = [];
  if (!window.io) { missing.push("vendor/socket.io.min.js"); }
  if (!window.TwitchCheckStrings || !window.TwitchCheckStrings.en) { missing.push("strings.js"); }
  if (!document.querySelector("link[href$='chat.css']")) {
    var sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = folder + "chat.css";
    document.head.appendChild(sheet);
  }
  var waiting = missing.length;
  function loaded() {
    waiting -= 1;
    if (waiting <= 0) { whenReady(start); }
  }
  if (!waiting) { whenReady(start); }
  missing.forEach(function (path) {
    var tag = document.createElement("script");
    tag.src = folder + path;
    tag.onload = loaded;
    tag.onerror = loaded;  // without socket.io the widget still opens and says it cannot reach the server
    document.head.appendChild(tag);
  });

  function whenReady(then) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", then);
    } else {
      then();
    }
  }

  function start() {
    var socketUrl = option("socketUrl") ||
      window.location.protocol + "//" + window.location.hostname + ":5005";
    var SESSION_KEY = "twitchcheck.session";
    var HISTORY_KEY = "twitchcheck.history";
    var OPEN_KEY = "twitchcheck.open";
    // Set while the person has a reminder waiting on the web: the conversation is kept across tabs and
    // restarts (localStorage) so that the reminder can be shown when they come back; "stop reminders" and
    // "delete my data" end it.
    var KEEP_KEY = "twitchcheck.keep";
    var MAX_HISTORY = 300;
    // The levels a card is coloured for; their titles come in the payload (level_title, data/red_flags.yml).
    var LEVELS = ["self_care", "see_doctor", "urgent", "emergency"];
    // The greeting's two ways in: the same intents as the assistant's own greeting buttons (domain.yml).
    var WAYS_IN = [
      { label: "way_in_question", payload: "/ask_question" },
      { label: "way_in_check", payload: "/check_symptoms" }
    ];
    // Replies after the first are shown one after another, this far apart, while the indicator stays up;
    // with reduced motion each is shown as it arrives and the indicator only lingers to avoid flicker.
    var PAUSE_MS = 700;
    var LINGER_MS = 300;
    var TYPING_GIVES_UP_MS = 30000;
    var NEAR_BOTTOM_PX = 48;

    // The words, in the page's language or English (web/strings.js).
    var allStrings = window.TwitchCheckStrings || {};
    var lang = String(option("lang") || document.documentElement.lang || "en");
    var english = allStrings.en || {};
    var words = allStrings[lang] || allStrings[lang.split("-")[0]] || english;
    if (!allStrings[lang] && !allStrings[lang.split("-")[0]]) { lang = "en"; }
    var plurals = null;
    try { plurals = new Intl.PluralRules(lang); } catch (e) { plurals = null; }
    function t(key, values) {
      var phrase = words[key] !== undefined ? words[key] : english[key];
      if (phrase && typeof phrase === "object") {
        var form = plurals && values && values.count !== undefined ? plurals.select(values.count) : "other";
        phrase = phrase[form] !== undefined ? phrase[form] : phrase.other;
      }
      if (phrase === undefined || phrase === null) { return key; }
      return String(phrase).replace(/\{(\w+)\}/g, function (whole, name) {
        return values && values[name] !== undefined ? String(values[name]) : whole;
      });
    }
    var clock = null;
    var dayAndClock = null;
    try {
      clock = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
      dayAndClock = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", hour: "numeric",
        minute: "2-digit" });
    } catch (e) {
      clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
      dayAndClock = clock;
    }

    var mode = option("mode") || (document.getElementById("twitchcheck") ? "page" : "launcher");
    if (mode !== "launcher") { mode = "page"; }
    var motion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
    var phone = window.matchMedia ? window.matchMedia("(max-width: 30rem)") : null;  // as in chat.css
    function reducedMotion() { return Boolean(motion && motion.matches); }

    var storageKind = option("storage") || "session";
    var chosenStorage = storageKind;
    function keptForReminder() {
      try { return window.localStorage.getItem(KEEP_KEY) === "1"; } catch (e) { return false; }
    }
    if (storageKind === "session" && keptForReminder()) { storageKind = "local"; }
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
    // A reminder was set: what the tab holds moves to localStorage, so that a visit days later finds it.
    // In memory-only mode nothing can wait for the person; the reminder is shown if they are here.
    function keepForReminder() {
      if (storageKind !== "session") { return; }
      try {
        [SESSION_KEY, HISTORY_KEY].forEach(function (key) {
          var value = window.sessionStorage.getItem(key);
          if (value !== null) { window.localStorage.setItem(key, value); }
          window.sessionStorage.removeItem(key);
        });
        window.localStorage.setItem(KEEP_KEY, "1");
        storageKind = "local";
      } catch (e) { /* storage refused: the tab keeps it as before */ }
    }
    // No reminder left: back to keeping the conversation only in this tab, as the site chose.
    function stopKeeping() {
      if (!keptForReminder()) { return; }
      try {
        window.localStorage.removeItem(KEEP_KEY);
        if (chosenStorage === "session") {
          [SESSION_KEY, HISTORY_KEY].forEach(function (key) {
            var value = window.localStorage.getItem(key);
            if (value !== null) { window.sessionStorage.setItem(key, value); }
            window.localStorage.removeItem(key);
          });
          storageKind = "session";
        }
      } catch (e) { /* storage refused: nothing was kept */ }
    }
    // Earlier versions kept both in localStorage, readable by any script of the host site for ever.
    if (storageKind !== "local") {
      try {
        window.localStorage.removeItem(SESSION_KEY);
        window.localStorage.removeItem(HISTORY_KEY);
      } catch (e) { /* no localStorage: nothing to remove */ }
    }
    function rememberedOpen() {
      if (storageKind === "memory") { return false; }
      try { return window.localStorage.getItem(OPEN_KEY) === "1"; } catch (e) { return false; }
    }
    function rememberOpen(open) {
      if (storageKind === "memory") { return; }
      try { window.localStorage.setItem(OPEN_KEY, open ? "1" : "0"); } catch (e) { /* not kept: fine */ }
    }

    var sessionId = storageGet(SESSION_KEY);  // null until the server issues one
    var history = [];
    try { history = JSON.parse(storageGet(HISTORY_KEY) || "[]"); } catch (e) { history = []; }
    if (!Array.isArray(history)) { history = []; }
    function saveHistory() {
      if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
      storageSet(HISTORY_KEY, JSON.stringify(history));
    }

    function el(tag, className, text) {
      var node = document.createElement(tag);
      if (className) { node.className = className; }
      if (text !== undefined && text !== null) { node.textContent = String(text); }
      return node;
    }
    // Icons are drawn, never written: a path in a 24x24 box, hidden from screen readers.
    function icon(path) {
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
      var shape = document.createElementNS(ns, "path");
      shape.setAttribute("d", path);
      svg.appendChild(shape);
      return svg;
    }
    var CHAT_ICON = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z";
    var CLOSE_ICON = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
    var DOWN_ICON = "M12 16.5 5 9.5 6.4 8.1 12 13.7l5.6-5.6L19 9.5z";

    // The widget's skeleton: header, status banner, the log, the typing indicator, the message box.
    var root;
    if (mode === "page") {
      root = document.getElementById("twitchcheck") || document.body.appendChild(el("div"));
      document.title = t("page_title");
    } else {
      root = document.body.appendChild(el("div"));
    }
    root.classList.add("tc-root", "tc-mode-" + mode);
    root.lang = lang;
    var chat = el("section", "tc-chat");
    chat.id = "twitchcheck-chat";
    chat.setAttribute("aria-label", t("chat_label"));
    var header = el("header", "tc-header");
    var heading = el(mode === "page" ? "h1" : "h2", null, t("name"));
    var headline = el("div", "tc-headline");
    headline.appendChild(heading);
    header.appendChild(headline);
    header.appendChild(el("p", null, t("notice")));
    var status = el("div", "tc-status");
    status.setAttribute("role", "status");
    status.hidden = true;
    var logArea = el("div", "tc-log-area");
    // The log is a live region wrapping a list: role="log" on the <ol> itself would unmake it a list.
    var log = el("div", "tc-log");
    var messages = el("ol", "tc-messages");
    log.appendChild(messages);
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", t("log_label"));
    log.tabIndex = 0;
    var jump = el("button", "tc-jump");
    jump.type = "button";
    jump.hidden = true;
    jump.appendChild(el("span", null, t("jump_to_new")));
    jump.appendChild(icon(DOWN_ICON));
    logArea.appendChild(log);
    logArea.appendChild(jump);
    // Its own polite status, outside the log: saying that a reply is coming never re-reads the conversation.
    var typing = el("div", "tc-typing");
    typing.setAttribute("role", "status");
    typing.setAttribute("aria-live", "polite");
    var typingDots = el("span", "tc-dots");
    typingDots.setAttribute("aria-hidden", "true");
    [0, 1, 2].forEach(function () { typingDots.appendChild(el("span")); });
    var typingText = el("span", "tc-typing-text");
    typing.appendChild(typingDots);
    typing.appendChild(typingText);
    var form = el("form", "tc-form");
    var label = el("label", null, t("input_label"));
    label.htmlFor = "tc-input";
    var input = el("input");
    input.id = "tc-input";
    input.type = "text";
    input.autocomplete = "off";
    input.maxLength = 2000;
    input.placeholder = t("input_placeholder");
    var send = el("button", null, t("send"));
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);
    chat.appendChild(header);
    chat.appendChild(status);
    chat.appendChild(logArea);
    chat.appendChild(typing);
    chat.appendChild(form);

    // The launcher: a button that opens the chat as a dialog (beside the site, or modal over all of it on a
    // phone); Escape or its close button closes it and puts the focus back on the launcher. What arrives
    // while it is closed is counted on a badge and said once by a status of its own.
    var launcher = null;
    var badge = null;
    var unreadNews = null;
    var unread = 0;
    var isOpen = mode === "page";
    if (mode === "launcher") {
      launcher = el("button", "tc-launcher");
      launcher.type = "button";
      launcher.setAttribute("aria-controls", chat.id);
      launcher.setAttribute("aria-expanded", "false");
      launcher.appendChild(icon(CHAT_ICON));
      badge = el("span", "tc-badge");
      badge.setAttribute("aria-hidden", "true");
      badge.hidden = true;
      launcher.appendChild(badge);
      unreadNews = el("div", "tc-sr");
      unreadNews.setAttribute("role", "status");
      var close = el("button", "tc-close");
      close.type = "button";
      close.setAttribute("aria-label", t("close_chat"));
      close.appendChild(icon(CLOSE_ICON));
      headline.appendChild(close);
      chat.setAttribute("role", "dialog");
      chat.hidden = true;
      root.appendChild(chat);
      root.appendChild(launcher);
      root.appendChild(unreadNews);
      launcher.addEventListener("click", function () { setOpen(!isOpen, true); });
      close.addEventListener("click", function () { setOpen(false, true); });
      root.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && isOpen) {
          event.preventDefault();
          setOpen(false, true);
        } else if (event.key === "Tab" && isOpen && fullScreen()) {
          keepFocusInside(event);
        }
      });
      if (phone && phone.addEventListener) { phone.addEventListener("change", showModality); }
      showUnread();
    } else {
      root.appendChild(chat);
    }

    function showUnread() {
      if (!launcher) { return; }
      var count = unread ? t("unread", { count: unread }) : "";
      badge.textContent = unread > 99 ? "99+" : String(unread);
      badge.hidden = !unread;
      // The name stays the same open or closed (aria-expanded says which); it only adds what is unread.
      launcher.setAttribute("aria-label", unread ? t("launcher_with_unread", { unread: count }) : t("launcher"));
      unreadNews.textContent = count;
    }

    // On a phone the open chat covers the whole site, so it behaves as a modal dialog: Tab goes round inside.
    function fullScreen() { return Boolean(phone && phone.matches); }
    function showModality() { chat.setAttribute("aria-modal", fullScreen() ? "true" : "false"); }
    function keepFocusInside(event) {
      var inside = Array.prototype.filter.call(chat.querySelectorAll("button, input, [tabindex='0']"),
        function (node) { return !node.disabled && node.getClientRects().length > 0; });
      if (!inside.length) { return; }
      var first = inside[0];
      var last = inside[inside.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }

    function setOpen(open, byPerson) {
      if (!launcher) { return; }
      isOpen = open;
      chat.hidden = !open;
      showModality();
      root.classList.toggle("tc-open", open);
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
      rememberOpen(open);
      if (open) {
        unread = 0;
        greetOnce();
        scrollDown();
        if (byPerson) { input.focus(); }
      } else if (byPerson) {
        launcher.focus();
      }
      showUnread();
    }

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
      jump.hidden = true;
    }
    function nearBottom() {
      return log.scrollHeight - log.scrollTop - log.clientHeight <= NEAR_BOTTOM_PX;
    }
    log.addEventListener("scroll", function () { if (nearBottom()) { jump.hidden = true; } });
    jump.addEventListener("click", function () {
      log.scrollTo({ top: log.scrollHeight, behavior: reducedMotion() ? "auto" : "smooth" });
      jump.hidden = true;
      log.focus({ preventScroll: true });  // the button goes away; the keyboard stays in the conversation
    });

    function renderButtons(buttons, into) {
      var group = el("div", "tc-replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("replies_label"));
      buttons.forEach(function (button) {
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
      box.setAttribute("aria-label", t("card_label", { title: title }));
      box.appendChild(el("h2", null, title));
      // The headings come in the payload too (card_headings, data/wording.yml); a card kept from before they
      // were sent shows its lists and lines without them.
      var headings = card.card_headings || {};
      function headed(heading, text) { return heading ? t("headed", { heading: heading, text: text }) : text; }
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
      if (sources.length) { box.appendChild(el("p", "tc-sources", headed(headings.sources, sources.join(t("list_separator"))))); }
      if (headings.not_a_diagnosis) { box.appendChild(el("p", "tc-sources", headings.not_a_diagnosis)); }
      // The card prints on its own (chat.css hides the rest of the page while it prints).
      var print = el("button", "tc-print", t("print_result"));
      print.type = "button";
      print.addEventListener("click", function () {
        box.classList.add("tc-printing");
        document.documentElement.classList.add("tc-print-one");
        try { window.print(); } finally {
          document.documentElement.classList.remove("tc-print-one");
          box.classList.remove("tc-printing");
        }
      });
      box.appendChild(print);
      into.appendChild(box);
    }

    // A private link to the doctor's summary in a message (/webhooks/summary/<token>) becomes two buttons:
    // the page to print, and its PDF.
    var SUMMARY_LINK = /(https?:\/\/[^\s]+\/webhooks\/summary\/[A-Za-z0-9_-]+)/;
    function renderSummaryLinks(text, into) {
      var found = SUMMARY_LINK.exec(String(text || ""));
      if (!found) { return; }
      var links = el("p", "tc-summary-links");
      [[t("summary_open"), found[1]], [t("summary_pdf"), found[1] + "?format=pdf"]].forEach(function (pair) {
        var link = el("a", "tc-summary-link", pair[0]);
        link.href = pair[1];
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        links.appendChild(link);
      });
      into.appendChild(links);
    }

    // Browser notifications for reminders, only if the person asks for them here (a button, never unasked).
    function notificationsPossible() { return "Notification" in window && window.isSecureContext !== false; }
    function renderNotificationOffer(into) {
      if (!notificationsPossible() || Notification.permission !== "default") { return; }
      var note = el("p", "tc-note");
      var ask = el("button", "tc-notify", t("notify_offer"));
      ask.type = "button";
      ask.addEventListener("click", function () {
        ask.disabled = true;
        Promise.resolve(Notification.requestPermission()).then(function (answer) {
          ask.hidden = true;
          note.textContent = answer === "granted" ? t("notify_on") : t("notify_off");
        });
      });
      into.appendChild(ask);
      into.appendChild(note);
    }
    function notifyReminder(item) {
      if (!notificationsPossible() || Notification.permission !== "granted") { return; }
      if (!document.hidden && isOpen) { return; }  // the person is looking at it already
      try {
        var shown = new Notification(t("notification_title"), { body: String(item.text || ""),
          tag: "twitchcheck-reminder" });
        shown.onclick = function () { window.focus(); setOpen(true, true); shown.close(); };
      } catch (e) { /* notifications refused by the browser: the message is in the chat */ }
    }

    function renderEmergency(card, into, text) {
      var box = el("section", "tc-card tc-level-emergency");
      box.setAttribute("aria-label", t("emergency_label"));
      var title = levelTitle(card, text);
      if (title) { box.appendChild(el("h2", null, title)); }
      into.appendChild(box);
    }

    function timestamp(time) {
      var when = new Date(time);
      var today = new Date();
      var node = el("time", "tc-time", (when.toDateString() === today.toDateString() ? clock : dayAndClock)
        .format(when));
      node.dateTime = when.toISOString();
      return node;
    }

    function render(item) {
      var li = el("li", "tc-msg " + (item.from === "user" ? "tc-user" : "tc-bot"));
      if (item.greeting) { li.classList.add("tc-greeting"); }
      var text = item.greeting ? t("greeting") : item.text;
      var buttons = item.greeting ?
        WAYS_IN.map(function (way) { return { title: t(way.label), payload: way.payload }; }) : item.buttons;
      if (item.pending) { li.classList.add("tc-pending"); }
      if (text) {
        var who = el("span", "tc-sr", item.from === "user" ? t("you_said") : t("assistant_said"));
        var bubble = el("div", "tc-bubble");
        bubble.appendChild(who);
        bubble.appendChild(document.createTextNode(String(text)));
        li.appendChild(bubble);
      }
      if (item.from === "bot" && !item.greeting) { renderSummaryLinks(text, li); }
      if (buttons && buttons.length) { renderButtons(buttons, li); }
      if (item.card && item.card.type === "assessment") { renderAssessment(item.card, li, text); }
      if (item.card && item.card.type === "emergency") { renderEmergency(item.card, li, text); }
      if (item.card && item.card.type === "reminder_set") { renderNotificationOffer(li); }
      if (item.pending) { li.appendChild(el("span", "tc-pending-note", t("waiting_to_send"))); }
      if (typeof item.time === "number") { li.appendChild(timestamp(item.time)); }
      messages.appendChild(li);
      return li;
    }

    function remember(item) {
      history.push(item);
      saveHistory();
    }

    // The greeting is the widget's own first message, kept in the transcript like any other, so that a
    // reload shows the conversation as it was; nothing goes to the server until the person answers it.
    function greetOnce() {
      if (history.length) { return; }
      var item = { from: "bot", greeting: true, time: Date.now() };
      remember(item);
      render(item);
      scrollDown();
    }

    var queue = [];  // the person's messages waiting for a confirmed session
    history.forEach(function (item) {
      var node = render(item);
      // A message still waiting when the page was left goes out once the session is confirmed.
      if (item.from === "user" && item.pending) {
        queue.push({ payload: item.payload || item.text, item: item, node: node });
      }
    });
    scrollDown();
    if (mode === "page") {
      greetOnce();
    } else if (rememberedOpen()) {
      setOpen(true, false);
    }

    // The typing indicator: up from the moment a message goes out until the replies have all been shown.
    var typingTimer = null;
    function setTyping(on) {
      clearTimeout(typingTimer);
      typing.classList.toggle("tc-typing-on", on);
      typingText.textContent = on ? t("typing") : "";
      if (on) { typingTimer = setTimeout(function () { setTyping(false); }, TYPING_GIVES_UP_MS); }
    }

    // Replies are shown one after another, a short pause apart; each is in the transcript as soon as it comes.
    var incoming = [];
    var pacing = false;
    var paceTimer = null;
    function receive(item) {
      remember(item);
      if (item.card && item.card.type === "emergency") {
        // An emergency is never held back by the pacing: what came before it, then it, at once.
        showAllNow();
      }
      incoming.push(item);
      if (!pacing) { showNext(); }
    }
    function showOne(item) {
      var follow = nearBottom();
      render(item);
      if (item.card && item.card.type === "reminder") { notifyReminder(item); }
      if (follow) { scrollDown(); } else { jump.hidden = false; }
      if (!isOpen) {
        unread += 1;
        showUnread();
      }
    }
    function showNext() {
      var item = incoming.shift();
      if (!item) { pacing = false; return; }
      showOne(item);
      setTyping(true);
      pacing = !reducedMotion();
      clearTimeout(paceTimer);
      paceTimer = setTimeout(function () {
        if (incoming.length) {
          showNext();
          return;
        }
        pacing = false;
        setTyping(false);
      }, reducedMotion() ? LINGER_MS : PAUSE_MS);
    }
    // When the person writes again, the rest of the last reply is shown at once, before their message.
    function showAllNow() {
      clearTimeout(paceTimer);
      while (incoming.length) { showOne(incoming.shift()); }
      pacing = false;
    }

    // The connection: a session is (re)joined on every connect; queued messages go out once it is confirmed.
    // WebSocket first: it needs no CORS headers; long-polling remains the fallback for proxies that block it.
    var socket = typeof window.io === "function" ?
      window.io(socketUrl, { transports: ["websocket", "polling"], reconnectionDelayMax: 5000 }) : null;
    var confirmed = false;

    function showStatus(text) { status.textContent = text; status.hidden = !text; }

    function flush() {
      var sent = false;
      while (socket && confirmed && queue.length) {
        var next = queue.shift();
        socket.emit("user_uttered", { message: next.payload, session_id: sessionId });
        next.item.pending = false;
        delete next.item.payload;
        if (next.node) {
          next.node.classList.remove("tc-pending");
          var note = next.node.querySelector(".tc-pending-note");
          if (note) { note.remove(); }
        }
        sent = true;
      }
      saveHistory();
      if (sent) { setTyping(true); }
    }

    function sendMessage(payload, shown) {
      var text = String(payload || "").trim();
      if (!text) { return; }
      showAllNow();
      setTyping(false);  // back on below once the message has gone out
      var item = { from: "user", text: shown || text, pending: !confirmed, time: Date.now() };
      if (item.pending) { item.payload = text; }  // to send after a reload, if it comes to that
      remember(item);
      var node = render(item);
      scrollDown();
      queue.push({ payload: text, item: item, node: node });
      flush();
    }

    if (!socket) { showStatus(t("offline")); }
    if (socket) {
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
        setTyping(false);
        showStatus(t("offline"));
      });
      socket.on("connect_error", function () {
        confirmed = false;
        setTyping(false);
        showStatus(t("offline"));
      });
      socket.on("bot_uttered", function (message) {
        if (!message || typeof message !== "object") { return; }
        var item = { from: "bot", time: Date.now() };
        if (typeof message.text === "string") { item.text = message.text; }
        var replies = message.quick_replies || message.buttons || [];
        if (Array.isArray(replies) && replies.length) {
          item.buttons = replies.filter(function (b) { return b && typeof b.title === "string"; })
            .map(function (b) { return { title: b.title, payload: String(b.payload || b.title) }; });
        }
        if (message.custom && typeof message.custom === "object") {
          if (message.custom.type === "data_deleted") { forgetEverything(); return; }
          if (message.custom.type === "reminder_set") { keepForReminder(); }
          if (message.custom.type === "reminders_stopped") { stopKeeping(); if (!item.text) { return; } }
          item.card = message.custom;
        }
        if (item.text || item.buttons || item.card) { receive(item); }
      });
    }

    // "Delete my data" is done on the server: this browser's copy goes too, and the next message starts a new
    // session. What is on the screen stays until the page is left, so the person can read the confirmation.
    function forgetEverything() {
      history = [];
      sessionId = null;
      storageClear();
      stopKeeping();
      confirmed = false;
      if (socket) { socket.emit("session_request", {}); }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      sendMessage(text);
      input.focus();
    });
  }
}());
