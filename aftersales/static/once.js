// Forms marked data-once are sent once: the submit button is disabled at the first press and
// shows its data-busy text with a spinner while the server works (e.g. "Optimise the day").
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-once]")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (button.dataset.busy) {
      button.textContent = button.dataset.busy;
      var spin = document.createElement("span");
      spin.className = "spinner-border spinner-border-sm ms-2";
      spin.setAttribute("aria-hidden", "true");
      button.appendChild(spin);
    }
  });
});
