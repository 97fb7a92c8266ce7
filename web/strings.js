/* Every word the chat widget itself shows or says to a screen reader, by language. chat.js writes no
 * text of its own: it looks each one up here by key. What the assistant says (answers, buttons, level
 * titles, card headings) comes from the server and is not here.
 *
 * Another language is one more entry, in this file or in a script a site loads before chat.js
 * (window.TwitchCheckStrings.fr = {...}); the widget takes the language of data-lang on its script tag,
 * TwitchCheckConfig.lang, or the page's <html lang>, and any key a language lacks falls back to "en".
 * "{name}" is filled in by the widget; a key with "one"/"other"/... forms is chosen by Intl.PluralRules.
 */
(function () {
  "use strict";
  var all = window.TwitchCheckStrings = window.TwitchCheckStrings || {};
  all.en = {
    page_title: "TwitchCheck: muscle twitch information",
    name: "TwitchCheck",
    chat_label: "TwitchCheck chat",
    notice: "Information about muscle twitches, not a diagnosis. If you have trouble breathing, sudden " +
      "weakness or a seizure, call emergency services now (911, 999, 112 or 000).",
    greeting: "Hello! I can answer what you want to know about muscle twitching, or walk through your " +
      "symptoms with you one question at a time. Where would you like to begin?",
    way_in_question: "Ask a question",
    way_in_check: "Check my symptoms",
    log_label: "Conversation",
    you_said: "You said: ",
    assistant_said: "TwitchCheck: ",
    replies_label: "Suggested replies",
    waiting_to_send: "(waiting to send)",
    input_label: "Your message",
    input_placeholder: "Ask about twitching, or say \u201ccheck my symptoms\u201d",
    send: "Send",
    offline: "Can't reach TwitchCheck right now. Trying again\u2026 Anything you type will be sent when " +
      "it's back.",
    typing: "TwitchCheck is writing a reply\u2026",
    jump_to_new: "Jump to new messages",
    launcher: "Chat with TwitchCheck",
    launcher_with_unread: "Chat with TwitchCheck, {unread}",
    unread: { one: "{count} new message", other: "{count} new messages" },
    close_chat: "Close the chat",
    card_label: "Assessment: {title}",
    print_result: "Print this result",
    summary_open: "Open your summary to print",
    summary_pdf: "Download it as a PDF",
    emergency_label: "Emergency",
    // A reminder set on the web: the offer of a browser notification, its outcome, and the notification.
    notify_offer: "Also tell me with a browser notification",
    notify_on: "Notifications are on: when the day comes and you open a page with this chat, your browser " +
      "will show the reminder too.",
    notify_off: "No notifications: the reminder will be waiting here when you next open this chat.",
    notification_title: "TwitchCheck: time for your re-check",
    // How the card puts the assistant's own headings and lists together (the words are the server's).
    headed: "{heading}: {text}",
    list_separator: "; "
  };
}());
