// The signature pad of the waiver pages: strokes drawn with a mouse, a finger or a pen (pointer events), or the
// typed name written in the box from the keyboard; the drawing goes to the form as a PNG data URL in the
// hidden "signature" field, which the server checks.
(function () {
  "use strict";
  function setUp(form) {
    const canvas = form.querySelector("canvas.signature-pad");
    const field = form.querySelector('input[name="signature"]');
    if (!canvas || !field) return;
    const context = canvas.getContext("2d");
    let drawing = false;
    let last = null;

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height),
      };
    }
    function save() {
      field.value = canvas.toDataURL("image/png");
    }
    function clear() {
      context.clearRect(0, 0, canvas.width, canvas.height);
      field.value = "";
    }
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, 1.5, 0, 2 * Math.PI);
      context.fillStyle = "#111";
      context.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      const next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function end() {
      if (!drawing) return;
      drawing = false;
      save();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    form.querySelector("[data-signature-clear]").addEventListener("click", clear);
    form.querySelector("[data-signature-typed]").addEventListener("click", function () {
      const name = (form.querySelector('input[name="typed_name"]').value || "").trim();
      if (!name) {
        form.querySelector('input[name="typed_name"]').focus();
        return;
      }
      clear();
      let size = 64;
      do {
        context.font = "italic " + size + "px 'Brush Script MT', 'Segoe Script', cursive, serif";
        size -= 4;
      } while (context.measureText(name).width > canvas.width - 40 && size > 16);
      context.fillStyle = "#111";
      context.textBaseline = "middle";
      context.fillText(name, 20, canvas.height / 2);
      save();
    });
    // A form sent back with an error keeps what was drawn.
    if (field.value.startsWith("data:image/png;base64,")) {
      const image = new Image();
      image.onload = function () {
        context.drawImage(image, 0, 0);
      };
      image.src = field.value;
    }
  }
  document.querySelectorAll("form.waiver-sign-form").forEach(setUp);
})();
