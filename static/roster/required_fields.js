// Required fields grid: say when there are unsaved changes, and ask before leaving with them.
(function () {
  "use strict";
  let dirty = false;
  const note = () => document.querySelector("#required-fields .unsaved-note");

  document.addEventListener("change", function (event) {
    if (!event.target.closest("#required-fields")) return;
    dirty = true;
    if (note()) note().hidden = false;
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "required-fields" || event.target.id === "required-fields") dirty = false;
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id === "required-fields") dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
