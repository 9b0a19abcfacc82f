// The status page's stylesheet. It ships inline in the page (the single executable reads no files),
// follows the system light/dark preference, and turns tables into stacked cards on narrow screens.
export const STATUS_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --panel: #ffffff; --line: #e4e7ec; --head: #f9fafb;
  --text: #1d2433; --muted: #667085; --accent: #3b5bdb;
  --ok: #067647; --ok-bg: #dcfae6; --warn: #b54708; --warn-bg: #fef0c7;
  --bad: #b42318; --bad-bg: #fee4e2; --info: #344054; --info-bg: #eaecf0;
  --bar: #dde3f5; --bar-fill: #3b5bdb; --flash: #fff4c2;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1117; --panel: #161b22; --line: #2a313c; --head: #1b212a;
    --text: #e6edf3; --muted: #8b949e; --accent: #7c9cff;
    --ok: #56d364; --ok-bg: #12361f; --warn: #e3b341; --warn-bg: #3b2e0a;
    --bad: #ff7b72; --bad-bg: #3d1418; --info: #c9d1d9; --info-bg: #262c36;
    --bar: #2a3450; --bar-fill: #7c9cff; --flash: #3b3413;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 12px 28px;
  padding: 14px 24px; background: var(--panel); border-bottom: 1px solid var(--line);
}
.brand { display: flex; align-items: center; gap: 10px; margin-right: auto; }
.logo {
  display: inline-grid; place-items: center; width: 32px; height: 32px; border-radius: 8px;
  background: var(--accent); color: #fff; font: 700 15px/1 var(--mono); letter-spacing: -0.5px;
}
.brand h1 { margin: 0; font-size: 17px; font-weight: 600; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 0; }
.meta div { display: flex; flex-direction: column; min-width: 0; }
.meta dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; }
.meta dd { margin: 0; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.conn {
  display: inline-flex; align-items: center; gap: 7px; padding: 4px 10px; border-radius: 999px;
  background: var(--info-bg); color: var(--info); font-size: 12px; font-weight: 500; white-space: nowrap;
}
.conn .dot { width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.conn[data-state="live"] { background: var(--ok-bg); color: var(--ok); }
.conn[data-state="live"] .dot { animation: pulse 2s ease-in-out infinite; }
.conn[data-state="down"] { background: var(--bad-bg); color: var(--bad); }
@keyframes pulse { 50% { opacity: 0.35; } }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 8px; }
.tiles { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin-bottom: 18px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; margin-top: 2px; }
.tile .value small { color: var(--muted); font-size: 15px; font-weight: 500; }
.tile[data-tone="bad"] .value { color: var(--bad); }
.tile[data-tone="warn"] .value { color: var(--warn); }
.card {
  background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  margin-bottom: 18px; overflow: hidden;
}
.card-head { display: flex; align-items: baseline; gap: 10px; padding: 12px 16px; border-bottom: 1px solid var(--line); }
.card-head h2 { margin: 0; font-size: 15px; font-weight: 600; }
.card-head .count { color: var(--muted); font-size: 12px; }
.table-wrap { overflow-x: auto; }
table.grid { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.grid th {
  text-align: left; font-size: 11px; font-weight: 600; color: var(--muted); text-transform: uppercase;
  letter-spacing: 0.04em; padding: 8px 16px; background: var(--head); border-bottom: 1px solid var(--line);
  white-space: nowrap;
}
table.grid td { padding: 9px 16px; border-bottom: 1px solid var(--line); vertical-align: middle; }
table.grid tbody tr:last-child td { border-bottom: 0; }
table.grid td[data-field="name"] { font-family: var(--mono); font-size: 13px; font-weight: 500; }
table.grid td[data-field="message"] { overflow-wrap: anywhere; min-width: 16em; }
table.grid td[data-field="object"] { font-family: var(--mono); font-size: 12.5px; white-space: nowrap; }
table.grid td.num { text-align: right; }
table.grid th.num { text-align: right; }
td.muted, .muted { color: var(--muted); }
td.alert { color: var(--bad); font-weight: 600; }
td.changed { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: var(--flash); } }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 500;
  background: var(--info-bg); color: var(--info); white-space: nowrap;
}
.badge[data-tone="ok"] { background: var(--ok-bg); color: var(--ok); }
.badge[data-tone="warn"] { background: var(--warn-bg); color: var(--warn); }
.badge[data-tone="bad"] { background: var(--bad-bg); color: var(--bad); }
.tag { margin-left: 6px; font: 500 11px/1 system-ui, sans-serif; color: var(--warn); }
.meter { display: inline-flex; flex-direction: column; gap: 4px; min-width: 120px; }
.meter .bar { height: 5px; border-radius: 3px; background: var(--bar); overflow: hidden; }
.meter .bar i { display: block; height: 100%; background: var(--bar-fill); border-radius: 3px; }
.meter[data-tone="warn"] .bar i { background: var(--warn); }
.meter[data-tone="bad"] .bar i { background: var(--bad); }
.empty { margin: 0; padding: 18px 16px; color: var(--muted); text-align: center; }
footer { max-width: 1200px; margin: 0 auto; padding: 0 24px 24px; color: var(--muted); font-size: 12px; }
footer code { font-family: var(--mono); }
@media (max-width: 820px) {
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}
@media (max-width: 640px) {
  .top { padding: 12px 14px; }
  .brand { width: 100%; }
  main { padding: 14px 12px 4px; }
  footer { padding: 0 12px 18px; }
  .tile .value { font-size: 20px; }
  .card-head { padding: 10px 14px; }
  /* One card per row: a phone has no room for six columns, and a sideways-scrolling table hides
     the columns that matter (status, restarts). */
  table.grid thead { display: none; }
  table.grid, table.grid tbody, table.grid tr, table.grid td { display: block; width: 100%; }
  table.grid tr { padding: 10px 14px; border-bottom: 1px solid var(--line); }
  table.grid tbody tr:last-child { border-bottom: 0; }
  table.grid td {
    display: flex; justify-content: space-between; align-items: center; gap: 12px;
    padding: 3px 0; border: 0; text-align: right; min-width: 0;
  }
  table.grid td::before {
    content: attr(data-label); color: var(--muted); font-size: 12px; font-weight: 400; text-align: left;
    flex: none;
  }
  table.grid td[data-field="name"] { font-size: 14px; padding-bottom: 6px; overflow-wrap: anywhere; }
  table.grid td[data-field="name"]::before { content: none; }
  table.grid td[data-field="message"] { min-width: 0; text-align: left; display: block; padding-top: 4px; }
  table.grid td[data-field="message"]::before { content: none; }
  table.grid td[data-field="object"] { white-space: normal; overflow-wrap: anywhere; }
}
`;
