// Custom field form: show only the settings that apply to the chosen type (options, lengths, number range).
(function () {
  "use strict";
  const type = document.querySelector(".custom-field-form [name=type]");
  if (!type) return;
  function show() {
    document.querySelectorAll("[data-show-for]").forEach(function (section) {
      section.hidden = !section.dataset.showFor.split(" ").includes(type.value);
    });
  }
  type.addEventListener("change", show);
  show();
})();
