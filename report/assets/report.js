// Filters for the mapspec report: progressive enhancement. Without
// JavaScript every row shows and the (hidden) form stays hidden.
// The URL fragment drives them too, e.g. #status=differs&kernel=0&q=lookup,
// and #open=<cell id> (or just #<cell id>) opens that cell's evidence.
(function () {
  "use strict";
  var form = document.querySelector("form.filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  var cols = Array.prototype.slice.call(document.querySelectorAll("[data-k]"));

  function params() {
    var p = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) p[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return p;
  }

  function value(name) {
    var el = form && form.elements[name];
    return el ? el.value : "";
  }

  function apply() {
    var q = value("q").toLowerCase(), st = value("status"), k = value("kernel"), t = value("type");
    var shown = 0;
    rows.forEach(function (r) {
      var marks = " " + (r.getAttribute("data-marks") || "") + " ";
      var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) &&
        (!t || r.getAttribute("data-type") === t);
      if (ok && (st || k)) {
        var needle = st && k ? " " + st + "@" + k + " " : st ? " " + st + "@" : "@" + k + " ";
        ok = marks.indexOf(needle) >= 0;
      }
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    // A table whose rows are all filtered out goes, with its heading.
    Array.prototype.forEach.call(document.querySelectorAll(".wrap"), function (w) {
      var any = w.querySelector("tr[data-row]:not([hidden])");
      var none = !any && w.querySelector("tr[data-row]");
      w.hidden = !!none;
      var h = w.previousElementSibling;
      while (h && h.tagName === "P") h = h.previousElementSibling;
      if (h && /^H[23]$/.test(h.tagName)) h.hidden = !!none;
    });
    cols.forEach(function (c) {
      if (k && c.getAttribute("data-k") !== k) c.setAttribute("data-hide-k", "");
      else c.removeAttribute("data-hide-k");
    });
    if (form && form.elements.shown) form.elements.shown.value = shown + " of " + rows.length + " rows shown";
    document.body.setAttribute("data-rows-shown", String(shown));
  }

  function fromHash() {
    var p = params();
    if (form) {
      ["q", "status", "kernel", "type"].forEach(function (n) {
        if (form.elements[n]) form.elements[n].value = p[n] || "";
      });
    }
    var id = p.open || (location.hash.indexOf("=") < 0 ? location.hash.slice(1) : "");
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") {
      el.open = true;
    }
    apply();
    if (el && el.tagName === "DETAILS") {
      var box = el.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) el.scrollIntoView({ block: "center" });
    }
  }

  if (form) {
    form.hidden = false;
    form.addEventListener("input", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
