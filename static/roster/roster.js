// Roster keyboard and row behaviour: "/" focuses search, arrows move through results, Enter opens. Enter in the
// search box opens the first result of what is in the box: while the results are for an earlier text (the
// debounce has not fired, or the answer is on its way), it asks now and opens when they arrive. A search typed
// while another is on its way waits for it (hx-sync queue last): aborting would make htmx log an error.
(function () {
  "use strict";
  let openWhenFresh = false;
  const search = () => document.getElementById("roster-search");
  const fresh = () => {
    const shown = document.getElementById("results-for");
    return shown && shown.dataset.query === search().value.trim().slice(0, 100);
  };
  const rows = () => Array.from(document.querySelectorAll("#roster-table tbody tr[data-href]"));
  const current = () => document.querySelector("#roster-table tr.row-active");

  function activate(row) {
    const previous = current();
    if (previous) previous.classList.remove("row-active");
    if (row) {
      row.classList.add("row-active");
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") && target !== search();
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !typing(event.target) && event.target !== search()) {
      event.preventDefault();
      search().focus();
      search().select();
      return;
    }
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter" && event.target === search() && !current() && !fresh()) {
      event.preventDefault();
      openWhenFresh = true;
      htmx.trigger("#roster-filters", "submit");
      return;
    }
    const list = rows();
    if (!list.length) return;
    const index = list.indexOf(current());
    if (event.key === "ArrowDown") {
      event.preventDefault();
      activate(list[Math.min(index + 1, list.length - 1)]);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      activate(list[Math.max(index - 1, 0)]);
    } else if (event.key === "Enter" && (current() || event.target === search())) {
      event.preventDefault();
      window.location.href = (current() || list[0]).dataset.href;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!openWhenFresh || !fresh()) return;
    openWhenFresh = false;
    const first = rows()[0];
    if (first) window.location.href = first.dataset.href;
  });

  document.addEventListener("click", function (event) {
    const row = event.target.closest("#roster-table tbody tr[data-href]");
    if (row && !event.target.closest("a, input, label, button")) {
      window.location.href = row.dataset.href;
    }
    if (event.target.id === "select-page") {
      rows().forEach((item) => {
        const box = item.querySelector("input.row-select");
        if (box) box.checked = event.target.checked;
      });
    }
  });
})();
