// The status page's browser script: vanilla ES2020, inline in the page. It polls the JSON API once a
// second and patches the tables in place, row by row and cell by cell, so the page never reloads and
// a changed value can flash. Every server string reaches the DOM through textContent or an attribute
// setter, never through HTML parsing.
//
// String.raw keeps backslashes as written; the script itself uses no backticks or "${" so the
// template holds it verbatim.
export const STATUS_SCRIPT = String.raw`
"use strict";
(function () {
  var POLL_MS = 1000;
  var MAX_BACKOFF_MS = 10000;
  var EVENT_LIMIT = 30;

  var NODE_COLUMNS = [
    { field: "name", label: "Node" },
    { field: "state", label: "State" },
    { field: "pods", label: "Pods", num: true },
    { field: "cpu", label: "CPU requested" },
    { field: "memory", label: "Memory requested" },
    { field: "heartbeat", label: "Heartbeat" }
  ];
  var POD_COLUMNS = [
    { field: "name", label: "Pod" },
    { field: "status", label: "Status" },
    { field: "ready", label: "Ready", num: true },
    { field: "restarts", label: "Restarts", num: true },
    { field: "node", label: "Node" },
    { field: "age", label: "Age", num: true }
  ];
  var HPA_COLUMNS = [
    { field: "name", label: "Autoscaler" },
    { field: "reference", label: "Reference" },
    { field: "targets", label: "Targets" },
    { field: "range", label: "Min / max", num: true },
    { field: "replicas", label: "Replicas", num: true },
    { field: "active", label: "Scaling" }
  ];
  var EVENT_COLUMNS = [
    { field: "age", label: "Last seen" },
    { field: "type", label: "Type" },
    { field: "reason", label: "Reason" },
    { field: "object", label: "Object" },
    { field: "message", label: "Message" }
  ];

  var OK = ["Running", "Ready", "Succeeded", "Completed", "Normal"];
  var WARN = ["Pending", "ContainerCreating", "Terminating", "Unscheduled", "Unknown", "NotReady", "Warning"];
  var BAD = /BackOff|Err|Fail|OOM|Evicted|Unschedulable|Killed|Invalid/;

  function byId(id) { return document.getElementById(id); }

  function toneOf(s) {
    if (OK.indexOf(s) >= 0) return "ok";
    if (BAD.test(s)) return "bad";
    if (WARN.indexOf(s) >= 0) return "warn";
    return "info";
  }

  // kubectl-style ages: 42s, 5m12s, 3h7m, 12d.
  function age(iso) {
    if (!iso) return "-";
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 10) return m + "m" + (s % 60) + "s";
    if (m < 60) return m + "m";
    var h = Math.floor(m / 60);
    if (h < 10) return h + "h" + (m % 60) + "m";
    if (h < 48) return h + "h";
    return Math.floor(h / 24) + "d";
  }

  function cpu(milli) {
    return milli % 1000 === 0 ? String(milli / 1000) : milli >= 1000 ? (milli / 1000).toFixed(2) : milli + "m";
  }

  function bytes(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 || n >= 100 ? Math.round(n) : n.toFixed(1).replace(/\.0$/, "")) + " " + units[i];
  }

  function meter(text, used, total) {
    var pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
    return { text: text, meter: pct, tone: pct >= 90 ? "bad" : pct >= 75 ? "warn" : "" };
  }

  function head(table, columns) {
    var tr = document.createElement("tr");
    columns.forEach(function (c) {
      var th = document.createElement("th");
      th.textContent = c.label;
      if (c.num) th.className = "num";
      tr.appendChild(th);
    });
    table.tHead.appendChild(tr);
  }

  function newRow(keyAttr, key, columns) {
    var tr = document.createElement("tr");
    tr.setAttribute(keyAttr, key);
    columns.forEach(function (c) {
      var td = document.createElement("td");
      td.dataset.field = c.field;
      td.dataset.label = c.label;
      tr.appendChild(td);
    });
    return tr;
  }

  // A cell is a string or { text, badge?, meter?, tone?, tag?, cls?, title?, flash? }. The cell
  // is rebuilt only when its description changed, which keeps the 1 s poll cheap.
  function setCell(td, cell, num, fresh) {
    var c = typeof cell === "string" ? { text: cell } : cell;
    var sig = JSON.stringify(c);
    if (td.dataset.sig === sig) return;
    var changedText = td.dataset.text !== undefined && td.dataset.text !== c.text;
    td.dataset.sig = sig;
    td.dataset.text = c.text;
    td.className = (num ? "num " : "") + (c.cls || "");
    td.title = c.title || "";
    td.textContent = "";
    if (c.badge) {
      var b = document.createElement("span");
      b.className = "badge";
      b.dataset.tone = toneOf(c.text);
      b.textContent = c.text;
      td.appendChild(b);
    } else if (c.meter !== undefined) {
      var m = document.createElement("span");
      m.className = "meter";
      if (c.tone) m.dataset.tone = c.tone;
      var t = document.createElement("span");
      t.textContent = c.text;
      var bar = document.createElement("span");
      bar.className = "bar";
      var fill = document.createElement("i");
      fill.style.width = c.meter.toFixed(1) + "%";
      bar.appendChild(fill);
      m.appendChild(t);
      m.appendChild(bar);
      td.appendChild(m);
    } else {
      td.appendChild(document.createTextNode(c.text));
    }
    if (c.tag) {
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = c.tag;
      td.appendChild(tag);
    }
    if (c.flash && changedText && !fresh) {
      // Restart the animation even when the same cell changed a second ago.
      td.classList.remove("changed");
      void td.offsetWidth;
      td.classList.add("changed");
    }
  }

  // Keyed reconciliation of one tbody: rows are reused by key, reordered to match items, and
  // removed when their item is gone.
  function sync(name, keyAttr, columns, items, keyOf, cellsOf) {
    var table = byId(name);
    var tbody = table.tBodies[0];
    var existing = new Map();
    Array.prototype.forEach.call(tbody.rows, function (tr) { existing.set(tr.getAttribute(keyAttr), tr); });
    var seen = new Set();
    var prev = null;
    items.forEach(function (item) {
      var key = String(keyOf(item));
      seen.add(key);
      var tr = existing.get(key);
      var fresh = !tr;
      if (!tr) tr = newRow(keyAttr, key, columns);
      var cells = cellsOf(item);
      columns.forEach(function (c, i) { setCell(tr.cells[i], cells[c.field], c.num, fresh); });
      var want = prev ? prev.nextSibling : tbody.firstChild;
      if (tr !== want) tbody.insertBefore(tr, want);
      prev = tr;
    });
    existing.forEach(function (tr, key) { if (!seen.has(key)) tr.remove(); });
    byId(name + "-empty").hidden = items.length > 0;
    byId(name + "-count").textContent = items.length ? String(items.length) : "";
  }

  function tile(id, value, total, tone) {
    var el = byId(id);
    var v = el.querySelector(".value");
    v.textContent = String(value);
    if (total !== undefined) {
      var small = document.createElement("small");
      small.textContent = " / " + total;
      v.appendChild(small);
    }
    if (tone) el.dataset.tone = tone; else delete el.dataset.tone;
  }

  function renderStatus(st) {
    var leader = st.leaseHolder || (st.leader ? st.identity : "none");
    byId("cluster").textContent = st.cluster.slice(0, 12);
    byId("cluster").title = st.cluster;
    byId("version").textContent = st.version;
    byId("leader").textContent = leader;
    byId("leader").title = "served by " + st.identity;
    if (st.ha) {
      // HA mode: every controller, its role and applied log revision; the leader first.
      byId("members-box").hidden = false;
      byId("members").textContent = st.ha.members
        .slice()
        .sort(function (a, b) { return (b.role === "leader") - (a.role === "leader") || (a.id < b.id ? -1 : 1); })
        .map(function (m) { return m.id + " (" + m.role + ", rev " + m.appliedRevision + ")"; })
        .join(", ") || "-";
    }
    document.title = "mk \u00b7 " + st.cluster.slice(0, 8);
  }

  function renderNodes(nodes) {
    nodes.sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
    sync("nodes", "data-node", NODE_COLUMNS, nodes, function (n) { return n.name; }, function (n) {
      return {
        name: { text: n.name, tag: n.unschedulable ? "cordoned" : "", title: n.docker },
        state: { text: n.state, badge: true, title: n.message || "", flash: true },
        pods: { text: String(n.pods), flash: true },
        cpu: meter(cpu(n.requested.cpuMilli) + " / " + cpu(n.capacity.cpuMilli), n.requested.cpuMilli, n.capacity.cpuMilli),
        memory: meter(bytes(n.requested.memoryBytes) + " / " + bytes(n.capacity.memoryBytes), n.requested.memoryBytes, n.capacity.memoryBytes),
        heartbeat: { text: n.lastHeartbeatAt ? age(n.lastHeartbeatAt) + " ago" : "never", cls: "muted", title: n.dockerVersion ? "Docker " + n.dockerVersion : "" }
      };
    });
    var ready = nodes.filter(function (n) { return n.state === "Ready"; }).length;
    tile("tile-nodes", ready, nodes.length, ready < nodes.length ? "warn" : "");
  }

  function renderPods(pods) {
    pods.sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
    sync("pods", "data-pod", POD_COLUMNS, pods, function (p) { return p.name; }, function (p) {
      return {
        name: { text: p.name, title: p.owner.kind + "/" + p.owner.name },
        status: { text: p.status, badge: true, title: p.message || p.reason || "", flash: true },
        ready: { text: p.readyContainers, cls: p.ready ? "" : "muted", flash: true },
        restarts: { text: String(p.restarts), cls: p.restarts > 0 ? "alert" : "", flash: true },
        node: { text: p.node || "-", cls: p.node ? "" : "muted" },
        age: { text: age(p.createdAt), cls: "muted", title: p.createdAt || "" }
      };
    });
    var running = pods.filter(function (p) { return p.phase === "Running"; }).length;
    var restarts = pods.reduce(function (sum, p) { return sum + p.restarts; }, 0);
    tile("tile-pods", running, pods.length, running < pods.length ? "warn" : "");
    tile("tile-restarts", restarts, undefined, restarts > 0 ? "bad" : "");
  }

  function renderAutoscalers(list) {
    sync("autoscalers", "data-hpa", HPA_COLUMNS, list, function (a) { return a.name; }, function (a) {
      var active = a.conditions.filter(function (c) { return c.type === "ScalingActive"; })[0];
      return {
        name: a.name,
        reference: a.reference,
        targets: { text: a.targets, flash: true },
        range: a.minReplicas + " / " + a.maxReplicas,
        replicas: { text: a.currentReplicas === null ? "-" : String(a.currentReplicas), flash: true },
        active: active
          ? { text: active.status === "True" ? "Active" : active.reason, badge: true, title: active.message, flash: true }
          : { text: "not synced", cls: "muted" }
      };
    });
  }

  function renderEvents(events) {
    // The API answers oldest first; the page reads newest first.
    events.reverse();
    sync("events", "data-event", EVENT_COLUMNS, events, function (e) { return e.id; }, function (e) {
      return {
        age: { text: age(e.lastSeen), cls: "muted", title: e.lastSeen || "" },
        type: { text: e.type, badge: true },
        reason: e.reason,
        object: e.object,
        message: e.count > 1 ? e.message + " (x" + e.count + ")" : e.message
      };
    });
    var warnings = events.filter(function (e) { return e.type === "Warning"; }).length;
    tile("tile-warnings", warnings, undefined, warnings > 0 ? "warn" : "");
  }

  function setConnection(state, text) {
    var el = byId("conn");
    el.dataset.state = state;
    byId("conn-text").textContent = text;
  }

  function getJson(path) {
    var ctl = new AbortController();
    var t = setTimeout(function () { ctl.abort(); }, 5000);
    // Relative paths, so the page also works behind a reverse proxy under a prefix.
    return fetch(path, { cache: "no-store", signal: ctl.signal }).then(function (res) {
      clearTimeout(t);
      if (!res.ok) throw new Error(path + ": HTTP " + res.status);
      return res.json();
    }, function (err) { clearTimeout(t); throw err; });
  }

  var timer = 0;
  var inFlight = false;
  var failures = 0;

  function schedule() {
    clearTimeout(timer);
    // A hidden tab does not poll; visibilitychange resumes it.
    if (document.hidden) return;
    var wait = failures ? Math.min(POLL_MS * Math.pow(2, failures), MAX_BACKOFF_MS) : POLL_MS;
    timer = setTimeout(tick, wait);
  }

  function tick() {
    if (inFlight) return;
    inFlight = true;
    Promise.all([
      getJson("api/v1/status"),
      getJson("api/v1/nodes"),
      getJson("api/v1/pods"),
      getJson("api/v1/events?limit=" + EVENT_LIMIT),
      getJson("api/v1/autoscalers")
    ]).then(function (r) {
      renderStatus(r[0]);
      renderNodes(r[1]);
      renderPods(r[2]);
      renderEvents(r[3]);
      renderAutoscalers(r[4]);
      failures = 0;
      setConnection("live", "Live \u00b7 " + new Date().toLocaleTimeString());
    }).catch(function (err) {
      failures++;
      setConnection("down", "Disconnected, retrying");
      byId("conn").title = String(err && err.message ? err.message : err);
    }).then(function () {
      inFlight = false;
      schedule();
    });
  }

  head(byId("nodes"), NODE_COLUMNS);
  head(byId("pods"), POD_COLUMNS);
  head(byId("events"), EVENT_COLUMNS);
  head(byId("autoscalers"), HPA_COLUMNS);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { clearTimeout(timer); tick(); }
  });
  tick();
})();
`;
