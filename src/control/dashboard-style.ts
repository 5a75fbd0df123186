/** The dashboard's stylesheet (served as /assets/dashboard.css). */
export const DASHBOARD_STYLE = `
:root { --up: #2e9d4f; --behind: #d99a1e; --down: #d2423b; --registered: #8a8f98; --fg: #1d2330; --muted: #687080; --line: #d8dce3; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1.5rem; padding: .6rem 1rem; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 1.1rem; }
#status { font-family: ui-monospace, monospace; font-size: .85rem; }
#status[data-health="error"] { color: #ffb4ae; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 1rem; padding: 1rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: .95rem; margin: .3rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin-bottom: .6rem; }
th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.mono, .mono { font-family: ui-monospace, monospace; }
td.mono { word-break: break-all; }
span.mono { white-space: nowrap; }
td.reason { max-width: 40rem; }
.graph { height: 340px; border: 1px solid var(--line); border-radius: 4px; background: #fbfbfc; }
#chart { height: 560px; }
.hint { color: var(--muted); font-size: .8rem; margin: .2rem 0 .4rem; }
.legend { color: var(--muted); font-size: .8rem; margin-bottom: .4rem; }
.dot { display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; margin: 0 .2rem 0 .6rem; vertical-align: middle; }
.dot.up { background: var(--up); } .dot.behind { background: var(--behind); } .dot.down { background: var(--down); } .dot.registered { background: var(--registered); }
.line { display: inline-block; width: 1.6rem; margin: 0 .2rem 0 .6rem; border-top: 2px solid #555; vertical-align: middle; }
.line.dashed { border-top-style: dashed; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; color: #fff; font-size: .8rem; }
.badge.up { background: var(--up); } .badge.behind { background: var(--behind); } .badge.down { background: var(--down); } .badge.registered { background: var(--registered); }
tr[data-alert-active="true"] td:first-child { border-left: 3px solid var(--down); }
tr[data-alert-active="false"] { color: var(--muted); }
.actors-relay { margin-bottom: .6rem; }
.actors-relay h3 { font-size: .85rem; margin: .3rem 0; }
tr[data-actor] { cursor: pointer; }
tr[data-actor]:hover { background: #eef3ff; }
tr[data-actor][aria-selected="true"] { background: #dde8ff; }
`
