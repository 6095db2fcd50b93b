/* The technician's visit page: drafts kept in the page until saved, one submission per tap,
   signature pads, and the check-in position. No framework; works without it too. */
(function () {
  "use strict";
  var page = document.querySelector(".field-page[data-order]");
  if (!page) return;
  var saved = page.getAttribute("data-saved");
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.name !== "key" &&
        el.type !== "file" && el.type !== "hidden" && el.type !== "submit";
    });
  }
  function save(form) {
    if (!storage) return;
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) data[el.name + "=" + el.value] = true;
      } else {
        data[el.name] = el.value;
      }
    });
    storage.setItem("draft:" + form.getAttribute("data-draft"), JSON.stringify(data));
  }
  function restore(form) {
    if (!storage) return;
    var raw = storage.getItem("draft:" + form.getAttribute("data-draft"));
    if (!raw) return;
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = !!data[el.name + "=" + el.value];
      } else if (Object.prototype.hasOwnProperty.call(data, el.name)) {
        el.value = data[el.name];
      }
    });
    form.setAttribute("data-restored", "1");
  }

  function pad(box) {
    var canvas = box.querySelector("canvas");
    var input = box.querySelector("input[name=signature]");
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function point(ev) {
      var r = canvas.getBoundingClientRect();
      return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (ev) {
      drawing = true; var p = point(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
      canvas.setPointerCapture(ev.pointerId); ev.preventDefault();
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) return; var p = point(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      canvas.addEventListener(name, function () {
        drawing = false;
        if (drawn) input.value = canvas.toDataURL("image/png");
      });
    });
    var clear = box.querySelector("[data-sig-clear]");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; input.value = "";
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".sigpad"), pad);

  Array.prototype.forEach.call(document.querySelectorAll("form.field-form"), function (form) {
    var step = form.getAttribute("data-step");
    if (saved && saved === step && storage) {
      storage.removeItem("draft:" + form.getAttribute("data-draft"));
    } else {
      restore(form);
    }
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("change", function () { save(form); });
    form.addEventListener("submit", function (ev) {
      if (form.getAttribute("data-sending") === "1") { ev.preventDefault(); return; }
      if (form.getAttribute("data-geo") === "1" && !form.elements.latitude.value &&
          navigator.geolocation && !form.getAttribute("data-geo-tried")) {
        ev.preventDefault();
        form.setAttribute("data-geo-tried", "1");
        var go = function () { form.requestSubmit ? form.requestSubmit() : form.submit(); };
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.elements.latitude.value = pos.coords.latitude;
          form.elements.longitude.value = pos.coords.longitude;
          form.elements.accuracy.value = pos.coords.accuracy;
          go();
        }, go, { timeout: 8000, maximumAge: 60000, enableHighAccuracy: true });
        return;
      }
      save(form);
      form.setAttribute("data-sending", "1");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  });
  // Back from the browser's cache (a failed network): the forms can be sent again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.field-form"), function (form) {
      form.removeAttribute("data-sending");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  });
}());
