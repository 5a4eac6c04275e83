/* A table wider than the text column (a phone, most often) is read as a stack of cards, one
   per row, each cell under the name of its column, instead of scrolling sideways and hiding
   its last columns. A table that fits is left alone: at desktop widths every table fits, and
   none changes. The column names come from the table's header row; book.css draws the cards
   (table.stacked). Re-checked whenever the window changes width. */
(function () {
  function columnNames(table) {
    var header = table.tHead ? table.tHead.rows[0] : null;
    if (!header) {
      var first = table.rows[0];
      if (first && first.querySelector("th") && !first.querySelector("td")) header = first;
    }
    return header ? Array.from(header.cells).map(function (c) { return c.textContent.trim(); }) : null;
  }

  function label(table) {
    var names = columnNames(table);
    if (!names || table.dataset.labelled) return;
    Array.from(table.tBodies).forEach(function (body) {
      Array.from(body.rows).forEach(function (row) {
        Array.from(row.cells).forEach(function (cell, i) {
          if (cell.tagName === "TD" && names[i]) cell.dataset.label = names[i];
        });
      });
    });
    table.dataset.labelled = "yes";
  }

  function fit() {
    document.querySelectorAll(".bd-article table").forEach(function (table) {
      if (table.closest(".cell_output pre") || table.classList.contains("indextable")) return;
      table.classList.remove("stacked");
      var room = table.parentElement.clientWidth;
      if (table.scrollWidth > room + 1 && columnNames(table)) {
        label(table);
        table.classList.add("stacked");
      }
    });
  }

  var pending = null;
  function refit() {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () { pending = null; fit(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fit);
  else fit();
  window.addEventListener("load", fit);
  window.addEventListener("resize", refit);
})();
