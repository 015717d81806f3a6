// ddns-rs settings page: status dashboard, config entries, webhook, notifications, access, logs.
// All URLs are relative so the page works under a reverse-proxy sub-path; no inline script.
(function () {
  "use strict";
  const t = window.I18n.t;
  const $ = (id) => document.getElementById(id);

  // Defaults of a new entry, as ddns-go's page (the URL lists follow the UI language).
  const DEFAULT_URLS = {
    en: {
      v4: "https://api.ipify.org, https://ddns.oray.com/checkip, https://ip.3322.net, https://4.ipw.cn, https://v4.yinghualuo.cn/bejson",
      v6: "https://api64.ipify.org, https://speed.neu6.edu.cn/getIP.php, https://v6.ident.me, https://6.ipw.cn, https://v6.yinghualuo.cn/bejson"
    },
    zh: {
      v4: "https://ddns.oray.com/checkip, https://ip.3322.net, https://4.ipw.cn, https://v4.yinghualuo.cn/bejson, https://myip.ipip.net",
      v6: "https://speed.neu6.edu.cn/getIP.php, https://v6.ident.me, https://6.ipw.cn, https://v6.yinghualuo.cn/bejson"
    }
  };
  const STATUS_EVERY_MS = 5000;

  // Page state: the global settings, the entries (null = deleted, so indices stay those of the
  // server's list and the secret masks match), the selected index, provider and interface data.
  const S = { conf: null, entries: [], cur: -1, providers: [], ifaces: [], presets: [], logs: [], logTotal: 0,
    notify: [], notifyTypes: [], notifyDirty: false };

  // ---- HTTP ----------------------------------------------------------------------------------
  class HttpError extends Error {}
  async function call(path, body, method) {
    const opts = { method: method || (body === undefined ? "GET" : "POST"), credentials: "same-origin", headers: {} };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    let res;
    try { res = await fetch(path, opts); } catch (e) { throw new HttpError(t("netErr", e.message)); }
    // Auth failures end in a redirect to the login page (ddns-go's 307) or a 401.
    if (res.status === 401 || (res.redirected && /\/login(\?|$)/.test(res.url))) {
      toast(t("sessionEnded"), true);
      setTimeout(() => { location.href = "login"; }, 800);
      throw new HttpError(t("sessionEnded"));
    }
    const text = await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch (e) { data = text; } }
    if (!res.ok) {
      const msg = data && typeof data === "object" ? (data.error || data.Msg || data.result) : data;
      throw new HttpError(msg || res.status + " " + res.statusText);
    }
    return data;
  }

  // ---- toasts --------------------------------------------------------------------------------
  function toast(text, isErr) {
    const el = document.createElement("div");
    el.className = "toast" + (isErr ? " err" : "");
    el.textContent = text;
    $("toasts").appendChild(el);
    setTimeout(() => el.remove(), isErr ? 8000 : 4500);
  }

  // ---- entries <-> form ------------------------------------------------------------------------
  function newEntry() {
    const urls = DEFAULT_URLS[window.I18n.lang()];
    return {
      Name: "", DnsName: "alidns", DnsID: "", DnsSecret: "", DnsExtParam: "", TTL: "", HttpInterface: "",
      Ipv4Enable: true, Ipv4GetType: "url", Ipv4Url: urls.v4, Ipv4NetInterface: "", Ipv4Cmd: "", Ipv4Domains: "",
      Ipv6Enable: true, Ipv6GetType: "netInterface", Ipv6Url: urls.v6, Ipv6NetInterface: "", Ipv6Cmd: "", Ipv6Reg: "", Ipv6Domains: "",
      Ipv4Sources: "", Ipv4Agree: "", Ipv6Sources: "", Ipv6Agree: "", Ipv6Suffix: "", Ipv6PrefixLen: ""
    };
  }
  // Text inputs and selects bound one-to-one to entry fields.
  const TEXT = {
    DnsName: "dnsName", DnsID: "dnsId", DnsSecret: "dnsSecret", DnsExtParam: "dnsExt", TTL: "ttl", HttpInterface: "httpIf",
    Ipv4Url: "v4Url", Ipv4NetInterface: "v4If", Ipv4Cmd: "v4Cmd", Ipv4Domains: "v4Domains",
    Ipv6Url: "v6Url", Ipv6NetInterface: "v6If", Ipv6Cmd: "v6Cmd", Ipv6Reg: "v6Reg", Ipv6Domains: "v6Domains",
    Ipv4Sources: "v4Sources", Ipv4Agree: "v4Agree",
    Ipv6Sources: "v6Sources", Ipv6Agree: "v6Agree", Ipv6Suffix: "v6Suffix", Ipv6PrefixLen: "v6PrefixLen"
  };

  function entryLabel(e, i) { return e.Name || t("entryN", i + 1); }

  function fillSelect(sel, items, value) {
    // items: [[value, text]]; an unknown current value is kept as an extra option so it is not lost.
    sel.textContent = "";
    let found = false;
    for (const [v, txt] of items) {
      const o = document.createElement("option");
      o.value = v; o.textContent = txt;
      if (v === value) found = true;
      sel.appendChild(o);
    }
    if (!found && value) {
      const o = document.createElement("option");
      o.value = value; o.textContent = value;
      sel.appendChild(o);
    }
    sel.value = value || (items[0] ? items[0][0] : "");
  }

  function renderEntryList() {
    const items = [];
    S.entries.forEach((e, i) => { if (e) items.push([String(i), entryLabel(e, i)]); });
    fillSelect($("cfgSel"), items, S.cur >= 0 ? String(S.cur) : "");
    const none = items.length === 0;
    $("entry").hidden = none; $("noEntry").hidden = !none;
    $("cfgRename").disabled = none; $("cfgDelete").disabled = none;
  }

  // Interfaces that have an address of this family, labelled with their live addresses.
  function ifaceItems(fam) {
    const out = [];
    for (const i of S.ifaces) {
      const addrs = (i[fam] || []).map((a) => (typeof a === "string" ? a : a.address + (a.temporary ? " (temp)" : "") + (a.deprecated ? " (deprecated)" : "")));
      if (addrs.length) out.push([i.name, i.name + " — " + addrs.join(", ")]);
    }
    return out;
  }

  function loadEntry() {
    const e = S.entries[S.cur];
    if (!e) return;
    fillSelect($("dnsName"), S.providers.map((p) => [p.key, p.name]), e.DnsName || "alidns");
    fillSelect($("v4If"), ifaceItems("ipv4"), e.Ipv4NetInterface);
    fillSelect($("v6If"), ifaceItems("ipv6"), e.Ipv6NetInterface);
    fillSelect($("httpIf"), [["", t("default")]].concat(S.ifaces.map((i) => [i.name, i.name])), e.HttpInterface);
    for (const k in TEXT) { if (k !== "DnsName" && k.indexOf("NetInterface") < 0 && k !== "HttpInterface") $(TEXT[k]).value = e[k] == null ? "" : e[k]; }
    fillSelect($("ttl"), Array.from($("ttl").options, (o) => [o.value, o.textContent]), e.TTL);
    for (const f of ["v4", "v6"]) {
      const p = f === "v4" ? "Ipv4" : "Ipv6";
      $(f + "Enable").checked = !!e[p + "Enable"];
      const type = e[p + "GetType"] || "url";
      for (const r of document.getElementsByName(f + "Type")) r.checked = r.value === type;
      // The advanced part opens by itself when it holds something.
      $(f + "Adv").open = ["Sources", "Agree", "Suffix", "PrefixLen"].some((k) => !!e[p + k]);
    }
    syncVisibility();
    previewV6();
  }

  function storeEntry() {
    const e = S.entries[S.cur];
    if (!e) return;
    for (const k in TEXT) e[k] = $(TEXT[k]).value;
    for (const f of ["v4", "v6"]) {
      const p = f === "v4" ? "Ipv4" : "Ipv6";
      e[p + "Enable"] = $(f + "Enable").checked;
      const r = document.querySelector("input[name=" + f + "Type]:checked");
      e[p + "GetType"] = r ? r.value : "url";
    }
  }

  function provider(key) { return S.providers.find((p) => p.key === key); }

  function syncVisibility() {
    const p = provider($("dnsName").value) || {};
    const rows = [["dnsIdRow", "dnsIdLabel", p.idLabel], ["dnsSecretRow", "dnsSecretLabel", p.secretLabel], ["dnsExtRow", "dnsExtLabel", p.extParamLabel]];
    for (const [row, label, text] of rows) { $(row).hidden = !text; $(label).textContent = text || ""; }
    $("dnsHelp").textContent = p.help || "";
    // dyndns2: a select of known services fills the update URL.
    $("presetRow").hidden = p.key !== "dyndns2" || !S.presets.length;
    $("dnsLink").hidden = !p.helpUrl;
    if (p.helpUrl) $("dnsLink").href = p.helpUrl;
    for (const f of ["v4", "v6"]) {
      const card = $(f);
      const r = card.querySelector("input[name=" + f + "Type]:checked");
      const type = r ? r.value : "url";
      for (const kind of ["url", "netInterface", "cmd", "push"]) {
        for (const el of card.querySelectorAll(".t-" + kind)) el.hidden = kind !== type;
      }
      card.classList.toggle("off", !$(f + "Enable").checked);
    }
  }

  // ---- IPv6 selector preview (asks the server, which applies the same rules as detection) ------
  let previewSeq = 0;
  let previewTimer = 0;
  function previewV6() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, 250);
  }
  async function runPreview() {
    const out = $("v6Match");
    const iface = $("v6If").value;
    if (!iface) { out.textContent = ""; return; }
    const seq = ++previewSeq;
    try {
      const r = await call(API.preview, { netInterface: iface, ipv6Reg: $("v6Reg").value });
      if (seq !== previewSeq) return; // a newer keystroke already asked
      const ok = r && r.ok && r.address;
      out.className = ok ? "" : "err";
      out.textContent = ok ? t("matched", r.address) : (r && r.error ? r.error : t("noMatch"));
    } catch (e) {
      if (seq === previewSeq) { out.className = "err"; out.textContent = e.message; }
    }
  }

  // ---- load and save ---------------------------------------------------------------------------
  const API = {
    state: "api/state", preview: "api/ipv6-preview", notifyTest: "api/notify-test", status: "api/status", update: "api/update", logs: "api/logs",
    save: "save", setLang: "setLang", clearLog: "clearLog",
    webhookTest: "webhookTest", history: "api/history", rollback: "api/rollback"
  };

  function applyState(c) {
    S.conf = c;
    S.providers = c.providers || [];
    S.ifaces = c.interfaces || [];
    if (c.interfacesError) toast(c.interfacesError, true);
    S.entries = (c.dnsConf || []).map((e) => Object.assign(newEntry(), e));
    S.cur = S.entries.length ? 0 : -1;
    $("noWan").checked = !!c.notAllowWanAccess;
    $("user").value = c.username || "";
    $("pass").value = "";
    $("hookUrl").value = c.webhookURL || "";
    $("hookBody").value = c.webhookRequestBody || "";
    $("hookHeaders").value = c.webhookHeaders || "";
    $("version").textContent = c.version ? "v" + c.version : "";
    S.presets = c.dyndns2Presets || [];
    const ps = $("dnsPreset");
    ps.replaceChildren(ps.options[0]);
    for (const pr of S.presets) {
      const o = document.createElement("option");
      o.value = pr.url; o.textContent = pr.name + " — " + pr.url;
      ps.appendChild(o);
    }
    const push = c.push || {};
    $("pushUser").value = push.Username || "";
    $("pushPass").value = push.Password || "";
    S.notifyTypes = c.notifyTypes || [];
    S.notify = c.notify || [];
    S.notifyDirty = false;
    renderNotify();
    renderEntryList();
    loadEntry();
  }

  async function load() {
    const st = await call(API.state);
    // The browser's remembered choice first; else the server's stored language; else the browser's.
    if (st.lang && !window.I18n.remembered()) setLang(st.lang, false);
    applyState(st);
  }

  async function save(ev) {
    ev.preventDefault();
    storeEntry();
    const msg = $("saveMsg");
    const btn = $("save");
    btn.disabled = true; msg.className = ""; msg.textContent = t("saving");
    const body = {
      NotAllowWanAccess: $("noWan").checked, Username: $("user").value, Password: $("pass").value,
      WebhookURL: $("hookUrl").value, WebhookRequestBody: $("hookBody").value, WebhookHeaders: $("hookHeaders").value,
      Notify: S.notify,
      Push: { Username: $("pushUser").value, Password: $("pushPass").value },
      DnsConf: S.entries.map((e) => {
        if (!e) return null;
        const out = Object.assign({}, e);
        const p = provider(e.DnsName);
        if (p && !p.idLabel) out.DnsID = ""; // a provider without an ID field stores none
        if (p && !p.extParamLabel) out.DnsExtParam = "";
        return out;
      })
    };
    try {
      const r = await call(API.save, body);
      if (r && r.result === "ok") {
        msg.className = "ok"; msg.textContent = t("saved");
        toast(t("saved"));
        const cur = S.cur;
        const entries = typeof r.dnsConf === "string" ? JSON.parse(r.dnsConf) : r.dnsConf;
        S.entries = (entries || []).map((e) => Object.assign(newEntry(), e));
        S.cur = Math.min(cur, S.entries.length - 1);
        $("pass").value = "";
        renderEntryList(); loadEntry();
        // The save answer has no channels: reload them masked, so "Try it" matches the file.
        call(API.state).then((st) => { S.notify = st.notify || []; S.notifyDirty = false; renderNotify(); })
          .catch((e) => toast(e.message, true));
        setTimeout(refreshStatus, 1500);
      } else {
        msg.className = "err"; msg.textContent = (r && r.result) || "?";
      }
    } catch (e) {
      msg.className = "err"; msg.textContent = e.message;
    } finally {
      btn.disabled = false;
    }
  }

  // ---- notification channels ------------------------------------------------------------------
  // Which fields each service uses, and the label key of each (docs/configuration.md).
  const NOTIFY_FIELDS = {
    telegram: { token: "n_botToken", to: "n_chatId", url: "n_apiBase" },
    discord: { url: "n_webhookUrl" },
    slack: { url: "n_webhookUrl" },
    dingtalk: { url: "n_webhookUrl", secret: "n_signSecret" },
    feishu: { url: "n_webhookUrl", secret: "n_signSecret" },
    lark: { url: "n_webhookUrl", secret: "n_signSecret" },
    wecom: { url: "n_webhookUrl" },
    bark: { token: "n_deviceKey", url: "n_serverOpt" },
    serverchan: { token: "n_sendKey", url: "n_serverOpt" },
    ntfy: { to: "n_topic", url: "n_serverOpt", token: "n_accessToken" },
    gotify: { url: "n_server", token: "n_appToken" }
  };
  const EVENTS = ["success", "failure", "recovery"];

  function el(tag, props, kids) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const k of kids || []) e.append(k);
    return e;
  }

  function notifyRow(id, labelKey, control) {
    return el("div", { className: "row" }, [el("label", { htmlFor: id, textContent: t(labelKey) }), control]);
  }

  function renderNotify() {
    const list = $("notifyList");
    list.replaceChildren();
    S.notify.forEach((ch, i) => {
      const box = el("div", { className: "nchan" });
      box.append(el("h3", { textContent: t("channelN", i + 1) }));
      const sel = el("select", { id: "n" + i + "type" });
      for (const k of S.notifyTypes) sel.append(el("option", { value: k, textContent: k }));
      sel.value = (ch.type || "").toLowerCase();
      sel.addEventListener("change", () => { ch.type = sel.value; S.notifyDirty = true; renderNotify(); });
      box.append(notifyRow(sel.id, "channelType", sel));
      const fields = NOTIFY_FIELDS[sel.value] || {};
      for (const f of ["url", "token", "to", "secret"]) {
        if (!fields[f]) continue;
        const inp = el("input", { id: "n" + i + f, value: ch[f] || "", spellcheck: false, autocomplete: "off" });
        inp.addEventListener("input", () => { ch[f] = inp.value; S.notifyDirty = true; });
        box.append(notifyRow(inp.id, fields[f], inp));
      }
      const evs = el("div", { className: "inline" });
      const chosen = ch.events && ch.events.length ? ch.events : EVENTS;
      for (const ev of EVENTS) {
        const cb = el("input", { type: "checkbox", id: "n" + i + "ev_" + ev, checked: chosen.includes(ev) });
        cb.addEventListener("change", () => {
          const boxes = evs.querySelectorAll("input");
          // An empty list means "all events" in the file: keep at least one ticked.
          if (![...boxes].some((b) => b.checked)) { cb.checked = true; return; }
          ch.events = EVENTS.filter((x, k) => boxes[k].checked);
          S.notifyDirty = true;
        });
        evs.append(el("label", {}, [cb, " " + t("ev_" + ev)]));
      }
      box.append(el("div", { className: "row" }, [el("span", { textContent: t("events") }), evs]));
      const tryBtn = el("button", { type: "button", id: "n" + i + "try", className: "btn", textContent: t("tryIt") });
      tryBtn.addEventListener("click", () => tryNotify(i, tryBtn));
      const rm = el("button", { type: "button", id: "n" + i + "remove", className: "btn", textContent: t("removeChannel") });
      rm.addEventListener("click", () => { S.notify.splice(i, 1); S.notifyDirty = true; renderNotify(); });
      box.append(el("div", { className: "row" }, [el("span"), el("div", { className: "inline" }, [tryBtn, rm])]));
      list.append(box);
    });
  }

  async function tryNotify(i, btn) {
    if (S.notifyDirty) { toast(t("notifySaveFirst"), true); return; }
    btn.disabled = true;
    try {
      const r = await call(API.notifyTest, { index: i });
      if (r && r.ok) toast(t("notifySent")); else toast(t("notifyFailed", (r && r.error) || "?"), true);
    } catch (e) {
      toast(e.message, true);
    } finally {
      btn.disabled = false;
    }
  }

  function addNotify() {
    S.notify.push({ type: "telegram", url: "", token: "", to: "", secret: "", events: EVENTS.slice() });
    S.notifyDirty = true;
    renderNotify();
  }

  // ---- entry management -----------------------------------------------------------------------
  function selectEntry(i) { storeEntry(); S.cur = i; renderEntryList(); loadEntry(); }
  function addEntry() {
    storeEntry();
    S.entries.push(newEntry());
    S.cur = S.entries.length - 1;
    renderEntryList(); loadEntry();
    $("renameRow").hidden = false; $("cfgName").value = ""; $("cfgName").focus();
  }
  function renameEntry() {
    const e = S.entries[S.cur];
    if (!e) return;
    $("renameRow").hidden = false; $("cfgName").value = e.Name; $("cfgName").focus(); $("cfgName").select();
  }
  function renameDone() {
    const e = S.entries[S.cur];
    if (e) e.Name = $("cfgName").value.trim();
    $("renameRow").hidden = true;
    renderEntryList();
    $("cfgSel").focus();
  }
  function deleteEntry() {
    const e = S.entries[S.cur];
    if (!e || !confirm(t("confirmDelete", entryLabel(e, S.cur)))) return;
    S.entries[S.cur] = null;
    const left = S.entries.findIndex((x) => x);
    S.cur = left;
    renderEntryList(); loadEntry();
  }

  // ---- status dashboard and log announcements ---------------------------------------------------
  const locale = () => (window.I18n.lang() === "zh" ? "zh-CN" : "en-GB");
  const pad = (n) => String(n).padStart(2, "0");
  // Local time as yyyy-MM-dd HH:mm (the log lines' style, the same in both languages).
  function fmtTime(unix) {
    if (!unix) return t("never");
    const d = new Date(unix * 1000);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function cell(tr, content, cls, label) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.setAttribute("data-label", label);
    if (content instanceof Node) td.appendChild(content); else td.textContent = content == null ? "" : content;
    tr.appendChild(td);
  }
  let lastStatus = null;
  function renderStatus(st) {
    if (!st) return;
    const rows = st.records || [];
    $("statusEmpty").hidden = rows.length > 0;
    $("statusTable").hidden = rows.length === 0;
    const body = $("statusBody");
    body.textContent = "";
    for (const d of rows) {
      const tr = document.createElement("tr");
      const name = document.createElement("span");
      name.textContent = d.domain + " ";
      const kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = d.type + (d.entryName ? " · " + d.entryName : "");
      const dom = document.createElement("span");
      dom.append(name, kind);
      cell(tr, dom, "", t("domain"));
      cell(tr, d.published || "—", "addr", t("address"));
      const pill = document.createElement("span");
      const res = d.outcome || "planned";
      pill.className = "pill " + res;
      const label = t("r_" + res);
      pill.textContent = label === "r_" + res ? res : label;
      if (d.checkedAt) pill.title = t("checked") + ": " + fmtTime(d.checkedAt);
      cell(tr, pill, "", t("result"));
      cell(tr, fmtTime(d.changedAt), "when", t("changed"));
      cell(tr, d.error || "", "err", t("lastError"));
      body.appendChild(tr);
    }
    $("statusAge").textContent = st.running ? t("running") : t("refreshed", new Date().toLocaleTimeString(locale()));
  }
  // ---- history: a timeline and a step chart of addresses per record, with restore buttons ----
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }
  // Each distinct address gets a level; the line steps at each write (attributes only: the CSP
  // forbids inline styles).
  function historyChart(items) {
    const W = 600, H = 90, P = 6;
    const values = [];
    for (const e of items) if (values.indexOf(e.new) < 0) values.push(e.new);
    // The axis ends a little after the last write, so a long quiet spell does not squash it.
    const first = items[0].time, last = items[items.length - 1].time;
    const t0 = first, t1 = last + Math.max(60, (last - first) / 10);
    const x = (ts) => P + (W - 2 * P) * (t1 > t0 ? (ts - t0) / (t1 - t0) : 1);
    const y = (v) => values.length < 2 ? H / 2 : P + (H - 2 * P) * values.indexOf(v) / (values.length - 1);
    let d = "";
    items.forEach((e, i) => { d += (i ? "H" + x(e.time).toFixed(1) + "V" : "M" + x(e.time).toFixed(1) + " ") + y(e.new).toFixed(1); });
    d += "H" + x(t1).toFixed(1);
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, class: "hchart", role: "img" });
    const title = svgEl("title", {});
    title.textContent = values.join(" → ");
    svg.appendChild(title);
    svg.appendChild(svgEl("path", { d: d, fill: "none", stroke: "currentColor", "stroke-width": "2" }));
    for (const e of items) svg.appendChild(svgEl("circle", { cx: x(e.time).toFixed(1), cy: y(e.new).toFixed(1), r: "3", fill: "currentColor" }));
    return svg;
  }
  async function restore(e, value) {
    if (!confirm(t("histRestoreQ", value, e.domain, e.type))) return;
    try {
      const r = await call(API.rollback, { entry: e.entry, domain: e.domain, type: e.type, value: value });
      toast(t("histRestored", r.domain, r.type, r.value));
      loadHistory();
      setTimeout(refreshStatus, 500);
    } catch (err) { toast(err.message, true); }
  }
  async function loadHistory() {
    let h;
    try { h = await call(API.history); } catch (e) { toast(e.message, true); return; }
    const groups = new Map();
    for (const e of h.entries || []) {
      const k = e.domain + " " + e.type;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(e);
    }
    const list = $("histList");
    list.textContent = "";
    $("histEmpty").hidden = groups.size > 0;
    for (const [k, items] of groups) {
      const box = document.createElement("div");
      box.className = "hrec";
      const head = document.createElement("h3");
      head.textContent = k;
      box.append(head, historyChart(items));
      const ol = document.createElement("ol");
      ol.className = "hlist";
      const current = items[items.length - 1].new;
      const shown = items.slice(-20).reverse();
      shown.forEach((e, i) => {
        const li = document.createElement("li");
        const label = t("h_" + e.reason);
        li.textContent = fmtTime(e.time) + " · " + (e.old || "—") + " → " + e.new + " · " + (label === "h_" + e.reason ? e.reason : label) + " (" + e.source + ", " + e.provider + ")";
        // Each earlier write offers its value back; the oldest shown also offers what it replaced.
        const offer = i === shown.length - 1 ? [e.new, e.old] : [e.new];
        for (const v of offer) {
          if (!v || v === current) continue;
          const b = document.createElement("button");
          b.type = "button";
          b.className = "btn ghost small";
          b.textContent = t("histRestore") + " " + v;
          b.addEventListener("click", () => restore(e, v));
          li.append(" ", b);
        }
        ol.appendChild(li);
      });
      box.appendChild(ol);
      list.appendChild(box);
    }
  }

  async function refreshStatus() {
    if (document.hidden) return; // a background tab costs the server nothing
    let st;
    try { st = await call(API.status); } catch (e) { return; } // the next poll retries
    lastStatus = st;
    renderStatus(st);
    if (typeof st.logTotal === "number" && st.logTotal !== S.logTotal) fetchNewLogs(st.logTotal);
  }
  async function updateNow() {
    const btn = $("updateNow");
    btn.disabled = true;
    try { await call(API.update, {}); toast(t("updateStarted")); setTimeout(refreshStatus, 1000); }
    catch (e) { toast(e.message, true); }
    finally { setTimeout(() => { btn.disabled = false; }, 1000); }
  }

  // ---- logs -----------------------------------------------------------------------------------
  // Lines are numbered by the server; the number of the last line the user has seen is kept in
  // localStorage so a reload does not announce old lines again. A smaller total than remembered
  // means the server restarted: everything is new then.
  function seenTotal() { try { return Number(localStorage.getItem("logSeen")) || 0; } catch (e) { return 0; } }
  function markSeen() {
    try { localStorage.setItem("logSeen", String(S.logTotal)); } catch (e) { /* ignore */ }
    $("logBadge").hidden = true;
  }
  async function fetchNewLogs(total) {
    if (total < S.logTotal) { S.logTotal = 0; S.logs = []; } // the server restarted: numbering starts again
    const before = S.logTotal;
    let r;
    try { r = await call(API.logs + "?after=" + before); } catch (e) { return; }
    if (!r || !Array.isArray(r.lines) || S.logTotal !== before) return; // a concurrent poll got them
    S.logs = S.logs.concat(r.lines).slice(-100);
    S.logTotal = r.total;
    if ($("logsDlg").open) { showLogs(); markSeen(); return; }
    let seen = seenTotal();
    if (seen > S.logTotal) seen = 0;
    const unread = S.logTotal - seen;
    $("logBadge").hidden = unread <= 0;
    $("logBadge").textContent = String(unread);
    // Toasts only for lines that are unseen and arrived while this page is open or since the
    // user last looked (not the whole backlog on a first visit).
    if (before === 0 && seen === 0) return;
    const fresh = r.lines.slice(Math.max(0, r.lines.length - unread));
    if (fresh.length === 0) return;
    if (fresh.length <= 3) fresh.forEach((l) => toast(l));
    else toast(t("newLogs", fresh.length) + "\n" + fresh.slice(-2).join("\n"));
  }
  function showLogs() {
    const ta = $("logText");
    ta.value = S.logs.join("\n");
    ta.scrollTop = ta.scrollHeight;
  }
  function openLogs() {
    $("logsDlg").showModal();
    showLogs();
    markSeen();
  }
  async function clearLogs() {
    try { await call(API.clearLog, {}); S.logs = []; showLogs(); markSeen(); } catch (e) { toast(e.message, true); }
  }

  // ---- header: language, theme ----------------------------------------------------------------
  function setLang(l, tell) {
    window.I18n.set(l);
    $("langSel").value = window.I18n.lang();
    renderTheme();
    if (S.conf) { renderEntryList(); syncVisibility(); renderStatus(lastStatus); renderNotify(); }
    if (tell) call(API.setLang, { Lang: window.I18n.lang() }).catch((e) => toast(e.message, true));
  }
  function renderTheme() { $("themeLabel").textContent = t("theme_" + window.Theme.get()); }

  // ---- wiring ---------------------------------------------------------------------------------
  function wire() {
    $("form").addEventListener("submit", save);
    $("cfgSel").addEventListener("change", (e) => selectEntry(Number(e.target.value)));
    $("cfgAdd").addEventListener("click", addEntry);
    $("cfgRename").addEventListener("click", renameEntry);
    $("cfgRenameOk").addEventListener("click", renameDone);
    $("cfgName").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); renameDone(); }
      if (e.key === "Escape") { $("renameRow").hidden = true; }
    });
    $("cfgDelete").addEventListener("click", deleteEntry);
    $("dnsName").addEventListener("change", syncVisibility);
    $("dnsPreset").addEventListener("change", (e) => {
      if (e.target.value) $("dnsExt").value = e.target.value;
      e.target.value = "";
    });
    for (const f of ["v4", "v6"]) {
      $(f + "Enable").addEventListener("change", syncVisibility);
      for (const r of document.getElementsByName(f + "Type")) r.addEventListener("change", syncVisibility);
    }
    $("v6If").addEventListener("change", previewV6);
    $("v6Reg").addEventListener("input", previewV6);
    $("hookTest").addEventListener("click", async () => {
      try {
        await call(API.webhookTest, { URL: $("hookUrl").value, RequestBody: $("hookBody").value, Headers: $("hookHeaders").value });
        toast(t("hookSent"));
        setTimeout(refreshStatus, 1000);
      } catch (e) { toast(e.message, true); }
    });
    $("notifyAdd").addEventListener("click", addNotify);
    $("updateNow").addEventListener("click", updateNow);
    $("histLoad").addEventListener("click", loadHistory);
    $("logsBtn").addEventListener("click", openLogs);
    $("logsClose").addEventListener("click", () => $("logsDlg").close());
    $("logsClear").addEventListener("click", clearLogs);
    $("langSel").addEventListener("change", (e) => setLang(e.target.value, true));
    $("themeBtn").addEventListener("click", () => { window.Theme.next(); renderTheme(); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshStatus(); });
  }

  async function start() {
    window.I18n.apply();
    $("langSel").value = window.I18n.lang();
    renderTheme();
    wire();
    try { await load(); } catch (e) { toast(e.message, true); }
    refreshStatus();
    setInterval(refreshStatus, STATUS_EVERY_MS);
  }
  start();
})();
