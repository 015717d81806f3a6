// Translations (English and Simplified Chinese) and the language choice shared by both pages.
// Elements carry data-i18n="key" (text) or data-i18n-attr="attr:key;attr:key" (attributes).
(function () {
  "use strict";
  var D = {
    en: {
      skip: "Skip to content", logs: "Logs", language: "Language", logout: "Logout",
      themeHint: "Colour theme: follow the system, light or dark",
      theme_auto: "◐ Auto", theme_light: "☀ Light", theme_dark: "☾ Dark",
      status: "Status", updateNow: "Update now", updating: "Updating…", updateStarted: "Update started",
      statusEmpty: "No domain has been checked yet.",
      history: "History", histShow: "Show", histEmpty: "No record has been written yet.",
      histRestore: "Restore", histRestoreQ: "Write {0} to {1} {2} now?", histRestored: "{0} {1} now holds {2}",
      h_changed: "changed", h_created: "created", h_forced: "written", h_rollback: "rolled back",
      domain: "Domain", address: "Address", result: "Result", changed: "Changed", lastError: "Last error",
      checked: "Checked", never: "never", refreshed: "refreshed {0}",
      r_updated: "updated", r_unchanged: "unchanged", r_failed: "failed", r_planned: "planned", r_waiting: "waiting", running: "updating…",
      configs: "Config entries", entry: "Entry", add: "Add", rename: "Rename", "delete": "Delete",
      name: "Name", ok: "OK", confirmDelete: "Delete entry “{0}”? It is removed when you save.",
      entryN: "Entry {0}", noEntry: "No config entry. Add one to start.",
      dnsProvider: "DNS provider", provider: "Provider", createKey: "Create a key",
      auto: "Auto", "default": "Default", httpIf: "Http interface",
      httpIfHelp: "Send the provider's API requests through this interface (like curl --interface).",
      enabled: "Enabled", getType: "Get IP by", byUrl: "URL", byIf: "Network interface", byCmd: "Command", byPush: "Router push",
      pushSourceHelp: "No detection: the address is the one your router pushes to /nic/update (set the credentials under “Router push” below; see docs/router-push.md).",
      pushTitle: "Router push", preset: "Preset", presetPick: "Choose a service…",
      pushHelp: "Routers (Fritz!Box, UniFi, Synology, OpenWrt…) can push their address to http://this-host:port/nic/update with these credentials; entries whose source is “Router push” publish it. Not the login of this page. Both empty = off.",
      urls: "URLs", urlHelp: "Comma-separated; tried in order until one returns an address.",
      iface: "Interface", command: "Command", cmdHelp: "Run by the shell; the first address in its output is used.",
      domains: "Domains", domainsHelp: "One per line, e.g. www.example.com or www:example.com?param=value",
      advanced: "Advanced (ddns-rs only)", sources: "Agreeing sources", agree: "Must agree",
      sourcesHelp: "One per line: https:// echo URLs, dns:opendns, dns:google, dns:cloudflare, stun:host:port. When set, they replace “Get IP by” and an address is published only when enough of them give it.",
      agreeHelp: "How many sources must give the same address (empty = 2).",
      suffix: "Host suffix", suffixHelp: "Publish the detected prefix + this interface ID, for another LAN host whose prefix moves with the router's. Empty = off.",
      prefixLen: "Prefix length", prefixLenHelp: "Bits kept from the detected address when a suffix is set (empty = 64).",
      v6Reg: "Select address", v6RegHelp: "Empty = first address; @2 = the second; otherwise a regular expression.",
      matched: "Matched: {0}", noMatch: "No match found", outOfRange: "Index out of range",
      badRegex: "Invalid regular expression", noAddr: "This interface has no IPv6 address",
      reqBody: "Request body", headers: "Headers", tryIt: "Try it", tryHint: "The result appears in the logs.",
      hookHelp: "Empty body = GET. Variables: #{ipv4Addr} #{ipv4Result} #{ipv4Domains} #{ipv6Addr} #{ipv6Result} #{ipv6Domains}",
      headersHelp: "One \"Name: value\" per line.", hookSent: "Webhook sent; see the logs",
      notifications: "Notifications", addChannel: "Add a channel", removeChannel: "Remove",
      notifyHelp: "Ready-made channels, each sent the events you tick. Save before trying a new or changed channel.",
      channelType: "Service", channelN: "Channel {0}", events: "Events",
      ev_success: "Update succeeded", ev_failure: "Update failed", ev_recovery: "Recovered",
      n_webhookUrl: "Webhook URL", n_signSecret: "Signing secret (optional)", n_botToken: "Bot token",
      n_chatId: "Chat ID", n_apiBase: "API server (optional)", n_deviceKey: "Device key",
      n_server: "Server URL", n_serverOpt: "Server URL (optional)", n_sendKey: "SendKey",
      n_topic: "Topic", n_accessToken: "Access token (optional)", n_appToken: "App token",
      notifySaveFirst: "Save first, then try this channel", notifySent: "Test message sent",
      notifyFailed: "Test failed: {0}",
      others: "Access", noWan: "Deny access from the internet (only LAN addresses)",
      username: "Username", password: "Password", passHelp: "Leave empty to keep the current password.",
      save: "Save", saving: "Saving…", saved: "Saved. An update runs now.",
      clear: "Clear", close: "Close", newLogs: "{0} new log lines",
      netErr: "Cannot reach ddns-rs: {0}", sessionEnded: "Session ended, please log in again",
      // login page
      loginTitle: "Log in", login: "Log in", setupTitle: "Create the administrator account",
      setup: "Create account and log in",
      setupHint: "No account exists yet. Choose a username and a strong password (long, mixed characters); you must do this within 30 minutes of starting ddns‑rs.",
      loggingIn: "Logging in…",
      setupClosed: "The account had to be created before {0}. Restart ddns‑rs to open the 30-minute window again."
    },
    zh: {
      skip: "跳到正文", logs: "日志", language: "语言", logout: "退出",
      themeHint: "配色：跟随系统、浅色或深色",
      theme_auto: "◐ 自动", theme_light: "☀ 浅色", theme_dark: "☾ 深色",
      status: "状态", updateNow: "立即更新", updating: "更新中…", updateStarted: "已开始更新",
      statusEmpty: "还没有检查过任何域名。",
      history: "历史", histShow: "显示", histEmpty: "还没有写入过任何记录。",
      histRestore: "恢复", histRestoreQ: "现在把 {0} 写入 {1} {2}？", histRestored: "{0} {1} 现在是 {2}",
      h_changed: "已更改", h_created: "已创建", h_forced: "已写入", h_rollback: "已回滚",
      domain: "域名", address: "地址", result: "结果", changed: "变更时间", lastError: "最近错误",
      checked: "检查时间", never: "从未", refreshed: "刷新于 {0}",
      r_updated: "已更新", r_unchanged: "未变化", r_failed: "失败", r_planned: "待更新", r_waiting: "等待推送", running: "更新中…",
      configs: "配置", entry: "当前配置", add: "添加", rename: "重命名", "delete": "删除",
      name: "名称", ok: "确定", confirmDelete: "删除配置“{0}”？保存后生效。",
      entryN: "配置 {0}", noEntry: "没有配置，请添加一个。",
      dnsProvider: "DNS 服务商", provider: "服务商", createKey: "创建密钥",
      auto: "自动", "default": "默认", httpIf: "Http 网卡",
      httpIfHelp: "通过此网卡访问服务商的 API（类似 curl --interface）。",
      enabled: "启用", getType: "获取 IP 方式", byUrl: "通过接口", byIf: "通过网卡", byCmd: "通过命令", byPush: "路由器推送",
      pushSourceHelp: "不检测地址：使用路由器推送到 /nic/update 的地址（在下方“路由器推送”中设置账号；见 docs/router-push.md）。",
      pushTitle: "路由器推送", preset: "预设", presetPick: "选择服务…",
      pushHelp: "路由器（Fritz!Box、UniFi、群晖、OpenWrt 等）可用此账号把地址推送到 http://本机:端口/nic/update；获取方式为“路由器推送”的配置会发布它。与本页面登录账号无关。两项都留空 = 关闭。",
      urls: "接口地址", urlHelp: "用逗号分隔；依次尝试，直到获得地址。",
      iface: "网卡", command: "命令", cmdHelp: "由 shell 执行；使用输出中的第一个地址。",
      domains: "域名", domainsHelp: "每行一个，例如 www.example.com 或 www:example.com?param=value",
      advanced: "高级（仅 ddns-rs）", sources: "一致性来源", agree: "需一致数",
      sourcesHelp: "每行一个：https:// 回显地址、dns:opendns、dns:google、dns:cloudflare、stun:主机:端口。设置后将代替“获取 IP 方式”，只有足够多的来源给出相同地址时才发布。",
      agreeHelp: "需要多少个来源给出相同地址（留空为 2）。",
      suffix: "主机后缀", suffixHelp: "发布检测到的前缀 + 此接口标识，用于前缀随路由器变化的局域网内其他主机。留空 = 关闭。",
      prefixLen: "前缀长度", prefixLenHelp: "设置后缀时从检测到的地址中保留的位数（留空为 64）。",
      v6Reg: "选择地址", v6RegHelp: "留空为第一个地址；@2 为第二个；其他为正则表达式。",
      matched: "匹配：{0}", noMatch: "没有匹配", outOfRange: "序号超出范围",
      badRegex: "正则表达式无效", noAddr: "此网卡没有 IPv6 地址",
      reqBody: "请求体", headers: "请求头", tryIt: "试一试", tryHint: "结果显示在日志中。",
      hookHelp: "请求体为空时使用 GET。变量：#{ipv4Addr} #{ipv4Result} #{ipv4Domains} #{ipv6Addr} #{ipv6Result} #{ipv6Domains}",
      headersHelp: "每行一个 “名称: 值”。", hookSent: "已发送 Webhook，请查看日志",
      notifications: "通知", addChannel: "添加通知渠道", removeChannel: "删除",
      notifyHelp: "现成的通知渠道，按勾选的事件发送。新增或修改的渠道请先保存再试。",
      channelType: "服务", channelN: "渠道 {0}", events: "事件",
      ev_success: "更新成功", ev_failure: "更新失败", ev_recovery: "已恢复",
      n_webhookUrl: "Webhook 地址", n_signSecret: "加签密钥（可选）", n_botToken: "Bot Token",
      n_chatId: "Chat ID", n_apiBase: "API 服务器（可选）", n_deviceKey: "设备 Key",
      n_server: "服务器地址", n_serverOpt: "服务器地址（可选）", n_sendKey: "SendKey",
      n_topic: "主题", n_accessToken: "访问令牌（可选）", n_appToken: "应用 Token",
      notifySaveFirst: "请先保存，再试这个渠道", notifySent: "测试消息已发送",
      notifyFailed: "测试失败：{0}",
      others: "访问控制", noWan: "禁止从公网访问（仅允许局域网地址）",
      username: "用户名", password: "密码", passHelp: "留空则保持当前密码。",
      save: "保存", saving: "保存中…", saved: "已保存，正在更新。",
      clear: "清空", close: "关闭", newLogs: "{0} 条新日志",
      netErr: "无法连接 ddns-rs：{0}", sessionEnded: "会话已结束，请重新登录",
      loginTitle: "登录", login: "登录", setupTitle: "创建管理员账号",
      setup: "创建账号并登录",
      setupHint: "尚未创建账号。请设置用户名和强密码（较长、混合多种字符）；须在 ddns‑rs 启动后 30 分钟内完成。",
      loggingIn: "登录中…",
      setupClosed: "需在 {0} 前创建账号。请重启 ddns‑rs 以重新开放 30 分钟的设置时间。"
    }
  };
  var KEY = "lang";
  function norm(l) { return String(l || "").toLowerCase().indexOf("zh") === 0 ? "zh" : "en"; }
  function stored() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  // The remembered choice first, then the browser's preferred language.
  var cur = norm(stored() || navigator.language || "en");

  function t(key) {
    var s = (D[cur] && D[cur][key]) || D.en[key] || key;
    for (var i = 1; i < arguments.length; i++) s = s.split("{" + (i - 1) + "}").join(String(arguments[i]));
    return s;
  }
  function apply(root) {
    root = root || document;
    document.documentElement.lang = cur === "zh" ? "zh-CN" : "en";
    var els = root.querySelectorAll("[data-i18n]");
    for (var i = 0; i < els.length; i++) els[i].textContent = t(els[i].getAttribute("data-i18n"));
    els = root.querySelectorAll("[data-i18n-attr]");
    for (i = 0; i < els.length; i++) {
      var pairs = els[i].getAttribute("data-i18n-attr").split(";");
      for (var j = 0; j < pairs.length; j++) {
        var p = pairs[j].split(":");
        if (p.length === 2) els[i].setAttribute(p[0], t(p[1]));
      }
    }
  }
  function set(l) {
    cur = norm(l);
    try { localStorage.setItem(KEY, cur); } catch (e) { /* not remembered in private mode */ }
    apply();
  }
  window.I18n = { t: t, apply: apply, set: set, norm: norm, lang: function () { return cur; },
    remembered: function () { return !!stored(); } };
})();
