// 数域: the application form's field picker. "全选" (data-select-all=<name>)
// checks or clears every enabled field of its entry; the search box
// (data-apply-filter) hides the fields and entries whose Chinese label, code
// or entry name do not contain the words typed. Without JavaScript every
// field is listed and chosen one by one.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-select-all");
    if (!name) { return; }
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
      if (!b.disabled && !b.closest("[hidden]")) { b.checked = e.target.checked; }
    });
  });
  document.addEventListener("input", function (e) {
    if (!e.target.hasAttribute || !e.target.hasAttribute("data-apply-filter")) { return; }
    var q = e.target.value.trim().toLowerCase();
    document.querySelectorAll("[data-apply-entry]").forEach(function (entry) {
      var legend = (entry.querySelector("legend") || {}).textContent || "";
      var entryHit = q === "" || legend.toLowerCase().indexOf(q) >= 0;
      var any = false;
      entry.querySelectorAll("[data-apply-field]").forEach(function (f) {
        var hit = entryHit || f.textContent.toLowerCase().indexOf(q) >= 0;
        f.hidden = !hit;
        any = any || hit;
      });
      entry.hidden = !any && !entryHit;
    });
  });
})();
