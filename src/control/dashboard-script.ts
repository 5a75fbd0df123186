/**
 * The dashboard's script (served as /assets/dashboard.js): reads the session from the
 * page's fragment (`#session=<token>`), polls `GET /v1/mesh` every second with it, and
 * renders the relays, links, channels, alerts and live actors; the graphs are drawn by
 * dashboard-graphs.js. Everything the mesh reports is put in the page as text, never as
 * markup (names and reasons come from agents and relays). Browser code, kept as a string.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var POLL_MS = 1000;
  var G = window.SlimGraphs;
  var token = new URLSearchParams(location.hash.replace(/^#/, '')).get('session');
  var statusEl = document.getElementById('status');
  var topo = G.topology(document.getElementById('topology'));
  var chart = G.chart(document.getElementById('chart'));
  var machineSelect = document.getElementById('machine');
  var charts = null;
  var selected = null; // { relay, actor }
  var lastMesh = null;

  function h (tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { if (attrs[k] != null) el.setAttribute(k, String(attrs[k])); });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      if (Array.isArray(c)) { c.forEach(function (x) { el.appendChild(x); }); continue; }
      el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function fill (tbody, rows) { tbody.replaceChildren.apply(tbody, rows); }
  function time (ms) { return ms == null ? '' : new Date(ms).toLocaleTimeString(); }
  function ago (ms) { return ms == null ? 'never' : Math.max(0, Math.round((Date.now() - ms) / 100) / 10) + ' s ago'; }
  function status (text, health, generation) {
    statusEl.textContent = text;
    statusEl.setAttribute('data-health', health);
    if (generation != null) statusEl.setAttribute('data-generation', String(generation));
  }

  /** up | behind | down | registered: what the controller says of the relay. */
  function health (n) {
    if (n.state === 'down') return 'down';
    if (n.state === 'live.inSync') return n.up ? 'up' : 'down';
    if (n.state === 'live.behind') return n.up ? 'behind' : 'down';
    return n.state.replace(/^live\./, '');
  }
  function peer (id) { return h('span', { class: 'mono', title: id }, G.short(id)); }

  function renderRelays (mesh) {
    fill(document.querySelector('#relays tbody'), mesh.nodes.map(function (n) {
      var s = health(n);
      return h('tr', { 'data-relay': n.peerId, 'data-state': s, 'data-membership': n.state },
        h('td', null, peer(n.peerId)), h('td', null, n.role), h('td', null, h('span', { class: 'badge ' + s }, s)),
        h('td', { class: 'mono' }, n.generation + ' / ' + n.desired), h('td', null, n.sessions == null ? '-' : n.sessions),
        h('td', null, n.eventLoopDelayMs == null ? '-' : n.eventLoopDelayMs.toFixed(1) + ' ms'), h('td', null, ago(n.lastSeen)),
        h('td', { title: n.notApplied.map(function (i) { return i.id + ': ' + i.status + (i.reason ? ' (' + i.reason + ')' : ''); }).join('\n') }, n.notApplied.length));
    }));
    fill(document.querySelector('#links tbody'), mesh.links.map(function (l) {
      return h('tr', { 'data-link': l.a + ' ' + l.b, 'data-up': l.up, 'data-planned': l.planned },
        h('td', null, peer(l.a), ' – ', peer(l.b)), h('td', null, l.planned ? 'yes' : 'no'), h('td', null, l.up ? 'up' : 'down'),
        h('td', null, l.rttMs == null ? '-' : l.rttMs.toFixed(2) + ' ms'));
    }));
  }

  function renderChannels (mesh) {
    fill(document.querySelector('#channels tbody'), mesh.channels.map(function (c) {
      var followers = h('td', null);
      c.followers.forEach(function (f, i) { if (i > 0) followers.appendChild(document.createTextNode(', ')); followers.appendChild(peer(f.relay)); followers.appendChild(document.createTextNode(' ' + f.lag)); });
      return h('tr', { 'data-channel': c.name, 'data-sequencer': c.sequencer || '' },
        h('td', { class: 'mono' }, c.name), h('td', null, c.sequencer ? peer(c.sequencer) : 'none'), h('td', null, c.head), followers);
    }));
  }

  function renderAlerts (mesh) {
    fill(document.querySelector('#alerts tbody'), mesh.alerts.slice(0, 100).map(function (a) {
      return h('tr', { 'data-alert-kind': a.kind, 'data-alert-subject': a.subject, 'data-alert-active': a.endedAt == null },
        h('td', null, a.kind), h('td', { class: 'mono', title: a.subject }, a.subject.replace(/^(relay:)(.{9,})$/, function (_, p, id) { return p + G.short(id); })),
        h('td', { class: 'reason' }, a.reason), h('td', null, time(a.startedAt)), h('td', null, a.endedAt == null ? 'active' : time(a.endedAt)), h('td', null, a.action || ''));
    }));
    if (mesh.alerts.length === 0) fill(document.querySelector('#alerts tbody'), [h('tr', null, h('td', { colspan: 6, class: 'hint' }, 'no alerts'))]);
  }

  function machineOf (actor) {
    if (!charts) return undefined;
    var name = charts.actorPrefixes[actor.split(':')[0]];
    return charts.machines.find(function (m) { return m.name === name; });
  }

  function renderActors (mesh) {
    var box = document.getElementById('actors');
    box.replaceChildren.apply(box, mesh.actors.map(function (r) {
      var rows = r.actors.slice().sort(function (a, b) { return a.actor.localeCompare(b.actor); }).map(function (a) {
        var m = machineOf(a.actor);
        var isSel = selected != null && selected.relay === r.relay && selected.actor === a.actor;
        var tr = h('tr', { 'data-actor': a.actor, 'data-actor-relay': r.relay, 'data-actor-state': a.state, 'aria-selected': isSel },
          h('td', { class: 'mono' }, a.actor), h('td', null, a.state), h('td', null, m ? m.name : '-'));
        tr.addEventListener('click', function () { selected = { relay: r.relay, actor: a.actor }; if (m) machineSelect.value = m.name; renderActors(lastMesh); renderChart(); });
        return tr;
      });
      return h('div', { class: 'actors-relay', 'data-actors-of': r.relay }, h('h3', null, 'relay ', peer(r.relay), ' (' + r.actors.length + ')'),
        rows.length === 0 ? h('p', { class: 'hint' }, 'no actors')
          : h('table', null, h('thead', null, h('tr', null, h('th', null, 'actor'), h('th', null, 'state'), h('th', null, 'machine'))), h('tbody', null, rows)));
    }));
  }

  function renderChart () {
    if (!charts) return;
    var m = charts.machines.find(function (x) { return x.name === machineSelect.value; }) || charts.machines[0];
    chart.show(m);
    var caption = document.getElementById('chart-caption');
    var state = null;
    if (selected != null && lastMesh != null && machineOf(selected.actor) === m) {
      var r = lastMesh.actors.find(function (x) { return x.relay === selected.relay; });
      var a = r && r.actors.find(function (x) { return x.actor === selected.actor; });
      state = a ? a.state : null;
      caption.textContent = a ? selected.actor + ' on relay ' + G.short(selected.relay) + ': ' + a.state : selected.actor + ' on relay ' + G.short(selected.relay) + ' is gone';
    } else {
      caption.textContent = m.name + ': ' + m.summary;
    }
    chart.highlight(state);
  }

  function render (mesh) {
    lastMesh = mesh;
    renderRelays(mesh);
    topo.update(mesh, health);
    renderChannels(mesh);
    renderAlerts(mesh);
    renderActors(mesh);
    renderChart();
    var up = mesh.nodes.filter(function (n) { return health(n) === 'up'; }).length;
    var active = mesh.alerts.filter(function (a) { return a.endedAt == null; }).length;
    status('mesh ' + mesh.mesh + ' · generation ' + mesh.generation + ' · ' + up + '/' + mesh.nodes.length + ' relays up · ' +
      mesh.links.filter(function (l) { return l.up; }).length + ' links up · ' + active + ' active alerts · updated ' + time(Date.now()), 'ok', mesh.generation);
  }

  function get (path) {
    return fetch(path, { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' }).then(function (res) {
      if (res.ok) return res.json();
      return res.json().catch(function () { return {}; }).then(function (body) {
        var err = new Error(body.message || (path + ': HTTP ' + res.status));
        err.status = res.status;
        throw err;
      });
    });
  }

  function poll () {
    var next = true;
    var work = charts ? Promise.resolve() : get('/v1/charts').then(function (c) {
      charts = c;
      machineSelect.replaceChildren.apply(machineSelect, c.machines.map(function (m) { return h('option', { value: m.name }, m.name); }));
    });
    work.then(function () { return get('/v1/mesh'); }).then(render).catch(function (err) {
      if (err.status === 401 || err.status === 403) { next = false; status(err.message, 'error'); return; }
      status('controller unreachable (' + err.message + '); retrying every second', 'error');
    }).then(function () { if (next) setTimeout(poll, POLL_MS); });
  }

  machineSelect.addEventListener('change', function () { renderChart(); });
  if (!token) status('no session in the address: open the link slim-mesh ctl dashboard prints (…/#session=<token>)', 'error');
  else poll();
})();
`
