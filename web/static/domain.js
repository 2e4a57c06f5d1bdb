// 数域 data domain: upload with a progress bar, then follow the supply job
// until its quality report is ready (R10.1, R11.1). Loaded from /static
// (CSP forbids inline scripts); without it the form posts and waits.
(function () {
  "use strict";
  function byId(id) { return document.getElementById(id); }
  function text(msg) { var t = byId("upload-text"); if (t) { t.textContent = msg; } }
  function errors(list) {
    var ul = byId("upload-errors");
    if (!ul) { return; }
    ul.textContent = "";
    (list || []).slice(0, 20).forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = (e.row ? "第" + e.row + "行 " : "") + (e.column ? e.column + "：" : "") + e.message;
      ul.appendChild(li);
    });
  }
  function follow(form, bar, id) {
    fetch("/api/v1/domain/jobs/" + id, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.status === "loading" || j.status === "queued") {
          bar.removeAttribute("value"); // parsing and checking: indeterminate
          text(form.getAttribute("data-msg-loading") + " " + (j.progress_rows || 0));
          setTimeout(function () { follow(form, bar, id); }, 400);
          return;
        }
        if (j.status === "done") {
          bar.value = 100;
          text(form.getAttribute("data-msg-done") + " " + j.rows);
        } else {
          text(form.getAttribute("data-msg-failed") + " " + (j.error_message || ""));
          errors(j.errors);
        }
        window.location.href = "/domain/jobs/" + id;
      })
      .catch(function () { setTimeout(function () { follow(form, bar, id); }, 1000); });
  }
  function upload(form) {
    var input = byId("file");
    var file = input && input.files && input.files[0];
    if (!file) { return; }
    var bar = byId("upload-progress");
    byId("upload-status").hidden = false;
    errors([]);
    bar.value = 0;
    if (file.size > Number(form.getAttribute("data-max"))) {
      text(form.getAttribute("data-msg-too-large"));
      return;
    }
    byId("upload-submit").disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-upload-api"));
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) {
        var pct = Math.round(ev.loaded / ev.total * 100);
        bar.value = pct;
        text(form.getAttribute("data-msg-uploading") + " " + pct + "%");
      }
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText || "{}"); } catch (e) { body = {}; }
      if (xhr.status === 202 || xhr.status === 201) {
        follow(form, bar, body.id);
        return;
      }
      byId("upload-submit").disabled = false;
      var err = body.error || {};
      text(form.getAttribute("data-msg-failed") + " " + (err.message || xhr.status));
      errors(err.details);
    };
    xhr.onerror = function () {
      byId("upload-submit").disabled = false;
      text(form.getAttribute("data-msg-failed"));
    };
    var fd = new FormData();
    fd.append("file", file);
    xhr.send(fd);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = byId("upload-form");
    if (form && window.FormData && window.XMLHttpRequest && window.fetch) {
      form.addEventListener("submit", function (e) { e.preventDefault(); upload(form); });
    }
    var job = byId("job");
    if (job && job.getAttribute("data-status") === "loading") {
      setTimeout(function () { window.location.reload(); }, 1000);
    }
  });
})();
