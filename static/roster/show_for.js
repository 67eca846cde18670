// Show a section only while another field of its form has one of some values:
// <div data-show-field="type" data-show-for="choice multiple_choice">. Works for selects and radio buttons,
// on pages and on forms HTMX swaps in.
(function () {
  "use strict";
  function valueOf(form, name) {
    const control = form.querySelector('[name="' + name + '"]:checked') || form.querySelector('select[name="' + name + '"]');
    return control ? control.value : "";
  }
  function update(root) {
    root.querySelectorAll("[data-show-for]").forEach(function (section) {
      const form = section.closest("form");
      if (!form) return;
      section.hidden = !section.dataset.showFor.split(" ").includes(valueOf(form, section.dataset.showField));
    });
  }
  htmx.onLoad(update);
  document.addEventListener("change", function (event) {
    const form = event.target.closest("form");
    if (form) update(form);
  });
})();
