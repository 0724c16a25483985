// annot report: a click on a highlight (or Enter on its marker, after Tab)
// shows the annotations at that place in a panel. Without this script the
// marker is a link to the same description further down the page, so
// nothing here is needed to read the report.
(function () {
  "use strict";
  var panel = document.getElementById("_panel");
  if (!panel) {
    return;
  }
  var body = panel.querySelector(".panel-body");
  var opener = null;

  function hide() {
    panel.hidden = true;
    if (opener) {
      opener.focus();
      opener = null;
    }
  }

  function describe(mark, from) {
    var ids = [];
    for (var el = mark; el && el.nodeType === 1; el = el.parentNode) {
      var id = null;
      if (el.hasAttribute("data-annot-id")) {
        id = el.getAttribute("data-annot-id");
      } else if (el.hasAttribute("data-base-annot-id")) {
        id = "_drift-" + el.getAttribute("data-base-annot-id");
      }
      if (id !== null && ids.indexOf(id) < 0) {
        ids.push(id);
      }
    }
    body.textContent = "";
    ids.forEach(function (id) {
      var original = document.getElementById(id);
      if (!original) {
        return;
      }
      var copy = original.cloneNode(true);
      copy.removeAttribute("id");
      var inner = copy.querySelectorAll("[id]");
      for (var i = 0; i < inner.length; i++) {
        inner[i].removeAttribute("id");
      }
      var box = document.createElement("div");
      box.className = "panel-entry";
      box.appendChild(copy);
      body.appendChild(box);
    });
    opener = from;
    panel.hidden = false;
    panel.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    if (target.closest(".panel-close")) {
      hide();
      return;
    }
    if (target.closest(".panel")) {
      return;
    }
    var mark = target.closest("[data-annot-id], [data-base-annot-id]");
    if (!mark || !mark.closest("[data-role]")) {
      return;
    }
    event.preventDefault();
    var ref = target.closest("a.ref");
    if (!ref) {
      var id = mark.getAttribute("data-annot-id") || mark.getAttribute("data-base-annot-id");
      ref = mark.closest("[data-role]").querySelector("a.ref[aria-label$=\" " + id.replace(/["\\]/g, "\\$&") + "\"]");
    }
    describe(mark, ref);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      hide();
    }
  });
})();
