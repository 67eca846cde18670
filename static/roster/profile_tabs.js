// A profile tab link swaps only the tab's content (#profile-panel): the strip's counts and the boxes above it
// stay as drawn, and the link it came from becomes the active tab.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    const link = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.target.id !== "profile-panel" || !link || !link.dataset.tab) return;
    link.closest("[role=tablist]").querySelectorAll("[data-tab]").forEach(function (tab) {
      const active = tab === link;
      tab.classList.toggle("active", active);
      tab.setAttribute("aria-selected", active ? "true" : "false");
    });
  });
})();
