// 数域: small progressive enhancements; every page works without them.
// Loaded from /static (CSP forbids inline scripts). Hooks by data attribute:
//   <form data-confirm="确定停用？">     asks before submitting
//   <select data-autosubmit>             submits its form on change
//   <button data-print>                  prints the page
//   <select data-org-kind-for="roles">   shows only the role checkboxes
//                                        (name="roles", data-kind) that fit
//                                        the chosen option's data-kind
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-print]");
    if (b) { e.preventDefault(); window.print(); }
  });
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.hasAttribute && t.hasAttribute("data-autosubmit") && t.form) { t.form.submit(); }
    if (t.hasAttribute && t.hasAttribute("data-org-kind-for")) { filterRoles(t); }
  });
  function filterRoles(sel) {
    var opt = sel.options[sel.selectedIndex];
    var kind = opt ? opt.getAttribute("data-kind") : "";
    var boxes = document.querySelectorAll('input[name="' + sel.getAttribute("data-org-kind-for") + '"][data-kind]');
    boxes.forEach(function (b) {
      var fits = !kind || b.getAttribute("data-kind") === kind;
      var label = b.closest("label");
      if (label) { label.hidden = !fits; }
      if (!fits) { b.checked = false; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-org-kind-for]").forEach(filterRoles);
  });
})();
