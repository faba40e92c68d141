// The booking grid (admin): ticking a row's or a column's box ticks its cells, and unticking
// a cell unticks its row and column. Only a convenience: every box is a real checkbox that
// works without this script, and the server expands ticked rows and columns itself.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("booking-grid-form");
    if (!form) { return; }
    form.addEventListener("change", function (event) {
      var box = event.target;
      if (box.classList.contains("grid-row")) {
        form.querySelectorAll('input[name="cell"][data-row="' + box.value + '"]')
          .forEach(function (cell) { cell.checked = box.checked; });
      } else if (box.classList.contains("grid-col")) {
        form.querySelectorAll('input[name="cell"]').forEach(function (cell) {
          if (cell.dataset.col === box.value) { cell.checked = box.checked; }
        });
      } else if (box.name === "cell" && !box.checked) {
        form.querySelectorAll('input.grid-row, input.grid-col').forEach(function (whole) {
          var mine = whole.classList.contains("grid-row") ? box.dataset.row : box.dataset.col;
          if (whole.value === mine) {
            whole.checked = false;
          }
        });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
