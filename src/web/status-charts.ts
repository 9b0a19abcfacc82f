// The status page's live charts: a second inline script that polls GET api/v1/history (the server's
// in-memory metrics history, src/metrics/history.ts) and draws one small SVG line chart per series,
// in the order the server lists them, so a series registered on the server gets its chart with no
// change here. Hand-drawn SVG rather than a charting library: a few hundred points per chart redrawn
// every 2 s is one <path> each, it needs no canvas, no inline styles and no CSP exception, and the
// page stays a few KB (docs/observability.md, "Live charts", says more).
//
// Same rules as status-script.ts: vanilla ES2020, server strings only through textContent and
// attribute setters, no backticks, "${" or backslashes inside.
export const CHART_SCRIPT = `
"use strict";
(function () {
  var POLL_MS = 2000;
  var MIN_SPAN_MS = 60000;
  var W = 300;
  var H = 100;
  var NS = "http://www.w3.org/2000/svg";
  // Labels that mean a state get the state's colour; any other label takes the next palette slot.
  var TONE = { Ready: "ok", NotReady: "bad", Unknown: "warn", p50: "s0", p99: "s3" };
  var root = document.getElementById("charts");
  var span = document.getElementById("charts-span");
  var charts = new Map();

  function el(name, cls) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    return e;
  }
  function svg(name, attrs) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function fmt(v, unit) {
    if (v === null || v === undefined) return "-";
    if (unit === "s") return v < 1 ? Math.round(v * 1000) + " ms" : v.toFixed(v < 10 ? 2 : 1) + " s";
    if (unit === "cores") return v < 1 ? Math.round(v * 1000) + "m" : v.toFixed(2);
    return Math.abs(v - Math.round(v)) < 1e-9 ? String(Math.round(v)) : v.toFixed(2);
  }

  // 1, 2, 5 x 10^n at or above v: a round axis maximum.
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 4, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function ago(ms) {
    var s = Math.round(ms / 1000);
    return s < 120 ? "-" + s + "s" : "-" + Math.round(s / 60) + "m";
  }

  function create(series) {
    var fig = el("figure", "chart");
    fig.dataset.series = series.name;
    var cap = el("figcaption");
    var title = el("span", "chart-title");
    title.textContent = series.title;
    var now = el("span", "chart-now");
    cap.appendChild(title);
    cap.appendChild(now);
    var plot = el("div", "plot");
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", role: "img" });
    s.appendChild(svg("line", { x1: 0, y1: H / 2, x2: W, y2: H / 2, class: "gridline" }));
    s.appendChild(svg("line", { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: "axis" }));
    var lines = svg("g", { class: "lines" });
    s.appendChild(lines);
    var ymax = el("span", "ymax");
    var ymid = el("span", "ymid");
    var xmin = el("span", "xmin");
    var xmax = el("span", "xmax");
    xmax.textContent = "now";
    plot.appendChild(s);
    plot.appendChild(ymax);
    plot.appendChild(ymid);
    var xs = el("div", "xaxis");
    xs.appendChild(xmin);
    xs.appendChild(xmax);
    var legend = el("ul", "legend");
    fig.appendChild(cap);
    fig.appendChild(plot);
    fig.appendChild(xs);
    fig.appendChild(legend);
    root.appendChild(fig);
    var c = { fig: fig, svg: s, lines: lines, legend: legend, ymax: ymax, ymid: ymid, xmin: xmin, now: now, slots: new Map() };
    charts.set(series.name, c);
    return c;
  }

  function slotOf(c, label) {
    if (!c.slots.has(label)) c.slots.set(label, TONE[label] || "s" + (c.slots.size % 8));
    return c.slots.get(label);
  }

  // One path per line; a null value lifts the pen, so a gap shows as a gap.
  function pathOf(t, values, t0, spanMs, max) {
    var d = "";
    var pen = false;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v === null || t[i] < t0) { pen = false; continue; }
      var x = ((t[i] - t0) / spanMs) * W;
      var y = H - (v / max) * (H - 4) - 1;
      d += (pen ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
      pen = true;
    }
    return d;
  }

  function lastOf(values) {
    for (var i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
    return null;
  }

  function draw(h, series) {
    var c = charts.get(series.name) || create(series);
    var t = h.t;
    var tEnd = t.length ? t[t.length - 1] : Date.now();
    var spanMs = Math.min(h.capacity * h.intervalMs, Math.max(MIN_SPAN_MS, t.length ? tEnd - t[0] : 0));
    var t0 = tEnd - spanMs;
    var max = 0;
    series.lines.forEach(function (l) {
      l.values.forEach(function (v, i) { if (v !== null && t[i] >= t0 && v > max) max = v; });
    });
    max = niceMax(max * 1.05);
    c.ymax.textContent = fmt(max, series.unit);
    c.ymid.textContent = fmt(max / 2, series.unit);
    c.xmin.textContent = ago(spanMs);
    var last = {};
    var seen = new Set();
    series.lines.forEach(function (l) {
      var key = l.label || series.name;
      seen.add(key);
      var p = c.lines.querySelector('path[data-label="' + CSS.escape(key) + '"]');
      if (!p) {
        p = svg("path", { class: "line " + slotOf(c, key) });
        p.setAttribute("data-label", key);
        c.lines.appendChild(p);
      }
      p.setAttribute("d", pathOf(t, l.values, t0, spanMs, max));
      last[key] = lastOf(l.values);
    });
    Array.prototype.slice.call(c.lines.children).forEach(function (p) {
      if (!seen.has(p.getAttribute("data-label"))) p.remove();
    });
    // The legend: one entry per line with its latest value (the unlabelled line shows it in the caption).
    c.legend.textContent = "";
    var keys = Object.keys(last);
    if (keys.length === 1 && !series.lines[0].label) {
      c.now.textContent = fmt(last[keys[0]], series.unit) + (series.unit === "s" || series.unit === "cores" ? "" : " " + series.unit);
      c.legend.hidden = true;
    } else {
      c.now.textContent = series.unit;
      c.legend.hidden = keys.length === 0;
      keys.forEach(function (k) {
        var li = el("li", slotOf(c, k));
        var sw = el("i");
        var name = el("span", "name");
        name.textContent = k;
        var val = el("b");
        val.textContent = fmt(last[k], series.unit);
        li.appendChild(sw);
        li.appendChild(name);
        li.appendChild(val);
        c.legend.appendChild(li);
      });
    }
    c.svg.setAttribute("aria-label", series.title + ": " + keys.map(function (k) { return k + " " + fmt(last[k], series.unit); }).join(", "));
    // A series with no line at all (no autoscaler exists yet) takes no room.
    c.fig.hidden = series.lines.length === 0;
    // For tests and scripts: the latest value of every line, and how many samples the chart holds.
    c.fig.dataset.last = JSON.stringify(last);
    c.fig.dataset.samples = String(t.length);
  }

  var timer = 0;
  var inFlight = false;
  var failures = 0;

  function schedule() {
    clearTimeout(timer);
    if (document.hidden) return;
    timer = setTimeout(tick, failures ? Math.min(POLL_MS * Math.pow(2, failures), 20000) : POLL_MS);
  }

  function tick() {
    if (inFlight) return;
    inFlight = true;
    var ctl = new AbortController();
    var guard = setTimeout(function () { ctl.abort(); }, 5000);
    fetch("api/v1/history", { cache: "no-store", signal: ctl.signal }).then(function (res) {
      if (!res.ok) throw new Error("api/v1/history: HTTP " + res.status);
      return res.json();
    }).then(function (h) {
      h.series.forEach(function (s) { draw(h, s); });
      span.textContent = h.t.length ? "sampled every " + Math.round(h.intervalMs / 1000) + " s" : "";
      failures = 0;
    }).catch(function () {
      failures++;
    }).then(function () {
      clearTimeout(guard);
      inFlight = false;
      schedule();
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { clearTimeout(timer); tick(); }
  });
  tick();
})();
`;

export const CHART_CSS = `
:root { --s0: #3b5bdb; --s1: #0ca678; --s2: #f08c00; --s3: #c2255c; --s4: #7048e8; --s5: #1098ad;
  --s6: #74b816; --s7: #868e96; }
@media (prefers-color-scheme: dark) {
  :root { --s0: #7c9cff; --s1: #38d9a9; --s2: #ffc078; --s3: #f783ac; --s4: #b197fc; --s5: #66d9e8;
    --s6: #a9e34b; --s7: #ced4da; }
}
.charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px 18px; padding: 14px 16px; }
.chart { margin: 0; min-width: 0; }
.chart figcaption { display: flex; justify-content: space-between; gap: 8px; font-size: 12.5px; margin-bottom: 4px; }
.chart .chart-title { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chart .chart-now { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart .plot { position: relative; height: 96px; border-left: 1px solid var(--line); }
.chart svg { display: block; width: 100%; height: 100%; overflow: visible; }
.chart .gridline { stroke: var(--line); stroke-dasharray: 3 3; vector-effect: non-scaling-stroke; }
.chart .axis { stroke: var(--line); vector-effect: non-scaling-stroke; }
.chart .line { fill: none; stroke-width: 1.75; stroke-linejoin: round; vector-effect: non-scaling-stroke; }
.chart .ymax, .chart .ymid { position: absolute; left: 4px; font-size: 10.5px; color: var(--muted); line-height: 1; }
.chart .ymax { top: 0; }
.chart .ymid { top: calc(50% - 5px); }
.chart .xaxis { display: flex; justify-content: space-between; font-size: 10.5px; color: var(--muted); }
.chart .legend { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 4px 0 0; padding: 0; list-style: none; font-size: 12px; }
.chart .legend li { display: inline-flex; align-items: center; gap: 5px; min-width: 0; }
.chart .legend i { width: 10px; height: 3px; border-radius: 2px; background: currentColor; flex: none; }
.chart .legend .name { color: var(--text); font-family: var(--mono); font-size: 11.5px; overflow-wrap: anywhere; }
.chart .legend b { color: var(--text); font-weight: 600; font-variant-numeric: tabular-nums; }
${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `.chart .s${i} { stroke: var(--s${i}); color: var(--s${i}); }`).join("\n")}
.chart .ok { stroke: var(--ok); color: var(--ok); }
.chart .bad { stroke: var(--bad); color: var(--bad); }
.chart .warn { stroke: var(--warn); color: var(--warn); }
@media (max-width: 820px) { .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media (max-width: 520px) { .charts { grid-template-columns: minmax(0, 1fr); } }
`;
