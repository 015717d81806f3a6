// Theme: "light", "dark" or follow the system (no key in localStorage). Loaded synchronously in
// <head> so the page is painted in the right colours from the first frame.
(function () {
  "use strict";
  var KEY = "theme";
  function get() {
    try { var v = localStorage.getItem(KEY); return v === "light" || v === "dark" ? v : "auto"; }
    catch (e) { return "auto"; }
  }
  function apply(mode) {
    var root = document.documentElement;
    if (mode === "auto") root.removeAttribute("data-theme"); else root.setAttribute("data-theme", mode);
  }
  function set(mode) {
    try { if (mode === "auto") localStorage.removeItem(KEY); else localStorage.setItem(KEY, mode); }
    catch (e) { /* private mode: the choice lasts for this page only */ }
    apply(mode);
  }
  // Cycle order of the header button.
  function next() {
    var order = ["auto", "light", "dark"];
    var m = order[(order.indexOf(get()) + 1) % order.length];
    set(m);
    return m;
  }
  apply(get());
  window.Theme = { get: get, set: set, next: next };
})();
