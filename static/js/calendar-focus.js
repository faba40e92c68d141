// The reservation calendar (issue 23): after each htmx action (book, cancel, join or leave the
// waiting list, a period), the keyboard focus lands on what changed — the day, or the period's
// summary — instead of staying on a button that no longer exists (the day was replaced).
// Only a convenience: every form works without this script (a 303 back to the month).
(function () {
  "use strict";
  var pending = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    pending = target && target.id && target.closest(".activity-month") ? target.id : null;
  });
  // Settling comes after every swap of the answer (out-of-band days included).
  document.addEventListener("htmx:afterSettle", function () {
    var changed = pending && document.getElementById(pending);
    pending = null;
    if (!changed) { return; }
    if (!changed.hasAttribute("tabindex")) { changed.setAttribute("tabindex", "-1"); }
    changed.focus();
  });
})();
