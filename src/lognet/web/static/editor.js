// lognet setup-networks editor: stages a setup-networks delta in the browser, has every change checked by the
// API's dry run (through /ui/hosts/{id}/editor) and applies it. Every drag has a menu equivalent.
(function () {
  "use strict";
  var FIELDS = ["modified_network_attachments", "removed_network_attachments", "modified_bonds",
                "removed_bonds", "synchronized_network_attachments"];
  var E = {host: null, delta: empty(), history: [], expanded: [], q: "", offset: 0, state: null};
  window.lognetEditor = E;

  function empty() { var d = {}; FIELDS.forEach(function (f) { d[f] = []; }); return d; }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }
  function $(id) { return document.getElementById(id); }
  function esc(s) { var d = document.createElement("div"); d.textContent = String(s); return d.innerHTML; }
  function S() { return E.state; }
  function isStaged() { return FIELDS.some(function (f) { return E.delta[f].length > 0; }); }

  // -- talking to the console (which asks the API) ------------------------------------------------
  function post(url, body) {
    return fetch(url, {method: "POST", headers: lognet.headers({"Content-Type": "application/json"}),
                       body: JSON.stringify(body)});
  }
  function render() {
    return post("/ui/hosts/" + E.host + "/editor",
                {delta: E.delta, expanded: E.expanded, q: E.q, offset: E.offset}).then(function (r) {
      if (r.headers.get("HX-Redirect")) { window.location.href = r.headers.get("HX-Redirect"); }
      return r.text().then(function (text) {
        if (r.headers.get("X-Valid") === "false") {
          return {ok: false, html: text, field: r.headers.get("X-Error-Field") || ""};
        }
        var focused = document.activeElement && document.activeElement.dataset ?
          [document.activeElement.dataset.kind, document.activeElement.dataset.name] : null;
        var box = $("hn-editor");
        box.innerHTML = text;
        if (window.htmx) { htmx.process(box); }
        E.state = JSON.parse($("hn-state").textContent);
        if (focused && focused[0]) {
          var again = box.querySelector('[data-kind="' + focused[0] + '"][data-name="' + CSS.escape(focused[1] || "") + '"]');
          if (again) { again.focus(); }
        }
        return {ok: true};
      });
    });
  }
  function status(html, cls) {
    var s = $("hn-status");
    if (s) { s.className = "hn-status " + cls; s.innerHTML = html; }
  }
  // Stage one change: keep it only when the dry run accepts the whole delta.
  function stage(label, mutate, onRefused) {
    var before = clone(E.delta);
    mutate(E.delta);
    return render().then(function (res) {
      if (!res.ok) {
        E.delta = before;
        status("<b>" + esc(label) + "</b> — " + res.html, "invalid");
        if (onRefused) { onRefused(res); }
        return false;
      }
      E.history.push(before);
      status("<b>Staged:</b> " + esc(label) + " — <b>valid</b> (API dry run). " + esc(String(($("hn-diff") || {children: []}).children.length)) +
             " change(s) on the host; review below and apply.", "staged");
      return true;
    });
  }

  // -- the delta (oVirt's setup-networks request) ------------------------------------------------
  function modIndex(d, net) {
    for (var i = 0; i < d.modified_network_attachments.length; i++) {
      if (d.modified_network_attachments[i].network === net) { return i; }
    }
    return -1;
  }
  function baseId(net) { return S().baseline.atts[net]; }
  function attach(d, net, iface) {
    var id = baseId(net);
    if (id) { d.removed_network_attachments = d.removed_network_attachments.filter(function (x) { return x !== id; }); }
    var i = modIndex(d, net);
    if (i >= 0) { d.modified_network_attachments[i].nic = iface; } else { d.modified_network_attachments.push({network: net, nic: iface}); }
  }
  function detach(d, net) {
    var i = modIndex(d, net);
    if (i >= 0) { d.modified_network_attachments.splice(i, 1); }
    var id = baseId(net);
    if (id && d.removed_network_attachments.indexOf(id) < 0) { d.removed_network_attachments.push(id); }
  }
  function setIp(d, net, ip) {
    var i = modIndex(d, net);
    if (i >= 0) { d.modified_network_attachments[i].ip_configuration = ip; }
    else { d.modified_network_attachments.push({network: net, nic: S().atts[net].nic, ip_configuration: ip}); }
  }
  function netsOn(iface) {
    return Object.keys(S().atts).filter(function (n) { return S().atts[n].nic === iface; });
  }
  function bondOf(nic) {
    var bonds = S().bonds;
    for (var b in bonds) { if (bonds[b].slaves.indexOf(nic) >= 0) { return b; } }
    return null;
  }
  function setBond(d, name, slaves, mode) {
    d.removed_bonds = d.removed_bonds.filter(function (x) { return x !== name; });
    var m = mode || (S().bonds[name] || {}).mode || "802.3ad";
    var item = d.modified_bonds.filter(function (b) { return b.name === name; })[0];
    if (item) { item.slaves = slaves; item.mode = m; } else { d.modified_bonds.push({name: name, slaves: slaves, mode: m}); }
  }
  function dropBond(d, name) {
    d.modified_bonds = d.modified_bonds.filter(function (b) { return b.name !== name; });
    if (S().baseline.bonds.indexOf(name) >= 0 && d.removed_bonds.indexOf(name) < 0) { d.removed_bonds.push(name); }
  }
  function nextBondName(d) {
    var used = Object.keys(S().bonds).concat(S().baseline.bonds, d.modified_bonds.map(function (b) { return b.name; }));
    for (var i = 0; ; i++) { if (used.indexOf("bond" + i) < 0) { return "bond" + i; } }
  }
  function breakBond(d, bond) {
    var first = S().bonds[bond].slaves[0];
    netsOn(bond).forEach(function (n) { attach(d, n, first); });
    dropBond(d, bond);
  }
  function removeFromBond(d, nic) {
    var bond = bondOf(nic);
    var rest = S().bonds[bond].slaves.filter(function (s) { return s !== nic; });
    if (rest.length >= 2) { setBond(d, bond, rest); } else { breakBond(d, bond); }
  }
  function addToBond(d, nic, bond) {
    var old = bondOf(nic);
    if (old) { removeFromBond(d, nic); }
    setBond(d, bond, S().bonds[bond].slaves.concat([nic]));
    netsOn(nic).forEach(function (n) { attach(d, n, bond); });
  }
  function makeBond(d, a, b, mode) {
    [a, b].forEach(function (nic) { if (bondOf(nic)) { removeFromBond(d, nic); } });
    var name = nextBondName(d);
    setBond(d, name, [b, a], mode || "802.3ad");
    netsOn(a).concat(netsOn(b)).forEach(function (n) { attach(d, n, name); });
    return name;
  }
  function sync(d, net) {
    var id = baseId(net);
    if (id && d.synchronized_network_attachments.indexOf(id) < 0) { d.synchronized_network_attachments.push(id); }
  }

  // -- operations: what a drop (or a menu entry) means ------------------------------------------
  function ifaceOf(target) {
    if (target.dataset.kind === "nic" && target.dataset.bond) { return target.dataset.bond; }
    return target.dataset.name;
  }
  function operation(src, target) {
    if (!target) { return null; }
    var kind = src.dataset.drag, name = src.dataset.name, off = target.dataset.drop === "off";
    if (kind === "net") {
      var from = (S().atts[name] || {}).nic;
      if (off) { return from ? {label: "Detach " + name + " from " + from, run: function (d) { detach(d, name); }} : null; }
      var iface = ifaceOf(target);
      if (iface === from) { return null; }
      return {label: (from ? "Move " + name + " from " + from + " to " : "Attach " + name + " to ") + iface,
              run: function (d) { attach(d, name, iface); }};
    }
    if (kind === "nic") {
      var bond = bondOf(name);
      if (off) { return bond ? {label: "Take " + name + " out of " + bond, run: function (d) { removeFromBond(d, name); }} : null; }
      if (target.dataset.name === name) { return null; }
      var tbond = target.dataset.kind === "bond" ? target.dataset.name : (target.dataset.bond || null);
      if (tbond) {
        if (tbond === bond) { return null; }
        return {label: "Add " + name + " to " + tbond, run: function (d) { addToBond(d, name, tbond); }};
      }
      var other = target.dataset.name;
      return {label: "Bond " + name + " with " + other, run: function (d) { makeBond(d, name, other); }};
    }
    if (kind === "bond" && off) {
      return {label: "Break bond " + name, run: function (d) { breakBond(d, name); }};
    }
    return null;
  }

  // -- pointer drag and drop ---------------------------------------------------------------------
  var drag = null, suppressClick = false;
  function dropTarget(x, y) {
    var el = document.elementFromPoint(x, y);
    return el && el.closest ? el.closest("[data-drop]") : null;
  }
  document.addEventListener("pointerdown", function (e) {
    var src = e.target.closest && e.target.closest("#hostnet [data-drag]");
    if (!src || e.button !== 0 || !S() || !S().admin) { return; }
    drag = {src: src, x: e.clientX, y: e.clientY, started: false, target: null, ghost: null};
    e.preventDefault();
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    if (!drag.started) {
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 5) { return; }
      drag.started = true;
      drag.ghost = document.createElement("div");
      drag.ghost.className = "drag-ghost";
      drag.ghost.textContent = drag.src.dataset.name;
      document.body.appendChild(drag.ghost);
      document.body.classList.add("dragging");
    }
    drag.ghost.style.left = (e.clientX + 12) + "px";
    drag.ghost.style.top = (e.clientY + 8) + "px";
    var t = dropTarget(e.clientX, e.clientY);
    if (drag.target && drag.target !== t) { drag.target.classList.remove("drop-ok", "drop-no"); }
    drag.target = t;
    var op = operation(drag.src, t);
    if (t) { t.classList.add(op ? "drop-ok" : "drop-no"); }
    status(op ? "Drop to: <b>" + esc(op.label) + "</b>" : "No valid action here", op ? "hint" : "hint-no");
  });
  document.addEventListener("pointerup", function (e) {
    if (!drag) { return; }
    var d = drag; drag = null;
    if (d.ghost) { d.ghost.remove(); }
    document.body.classList.remove("dragging");
    if (d.target) { d.target.classList.remove("drop-ok", "drop-no"); }
    if (!d.started) { openMenu(d.src); return; }
    suppressClick = true;
    setTimeout(function () { suppressClick = false; }, 0);
    var op = operation(d.src, dropTarget(e.clientX, e.clientY));
    if (op) { stage(op.label, op.run); } else { status("No valid action: nothing changed", "idle"); }
  });

  // -- keyboard: every drag has a menu ------------------------------------------------------------
  function ifaces() {
    var out = S().nics.filter(function (n) { return !bondOf(n); });
    return out.concat(Object.keys(S().bonds));
  }
  function options(list, skip) {
    return list.filter(function (x) { return x !== skip; }).map(function (x) {
      return '<option value="' + esc(x) + '">' + esc(x) + "</option>";
    }).join("");
  }
  function openMenu(src) {
    var menu = $("hn-menu");
    if (!menu || !S() || !S().admin) { return; }
    var kind = src.dataset.kind, name = src.dataset.name, html = "";
    if (kind === "net") {
      var at = S().atts[name];
      html = "<h3>Network " + esc(name) + "</h3>" + (at ? '<p class="muted">on ' + esc(at.nic) + "</p>" : '<p class="muted">not on this host</p>');
      html += '<div class="row"><label>' + (at ? "Move to" : "Attach to") + ' <select data-m="iface">' + options(ifaces(), at && at.nic) +
              '</select></label> <button type="button" data-act="attach">' + (at ? "Move" : "Attach") + "</button></div>";
      if (at) {
        html += '<div class="row"><button type="button" data-act="detach">Detach from host</button> <button type="button" data-act="ip">Edit IP settings…</button>';
        if (S().unsync.indexOf(name) >= 0) { html += ' <button type="button" data-act="sync">Sync</button>'; }
        html += "</div>";
      }
    } else if (kind === "nic") {
      var bond = bondOf(name), free = S().nics.filter(function (n) { return !bondOf(n) && n !== name; });
      html = "<h3>NIC " + esc(name) + "</h3>" + (bond ? '<p class="muted">slave of ' + esc(bond) + "</p>" : "");
      if (bond) { html += '<div class="row"><button type="button" data-act="unbond">Remove from ' + esc(bond) + "</button></div>"; }
      else if (free.length) {
        html += '<div class="row"><label>Bond with <select data-m="peer">' + options(free) + '</select></label> <label>mode <select data-m="mode">' +
                options(["802.3ad", "active-backup", "balance-xor", "broadcast", "balance-rr", "balance-tlb", "balance-alb"]) +
                '</select></label> <button type="button" data-act="bond">Create bond</button></div>';
      }
      var bonds = Object.keys(S().bonds).filter(function (b) { return b !== bond; });
      if (bonds.length) { html += '<div class="row"><label>Add to <select data-m="bond">' + options(bonds) + '</select></label> <button type="button" data-act="addbond">Add to bond</button></div>'; }
    } else if (kind === "bond") {
      var b = S().bonds[name];
      html = "<h3>Bond " + esc(name) + '</h3><p class="muted">' + esc(b.mode) + ": " + esc(b.slaves.join(", ")) + "</p>";
      html += '<div class="row"><label>Mode <select data-m="mode">' + options([b.mode, "802.3ad", "active-backup", "balance-xor", "broadcast", "balance-rr", "balance-tlb", "balance-alb"].filter(function (m, i, a) { return a.indexOf(m) === i; })) +
              '</select></label> <button type="button" data-act="mode">Change mode</button></div><div class="row"><button type="button" data-act="break">Break bond</button></div>';
    } else { return; }
    menu.innerHTML = html + '<p class="muted small">Esc closes this menu.</p>';
    menu.dataset.forKind = kind; menu.dataset.forName = name;
    var first = menu.querySelector("select, button");
    if (first) { first.focus(); }
  }
  function menuValue(key) { var el = $("hn-menu").querySelector('[data-m="' + key + '"]'); return el ? el.value : null; }
  function menuAction(act) {
    var menu = $("hn-menu"), name = menu.dataset.forName;
    var acts = {
      attach: function () { var i = menuValue("iface"); stage((S().atts[name] ? "Move " : "Attach ") + name + " to " + i, function (d) { attach(d, name, i); }); },
      detach: function () { stage("Detach " + name, function (d) { detach(d, name); }); },
      sync: function () { stage("Sync " + name, function (d) { sync(d, name); }); },
      ip: function () { ipForm(name); },
      unbond: function () { stage("Take " + name + " out of " + bondOf(name), function (d) { removeFromBond(d, name); }); },
      bond: function () { var p = menuValue("peer"), m = menuValue("mode"); stage("Bond " + name + " with " + p, function (d) { makeBond(d, name, p, m); }); },
      addbond: function () { var b = menuValue("bond"); stage("Add " + name + " to " + b, function (d) { addToBond(d, name, b); }); },
      mode: function () { var m = menuValue("mode"); stage("Set mode of " + name + " to " + m, function (d) { setBond(d, name, S().bonds[name].slaves, m); }); },
      "break": function () { stage("Break bond " + name, function (d) { breakBond(d, name); }); }
    };
    if (acts[act]) { acts[act](); }
  }
  function ipForm(net) {
    var ip = S().atts[net].ip || {}, v4 = ip.ipv4 || {}, v6 = ip.ipv6 || {};
    function sel(name, list, value) {
      return '<select name="' + name + '">' + list.map(function (x) { return "<option" + (x === (value || "none") ? " selected" : "") + ">" + x + "</option>"; }).join("") + "</select>";
    }
    function inp(name, label, value) {
      return '<label class="field" data-path="' + name + '">' + label + ' <input name="' + name + '" value="' + esc(value == null ? "" : value) + '"><span class="field-error"></span></label>';
    }
    $("hn-menu").innerHTML = '<form id="hn-ip-form" class="stack"><h3>IP settings of ' + esc(net) + "</h3>" +
      '<label class="field" data-path="ipv4.boot_protocol">IPv4 ' + sel("ipv4.boot_protocol", ["none", "static", "dhcp"], v4.boot_protocol) + '<span class="field-error"></span></label>' +
      inp("ipv4.address", "Address", v4.address) + inp("ipv4.netmask", "Netmask", v4.netmask) + inp("ipv4.gateway", "Gateway", v4.gateway) +
      '<label class="field" data-path="ipv6.boot_protocol">IPv6 ' + sel("ipv6.boot_protocol", ["none", "static", "dhcp", "autoconf"], v6.boot_protocol) + '<span class="field-error"></span></label>' +
      inp("ipv6.address", "Address", v6.address) + inp("ipv6.prefix", "Prefix", v6.prefix) + inp("ipv6.gateway", "Gateway", v6.gateway) +
      '<div class="row"><button class="primary" type="submit">Stage IP settings</button> <button type="button" data-act="cancel-ip">Cancel</button></div></form>';
    var form = $("hn-ip-form");
    function staticOnly() {  // the address fields are editable only with boot protocol static
      ["ipv4", "ipv6"].forEach(function (v) {
        var off = form.elements[v + ".boot_protocol"].value !== "static";
        form.querySelectorAll('input[name^="' + v + '."]').forEach(function (i) { i.disabled = off; });
      });
    }
    staticOnly();
    form.addEventListener("change", staticOnly);
    form.querySelector("select").focus();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var val = function (n) { return form.elements[n].value.trim(); };
      var cfg = {ipv4: {boot_protocol: val("ipv4.boot_protocol")}, ipv6: {boot_protocol: val("ipv6.boot_protocol")}};
      // Address fields belong to a static configuration only: switching to dhcp or none drops them.
      if (cfg.ipv4.boot_protocol === "static") {
        ["address", "netmask", "gateway"].forEach(function (k) { if (val("ipv4." + k)) { cfg.ipv4[k] = val("ipv4." + k); } });
      }
      if (cfg.ipv6.boot_protocol === "static") {
        ["address", "gateway"].forEach(function (k) { if (val("ipv6." + k)) { cfg.ipv6[k] = val("ipv6." + k); } });
        if (val("ipv6.prefix")) { cfg.ipv6.prefix = parseInt(val("ipv6.prefix"), 10); }
      }
      form.querySelectorAll("[data-path]").forEach(function (l) {
        l.classList.remove("invalid"); l.querySelector(".field-error").textContent = "";
      });
      stage("IP settings of " + net, function (d) { setIp(d, net, cfg); }, function (res) {
        var msg = res.html.replace(/<[^>]+>/g, "");
        var target = Array.prototype.filter.call(form.querySelectorAll("[data-path]"), function (l) {
          return res.field && res.field.slice(-l.dataset.path.length) === l.dataset.path;
        })[0] || form.querySelector("[data-path]");
        target.classList.add("invalid");
        target.querySelector(".field-error").textContent = msg;
      });
    });
  }

  // -- clicks, keys and controls -----------------------------------------------------------------
  document.addEventListener("click", function (e) {
    if (!$("hostnet")) { return; }
    var t = e.target;
    if (t.closest("#hn-menu [data-act]")) {
      var act = t.closest("[data-act]").dataset.act;
      if (act === "cancel-ip") { $("hn-menu").innerHTML = ""; return; }
      menuAction(act); return;
    }
    var fold = t.closest("[data-fold]");
    if (fold) {
      var f = fold.dataset.fold, i = E.expanded.indexOf(f);
      if (i >= 0) { E.expanded.splice(i, 1); } else { E.expanded.push(f); }
      render(); return;
    }
    if (t.closest("[data-sync]")) { var n = t.closest("[data-sync]").dataset.sync; stage("Sync " + n, function (d) { sync(d, n); }); return; }
    if (t.closest("[data-panel-offset]")) { E.offset = parseInt(t.closest("[data-panel-offset]").dataset.panelOffset, 10); render(); return; }
    if (t.id === "hn-undo") { if (E.history.length) { E.delta = E.history.pop(); render().then(function () { status("Undone.", isStaged() ? "staged" : "idle"); }); } return; }
    if (t.id === "hn-reset") { E.delta = empty(); E.history = []; render(); return; }
    if (t.id === "hn-apply") { apply(); return; }
    var item = t.closest("#hostnet [data-kind]");
    if (item && !suppressClick && !item.dataset.drag) { openMenu(item); }
  });
  document.addEventListener("keydown", function (e) {
    if (!$("hostnet")) { return; }
    if (e.key === "Escape" && $("hn-menu")) {
      var m = $("hn-menu"), back = m.dataset.forName && document.querySelector('#hostnet [data-kind="' + m.dataset.forKind + '"][data-name="' + CSS.escape(m.dataset.forName) + '"]');
      m.innerHTML = ""; if (back) { back.focus(); } return;
    }
    var item = e.target.closest && e.target.closest("#hostnet [data-kind], #hostnet [data-fold]");
    if (item && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      if (item.dataset.fold) { item.dispatchEvent(new MouseEvent("click", {bubbles: true})); } else { openMenu(item); }
    }
  });
  var filterTimer = null;
  document.addEventListener("input", function (e) {
    if (e.target.id !== "hn-filter") { return; }
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      E.q = e.target.value; E.offset = 0;
      render().then(function () { var f = $("hn-filter"); f.focus(); f.setSelectionRange(f.value.length, f.value.length); });
    }, 250);
  });

  function apply() {
    var ack = $("hn-ack");
    if (ack && !ack.checked) { status("Tick “I understand” to apply a change that touches the management network or networks in use.", "invalid"); ack.focus(); return; }
    var body = {delta: E.delta, check_connectivity: $("hn-check").checked, connectivity_timeout: $("hn-timeout").value,
                commit_on_success: $("hn-commit-on-success").checked};
    $("hn-apply").disabled = true;
    post("/ui/hosts/" + E.host + "/apply", body).then(function (r) { return r.text(); }).then(function (text) {
      var job = $("hn-job");
      job.innerHTML = text;
      if (window.htmx) { htmx.process(job); }
      status("Applying… follow the job's steps above.", "hint");
      var started = job.querySelector("[data-job]");
      if (!started) { $("hn-apply").disabled = false; status("The API refused to apply; see above.", "invalid"); return; }
      var st = started.dataset.status;
      if (st !== "pending" && st !== "running") {  // ended before it could be polled: redraw as polling would
        started.dispatchEvent(new CustomEvent("lognet-job-finished", {bubbles: true, detail: {status: st}}));
      }
    });
  }
  document.addEventListener("lognet-job-finished", function (e) {
    if (!$("hostnet")) { return; }
    var ok = e.detail && e.detail.status === "succeeded";
    if (ok) { E.delta = empty(); E.history = []; }
    render().then(function () {
      status(ok ? "The job succeeded; the picture shows the host's new state." : "The job failed; the host rolled back. Your staged changes are kept.", ok ? "done" : "invalid");
    });
    document.body.dispatchEvent(new Event("refresh-host"));
  });

  function init() {
    var root = $("hostnet");
    if (!root || root.dataset.ready) { return; }
    root.dataset.ready = "1";
    E.host = root.dataset.host; E.delta = empty(); E.history = []; E.expanded = []; E.q = ""; E.offset = 0;
    render();
  }
  document.addEventListener("htmx:afterSettle", init);
  document.addEventListener("DOMContentLoaded", init);
})();
