// The live status page `mk server` serves at "/": one self-contained HTML document (inline CSS and
// script, no CDN, nothing read from disk) that polls the JSON API and shows nodes, pods, autoscalers
// and recent events. The markup here is static; status-script.ts fills it in the browser.
import { createHash } from "node:crypto";
import { CHART_CSS, CHART_SCRIPT } from "./status-charts.ts";
import { STATUS_SCRIPT } from "./status-script.ts";
import { STATUS_CSS } from "./status-style.ts";

const sha256 = (text: string): string => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

// Hashes instead of 'unsafe-inline': should a pod name ever slip into the markup unescaped, the
// browser would still refuse to run or style it. connect-src 'self' is all the script needs.
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_SCRIPT)} ${sha256(CHART_SCRIPT)}`,
  `style-src ${sha256(STATUS_CSS)} ${sha256(CHART_CSS)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

function tile(id: string, label: string): string {
  return `<div class="tile" id="${id}"><div class="label">${label}</div><div class="value">-</div></div>`;
}

function card(id: string, title: string, empty: string): string {
  return `<section class="card" aria-labelledby="${id}-title">
  <div class="card-head"><h2 id="${id}-title">${title}</h2><span class="count" id="${id}-count"></span></div>
  <div class="table-wrap"><table class="grid" id="${id}"><thead></thead><tbody></tbody></table></div>
  <p class="empty" id="${id}-empty" hidden>${empty}</p>
</section>`;
}

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="color-scheme" content="light dark">
<title>mk status</title>
<link rel="icon" href="data:,">
<style>${STATUS_CSS}</style>
<style>${CHART_CSS}</style>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo">mk</span><h1>Cluster status</h1></div>
  <dl class="meta">
    <div><dt>Cluster</dt><dd id="cluster">-</dd></div>
    <div><dt>Version</dt><dd id="version">-</dd></div>
    <div><dt>Leader</dt><dd id="leader">-</dd></div>
    <div id="members-box" hidden><dt>Control plane</dt><dd id="members">-</dd></div>
  </dl>
  <div class="conn" id="conn" data-state="connecting" role="status"><span class="dot"></span><span id="conn-text">Connecting</span></div>
</header>
<main>
  <section class="tiles">
    ${tile("tile-nodes", "Nodes ready")}
    ${tile("tile-pods", "Pods running")}
    ${tile("tile-restarts", "Container restarts")}
    ${tile("tile-warnings", "Recent warnings")}
  </section>
  <section class="card" aria-labelledby="charts-title">
    <div class="card-head"><h2 id="charts-title">Recent history</h2><span class="count" id="charts-span"></span></div>
    <div class="charts" id="charts"></div>
  </section>
  ${card("nodes", "Nodes", "No nodes registered")}
  ${card("pods", "Pods", "No pods: apply a manifest with <code>mk apply -f</code>")}
  ${card("autoscalers", "Autoscalers", "No autoscalers: apply a <code>HorizontalPodAutoscaler</code>")}
  ${card("events", "Recent events", "No events yet")}
</main>
<footer>Refreshes every second from <code>/api/v1</code>. Paused while this tab is hidden.</footer>
<script>${STATUS_SCRIPT}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;

/** The page for `path`, or undefined so the server answers 404. */
export function statusPage(path: string): { contentType: string; body: string } | undefined {
  if (path !== "/" && path !== "/index.html") return undefined;
  return { contentType: "text/html; charset=utf-8", body: HTML };
}
