// Sizes and positions that come from data (a progress bar's width, the dispatch board's visit
// blocks, map tiles, route colours) are carried in data-style="prop: value; ..." and applied
// here through the CSSOM, which the Content-Security-Policy allows (style attributes it does
// not). Only the properties listed are applied. Runs at load and on every htmx swap.
(function () {
  var allowed = ["width", "height", "left", "top", "background", "--left", "--width"];
  function apply(root) {
    var nodes = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll("[data-style]")) : [];
    if (root.matches && root.matches("[data-style]")) nodes.push(root);
    nodes.forEach(function (el) {
      el.getAttribute("data-style").split(";").forEach(function (decl) {
        var at = decl.indexOf(":");
        if (at < 0) return;
        var prop = decl.slice(0, at).trim();
        if (allowed.indexOf(prop) >= 0) el.style.setProperty(prop, decl.slice(at + 1).trim());
      });
    });
  }
  apply(document);
  document.addEventListener("htmx:load", function (event) { apply(event.target); });
})();
