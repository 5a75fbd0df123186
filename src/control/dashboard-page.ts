/**
 * The dashboard: one page the controller serves at `/`, opened with the link
 * `slim-mesh ctl dashboard` prints (`<controller>/#session=<token>`; the token stays in
 * the fragment, so it is never sent in a request line or a referrer). Its script reads
 * the session from the fragment and polls `GET /v1/mesh` every second with
 * `Authorization: Bearer <token>`; the charts come once from `GET /v1/charts`. Everything
 * it loads is served by the controller (dashboard-assets.ts): no external network.
 *
 * Stable hooks for tests and tools: `#status[data-generation]`, `[data-relay][data-state]`,
 * `[data-link][data-up][data-planned]`, `[data-channel]`, `[data-alert-kind][data-alert-subject]`,
 * `[data-actor][data-actor-state]`, `#chart[data-machine][data-current]`.
 */

export function dashboardPage (): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>slim-mesh dashboard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<header>
  <h1>slim-mesh</h1>
  <div id="status" role="status" data-generation="" data-health="connecting">connecting to the controller…</div>
</header>
<main>
  <section id="topology-panel" class="wide">
    <h2>Topology</h2>
    <div class="legend"><span class="dot up"></span>up <span class="dot behind"></span>behind <span class="dot down"></span>down <span class="dot registered"></span>registered <span class="line solid"></span>link up <span class="line dashed"></span>planned, not up</div>
    <div id="topology" class="graph" data-nodes="0" data-edges-up="0"></div>
  </section>
  <section>
    <h2>Relays</h2>
    <table id="relays"><thead><tr><th>relay</th><th>role</th><th>state</th><th>generation</th><th>sessions</th><th>loop delay</th><th>last seen</th><th>not applied</th></tr></thead><tbody></tbody></table>
    <h2>Links</h2>
    <table id="links"><thead><tr><th>between</th><th>planned</th><th>up</th><th>RTT</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Channels</h2>
    <table id="channels"><thead><tr><th>name</th><th>sequencer</th><th>head</th><th>followers (lag)</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide">
    <h2>Alerts</h2>
    <table id="alerts"><thead><tr><th>kind</th><th>subject</th><th>reason</th><th>started</th><th>ended</th><th>action</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Actors</h2>
    <p class="hint">Click an actor to see its state chart.</p>
    <div id="actors"></div>
  </section>
  <section>
    <h2>State chart</h2>
    <label>machine <select id="machine"></select></label>
    <p id="chart-caption" class="hint"></p>
    <div id="chart" class="graph" data-machine="" data-current=""></div>
  </section>
</main>
<script src="/assets/cytoscape.min.js"></script>
<script src="/assets/dashboard-graphs.js"></script>
<script src="/assets/dashboard.js"></script>
</body>
</html>
`
}
