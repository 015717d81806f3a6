// Login page: logs in, or creates the administrator account on first run (the server decides;
// api/session says which form to show). Relative URLs only (reverse-proxy sub-paths).
(function () {
  "use strict";
  const t = window.I18n.t;
  const $ = (id) => document.getElementById(id);
  let setup = false;

  function render() {
    window.I18n.apply();
    $("langSel").value = window.I18n.lang();
    $("themeLabel").textContent = t("theme_" + window.Theme.get());
    $("formTitle").textContent = t(setup ? "setupTitle" : "loginTitle");
    $("submit").textContent = t(setup ? "setup" : "login");
    $("setupHint").hidden = !setup;
    $("password").autocomplete = setup ? "new-password" : "current-password";
  }

  function show(text, ok) {
    const m = $("msg");
    m.className = "msg" + (ok ? "" : " err");
    m.textContent = text;
  }

  async function session() {
    try {
      const res = await fetch("api/session", { credentials: "same-origin" });
      if (!res.ok) return;
      const s = await res.json();
      if (s.loggedIn) { location.replace("./"); return; }
      setup = !!s.setup;
      if (s.lang && !window.I18n.remembered()) window.I18n.set(s.lang);
      render();
      if (setup && s.setupOpen === false && s.setupDeadline) show(t("setupClosed", s.setupDeadline));
    } catch (e) { /* the form still works; a failed login shows the error */ }
  }

  async function submit(ev) {
    ev.preventDefault();
    const btn = $("submit");
    const body = { Username: $("username").value.trim(), Password: $("password").value };
    btn.disabled = true;
    show(t("loggingIn"), true);
    try {
      const res = await fetch("loginFunc", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      });
      const text = await res.text();
      let r = null;
      try { r = JSON.parse(text); } catch (e) { r = null; }
      if (r && r.Code === 200) { location.replace("./"); return; }
      show((r && (r.Msg || r.error)) || res.status + " " + res.statusText);
      $("password").focus();
      $("password").select();
    } catch (e) {
      show(t("netErr", e.message));
    } finally {
      btn.disabled = false;
    }
  }

  $("loginForm").addEventListener("submit", submit);
  $("langSel").addEventListener("change", (e) => { window.I18n.set(e.target.value); render(); });
  $("themeBtn").addEventListener("click", () => { window.Theme.next(); render(); });
  render();
  $("username").focus();
  session();
})();
