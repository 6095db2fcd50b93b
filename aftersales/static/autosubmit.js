// A select marked data-autosubmit sends its form when it changes (a station picker), without
// an inline event handler (the Content-Security-Policy allows no inline script).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
});
