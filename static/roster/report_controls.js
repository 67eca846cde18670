// The Reports controls: typing a From or To date makes the period "Custom", so the dates are what is shown.
(function () {
  "use strict";
  document.querySelectorAll("[data-report-date]").forEach(function (input) {
    input.addEventListener("change", function () {
      const range = input.form.querySelector("[data-report-range]");
      if (range) range.value = "custom";
    });
  });
})();
