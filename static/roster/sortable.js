// Drag-and-drop ordering (SortableJS) for lists marked .sortable-rows. Dropping a row fires "end" on the
// list, which the form around it turns into an HTMX save (hx-trigger="end"); rows with .option-position
// inputs are renumbered instead, saved with the form. The ↑ ↓ buttons do the same without a mouse.
(function () {
  "use strict";
  function renumber(list) {
    list.querySelectorAll(".option-position").forEach(function (input, index) {
      input.value = index;
    });
  }
  htmx.onLoad(function (root) {
    root.querySelectorAll(".sortable-rows").forEach(function (list) {
      if (list.sortable) return;
      list.sortable = new Sortable(list, {
        animation: 150,
        handle: ".drag-handle",
        filter: ".no-drag",
        onEnd: function () {
          renumber(list);
        },
      });
    });
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-move]");
    if (!button) return;
    const row = button.closest("tr, li");
    const sibling = button.dataset.move === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!sibling || sibling.classList.contains("no-drag")) return;
    event.preventDefault();
    if (button.dataset.move === "up") sibling.before(row);
    else sibling.after(row);
    renumber(row.parentElement);
    button.focus();
  });
})();
