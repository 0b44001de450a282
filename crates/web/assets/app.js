// phongthu: the little JavaScript the pages use. Everything works without it; it only adds
// confirmations before destructive actions and keyboard focus on the main content.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.getAttribute("data-confirm"))) {
        ev.preventDefault();
      }
    });
  });
  var alert = document.querySelector(".alert.error, .alert[role=alert]");
  if (alert && !document.querySelector("[autofocus]")) {
    alert.setAttribute("tabindex", "-1");
    alert.focus();
  }
});
