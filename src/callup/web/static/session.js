// The warning before a signed-in session ends (WCAG 2.2.1): five minutes before its end the page says so
// and offers to stay signed in, without leaving the page (what is typed stays where it is). Without this
// script the pages work the same; a form sent after the end is kept until the person signs in again.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="callup-session-ends"]');
  var box = document.getElementById("session-warning");
  if (!meta || !box || !window.fetch) { return; }
  var text = document.getElementById("session-warning-text");
  var title = document.getElementById("session-warning-title");
  var button = document.getElementById("session-extend");
  var csrf = document.querySelector('meta[name="callup-csrf"]').content;
  var ends = Number(meta.content) * 1000;
  var WARN = 5 * 60 * 1000;
  var timer = null;
  var before = null;

  function minutesLeft() { return Math.max(1, Math.ceil((ends - Date.now()) / 60000)); }

  function show() {
    text.textContent = text.getAttribute("data-template").replace("%(minutes)s", String(minutesLeft()));
    if (box.hidden) {
      before = document.activeElement;
      box.hidden = false;
      button.focus();
    }
  }

  function tick() {
    clearTimeout(timer);
    var left = ends - Date.now();
    if (left <= 0) {
      title.textContent = box.getAttribute("data-ended");
      text.textContent = "";
      button.hidden = true;
      document.getElementById("session-signin").hidden = false;
      box.hidden = false;
      return;
    }
    if (left <= WARN) { show(); }
    timer = setTimeout(tick, left <= WARN ? Math.min(15000, left) : left - WARN);
  }

  button.addEventListener("click", function () {
    var body = new URLSearchParams();
    body.set("csrf", csrf);
    fetch("/session/extend", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (answer) { return answer.json(); })
      .then(function (data) {
        if (!data.signed_in) { ends = Date.now(); tick(); return; }
        ends = data.expires * 1000;
        box.hidden = true;
        if (before && before.focus) { before.focus(); }
        tick();
      });
  });
  tick();
}());
