// 数域 catalog: add and remove information-item rows on the entry form
// (R8.2). Loaded from /static (CSP forbids inline scripts). Without it the
// form still works: it always carries one blank row, and a row left or
// made blank is ignored when saved.
(function () {
  "use strict";
  function renumber(tbody) {
    tbody.querySelectorAll("tr.field-row").forEach(function (tr, i) {
      tr.querySelectorAll("[name]").forEach(function (el) {
        el.name = el.name.replace(/^fields\[(?:\d+|__i__)\]/, "fields[" + i + "]");
      });
    });
  }
  function addRow(tbody, tpl) {
    var frag = tpl.content.cloneNode(true);
    tbody.appendChild(frag);
    renumber(tbody);
    var rows = tbody.querySelectorAll("tr.field-row");
    var last = rows[rows.length - 1];
    last.querySelectorAll("[data-field-remove]").forEach(function (b) { b.hidden = false; });
    var first = last.querySelector("input");
    if (first) { first.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.getElementById("field-rows");
    var tpl = document.getElementById("field-row-template");
    if (!table || !tpl) { return; }
    var tbody = table.tBodies[0];
    document.querySelectorAll("[data-field-add], [data-field-remove]").forEach(function (b) { b.hidden = false; });
    document.addEventListener("click", function (e) {
      var t = e.target;
      if (t.closest && t.closest("[data-field-add]")) {
        e.preventDefault();
        addRow(tbody, tpl);
      } else if (t.closest && t.closest("[data-field-remove]")) {
        e.preventDefault();
        var tr = t.closest("tr");
        if (tr && tr.parentNode === tbody) {
          tr.remove();
          if (!tbody.querySelector("tr.field-row")) { addRow(tbody, tpl); }
          renumber(tbody);
        }
      }
    });
  });
})();
