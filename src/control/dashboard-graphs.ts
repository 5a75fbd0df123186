/**
 * The dashboard's graphs (served as /assets/dashboard-graphs.js), drawn with Cytoscape.js:
 * the topology (a node per relay, an edge per link) and a machine's state chart (states
 * as nodes, compound states as parents, transitions as labelled edges) with the current
 * state highlighted. Browser code, kept as a string: it defines `window.SlimGraphs`.
 */
export const DASHBOARD_GRAPHS_SCRIPT = String.raw`'use strict';
(function () {
  var COLOURS = { up: '#2e9d4f', behind: '#d99a1e', down: '#d2423b', registered: '#8a8f98' };
  var short = function (id) { return id.length > 8 ? '…' + id.slice(-6) : id; };

  var topologyStyle = [
    { selector: 'node', style: { 'background-color': function (n) { return COLOURS[n.data('health')] || COLOURS.registered; }, label: 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'bottom', 'text-margin-y': 6, 'font-size': 11, 'font-family': 'monospace', width: 34, height: 34, 'border-width': 2, 'border-color': '#fff' } },
    { selector: 'node[role = "border"]', style: { shape: 'round-rectangle' } },
    { selector: 'edge', style: { width: 3, 'line-color': '#5a6270', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 10, 'text-background-color': '#fbfbfc', 'text-background-opacity': 1, 'text-background-padding': 2 } },
    { selector: 'edge.planned-down', style: { 'line-style': 'dashed', 'line-color': '#d2423b', width: 2 } },
    { selector: 'edge.unplanned', style: { 'line-style': 'dotted', 'line-color': '#8a8f98' } }
  ];

  /** The topology graph in the element; update() takes the /v1/mesh answer. */
  function topology (container) {
    var cy = cytoscape({ container: container, style: topologyStyle, wheelSensitivity: 0.2, minZoom: 0.3, maxZoom: 3 });
    var shape = '';
    function update (mesh, healthOf) {
      var nodes = mesh.nodes.slice().sort(function (a, b) { return a.order - b.order; });
      var want = {};
      cy.batch(function () {
        nodes.forEach(function (n) {
          var id = 'relay:' + n.peerId;
          want[id] = true;
          var health = healthOf(n);
          var data = { id: id, peerId: n.peerId, role: n.role, health: health, label: short(n.peerId) + '\n' + health + ' · ' + (n.sessions == null ? '-' : n.sessions) + ' sessions' };
          var el = cy.getElementById(id);
          if (el.empty()) cy.add({ group: 'nodes', data: data }); else el.data(data);
        });
        mesh.links.forEach(function (l) {
          var id = 'link:' + l.a + ' ' + l.b;
          if (!want['relay:' + l.a] || !want['relay:' + l.b]) return;
          want[id] = true;
          var data = { id: id, source: 'relay:' + l.a, target: 'relay:' + l.b, label: l.up ? (l.rttMs == null ? 'up' : l.rttMs.toFixed(1) + ' ms') : 'planned, down' };
          var el = cy.getElementById(id);
          if (el.empty()) el = cy.add({ group: 'edges', data: data }); else el.data(data);
          el.toggleClass('planned-down', l.planned && !l.up);
          el.toggleClass('unplanned', !l.planned);
        });
        cy.elements().forEach(function (el) { if (!want[el.id()]) cy.remove(el); });
      });
      // Lay out again only when the relays change: edges coming and going keep the picture still.
      var now = nodes.map(function (n) { return n.peerId; }).join(',');
      if (now !== shape) {
        shape = now;
        cy.layout({ name: 'circle', sort: function (a, b) { return nodes.findIndex(function (n) { return n.peerId === a.data('peerId'); }) - nodes.findIndex(function (n) { return n.peerId === b.data('peerId'); }); }, padding: 40, animate: false }).run();
      }
      container.setAttribute('data-nodes', String(cy.nodes().length));
      container.setAttribute('data-edges-up', String(mesh.links.filter(function (l) { return l.up; }).length));
      return cy;
    }
    return { cy: cy, update: update };
  }

  var chartStyle = [
    { selector: 'node', style: { shape: 'round-rectangle', 'background-color': '#eef1f6', 'border-width': 1, 'border-color': '#7a8394', label: 'data(label)', 'text-valign': 'center', 'font-size': 11, width: 'label', height: 22, padding: 6 } },
    { selector: ':parent', style: { 'text-valign': 'top', 'background-opacity': 0.35, 'font-weight': 'bold' } },
    { selector: 'node.initial', style: { 'border-width': 2, 'border-color': '#1d2330' } },
    { selector: 'node.final', style: { 'border-style': 'double', 'border-width': 4 } },
    { selector: 'node.any', style: { shape: 'ellipse', 'background-color': '#fff', 'border-style': 'dashed' } },
    { selector: 'node.active', style: { 'border-color': '#2e6ee0', 'border-width': 2, 'background-color': '#dde8ff' } },
    { selector: 'node.current', style: { 'background-color': '#2e6ee0', color: '#fff', 'border-color': '#143f91', 'border-width': 3 } },
    { selector: 'edge', style: { width: 1.2, 'line-color': '#9aa2b1', 'target-arrow-color': '#9aa2b1', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: '#4a5160', 'text-rotation': 'autorotate', 'text-background-color': '#fbfbfc', 'text-background-opacity': 0.85 } },
    { selector: 'edge.from-current', style: { 'line-color': '#2e6ee0', 'target-arrow-color': '#2e6ee0', width: 2 } }
  ];

  /** A state chart in the element; show() draws a machine, highlight() marks its current state. */
  function chart (container) {
    var cy = cytoscape({ container: container, style: chartStyle, wheelSensitivity: 0.2, minZoom: 0.2, maxZoom: 3 });
    var drawn = '';
    function show (machine) {
      if (machine.name === drawn) return;
      drawn = machine.name;
      var c = machine.chart;
      var els = [];
      var sid = function (id) { return 's:' + id; };
      c.states.forEach(function (s) {
        var parent = s.parent == null ? undefined : sid(s.parent);
        var siblingsInitial = s.parent == null ? c.initial : (c.states.find(function (p) { return p.id === s.parent; }) || {}).initial;
        var leaf = s.id.split('.').pop();
        els.push({ group: 'nodes', data: { id: sid(s.id), parent: parent, label: leaf, state: s.id }, classes: (leaf === siblingsInitial ? 'initial ' : '') + (s.final ? 'final' : '') });
      });
      var edges = {};
      var edge = function (from, to, label) {
        var key = from + '>' + to;
        if (edges[key]) { edges[key].data.label += ', ' + label; return; }
        edges[key] = { group: 'edges', data: { id: 'e' + Object.keys(edges).length, source: from, target: to, label: label } };
      };
      var label = function (t) { return t.event + (t.guard ? ' [' + t.guard + ']' : ''); };
      c.transitions.forEach(function (t) { if (t.to !== '') edge(sid(t.from), sid(t.to), label(t)); });
      var any = c.anyState.filter(function (t) { return t.to !== ''; });
      if (any.length > 0) {
        els.push({ group: 'nodes', data: { id: 'any', label: 'any state' }, classes: 'any' });
        any.forEach(function (t) { edge('any', sid(t.to), label(t)); });
      }
      cy.elements().remove();
      cy.add(els.concat(Object.keys(edges).map(function (k) { return edges[k]; })));
      cy.layout({ name: 'cose', animate: false, randomize: false, nodeRepulsion: function () { return 400000; }, idealEdgeLength: function () { return 150; }, nodeOverlap: 20, nestingFactor: 1.2, gravity: 0.3, numIter: 2500, padding: 20, componentSpacing: 80 }).run();
      container.setAttribute('data-machine', machine.name);
      container.setAttribute('data-current', '');
    }
    function highlight (state) {
      cy.batch(function () {
        cy.elements().removeClass('current active from-current');
        if (state == null || state === '') return;
        var node = cy.getElementById('s:' + state);
        if (node.empty()) return;
        node.addClass('current');
        node.ancestors().addClass('active');
        node.outgoers('edge').addClass('from-current');
        node.ancestors().outgoers('edge').addClass('from-current');
      });
      container.setAttribute('data-current', state || '');
    }
    return { cy: cy, show: show, highlight: highlight };
  }

  window.SlimGraphs = { topology: topology, chart: chart, short: short };
})();
`
