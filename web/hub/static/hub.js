// Progressive enhancement only: every page works without this file.
// On the ask page, suggest similar questions while the title is typed.
(function () {
  "use strict";
  var title = document.getElementById("title");
  var box = document.getElementById("similar");
  if (!title || !box || !document.getElementById("ask-form")) return;
  var list = box.querySelector("ul");
  var timer = null, last = "";
  function show(items) {
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (q) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = q.url;
      a.textContent = q.title; // text only: titles are never parsed as HTML
      li.appendChild(a);
      var n = document.createElement("span");
      n.className = "meta";
      n.textContent = " (" + q.answers + (q.answers === 1 ? " answer)" : " answers)");
      li.appendChild(n);
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }
  function lookup() {
    var v = title.value.trim();
    if (v === last) return;
    last = v;
    if (v.length < 4) { show([]); return; }
    fetch("/api/similar?title=" + encodeURIComponent(v), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) { if (title.value.trim() === v) show(items || []); })
      .catch(function () {});
  }
  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 250);
  });
})();
