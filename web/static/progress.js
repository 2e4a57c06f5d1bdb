// A long job's progress without holding the page (issue 13): a section
// with data-progress-url and data-running polls that URL every second and
// fills its bar and label; when the job has ended the page reloads to show
// the outcome. Without JavaScript the page shows the state it was loaded in.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !box.hasAttribute("data-running")) return;
  var bar = box.querySelector("progress");
  var label = box.querySelector("[aria-live]");
  var pct = box.querySelector("#check-progress-percent");
  var failures = 0;
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (p) {
        failures = 0;
        if (bar) bar.value = p.percent;
        if (label) label.textContent = p.label;
        if (pct) pct.textContent = p.percent + "%";
        if (p.running) {
          setTimeout(poll, 1000);
        } else {
          location.reload();
        }
      })
      .catch(function () {
        if (++failures < 10) setTimeout(poll, 2000);
      });
  }
  setTimeout(poll, 500);
})();
