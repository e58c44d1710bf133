/* firstcome — the operators' live view of a sale (/admin/live/...). The server sends one event a
 * second (Server-Sent Events); this draws the last five minutes of it as small charts. Without
 * this file the page shows the figures of its loading. */
(function () {
  'use strict';

  var root = document.querySelector('[data-live-events]');
  if (!root || !window.EventSource) return;
  var campaign = root.getAttribute('data-live-kind') === 'campaign';
  var POINTS = 300; /* five minutes of one-second events */
  var GOOD = { claimed: 1, ordered: 1, paid: 1 };
  var series = {};
  var state = root.querySelector('[data-live-state]');

  function fmt(v, digits) {
    if (v === null || v === undefined) return '–';
    return Number(v).toLocaleString(undefined, { maximumFractionDigits: digits || 0 });
  }

  function push(name, v) {
    var s = series[name] || (series[name] = []);
    s.push(v);
    if (s.length > POINTS) s.shift();
    var svg = root.querySelector('[data-live-chart="' + name + '"]');
    if (!svg) return;
    var max = 0;
    s.forEach(function (x) { if (x !== null && x > max) max = x; });
    /* The chart spans at least a minute, then the last five; the newest point on the right. */
    var span = Math.max(60, s.length), start = span - s.length;
    var pts = [];
    s.forEach(function (x, i) {
      if (x === null) return;
      var y = max > 0 ? 46 - (x / max) * 44 : 46;
      pts.push(((start + i) * 300 / (span - 1)).toFixed(1) + ',' + y.toFixed(1));
    });
    svg.querySelector('polyline').setAttribute('points', pts.join(' '));
    var note = root.querySelector('[data-live-note="' + name + '"]');
    if (note) note.textContent = 'last ' + (s.length < 60 ? s.length + ' s' : Math.round(s.length / 60) + ' min') + ', peak ' + fmt(max, 1);
  }

  function show(name, v, digits) {
    var el = root.querySelector('[data-live-value="' + name + '"]');
    if (el) el.textContent = fmt(v, digits);
  }

  /* The table's rows, one per entry ([key, figures...]); prune drops the rows of keys gone. */
  function rows(tableName, key, entries, prune) {
    var body = root.querySelector('[data-live-table="' + tableName + '"]');
    var empty = root.querySelector('[data-live-empty="' + tableName + '"]');
    if (!body) return;
    if (prune) {
      var keep = {};
      entries.forEach(function (e) { keep[e[0]] = true; });
      Array.prototype.slice.call(body.children).forEach(function (tr) {
        if (!keep[tr.getAttribute('data-' + key)]) body.removeChild(tr);
      });
    }
    entries.forEach(function (e) {
      var tr = body.querySelector('tr[data-' + key + '="' + e[0] + '"]');
      if (!tr) {
        tr = document.createElement('tr');
        tr.setAttribute('data-' + key, e[0]);
        e.forEach(function (cell, i) {
          var td = document.createElement('td');
          if (i > 0) td.className = 'num';
          tr.appendChild(td);
        });
        body.appendChild(tr);
      }
      e.forEach(function (cell, i) { tr.children[i].textContent = i === 0 ? cell : fmt(cell, 1); });
    });
    if (empty) empty.hidden = entries.length > 0;
  }

  function onEvent(ev) {
    var rates = ev.per_second || null; /* absent in a stream's first event */
    var totals = ev.totals || {};
    var refused = 0, lagSum = 0;
    Object.keys(rates || {}).forEach(function (k) { if (!GOOD[k]) refused += rates[k]; });
    Object.keys(ev.lag || {}).forEach(function (g) { lagSum += ev.lag[g]; });
    var pipeline = (ev.outbox || 0) + lagSum;
    show('left', ev.left);
    push('left', ev.left);
    show('pipeline', pipeline);
    push('pipeline', pipeline);
    if (rates) {
      var rate = (campaign ? rates.claimed : rates.ordered) || 0;
      show('rate', rate, 1);
      push('rate', rate);
      show('refused', refused, 1);
      push('refused', refused);
      show('declined', rates.payment_declined || 0, 1);
      push('declined', rates.payment_declined || 0);
      show('p99', ev.p99_ms, 1);
      push('p99', ev.p99_ms);
    }
    rows('outcomes', 'outcome', Object.keys(totals).map(function (k) {
      return [k, totals[k], rates ? (rates[k] || 0) : null];
    }));
    rows('lag', 'group', Object.keys(ev.lag || {}).map(function (g) { return [g, ev.lag[g]]; }), true);
    if (state) state.textContent = 'Live: updated ' + new Date().toLocaleTimeString() + '.';
    root.setAttribute('data-live-events-seen', String((+root.getAttribute('data-live-events-seen') || 0) + 1));
  }

  /* EventSource reconnects by itself after a dropped stream; after a refusal (an error status)
   * it stops, and the page tries again later, backing off. */
  var backoff = 2000;
  function connect() {
    var es = new EventSource(root.getAttribute('data-live-events'));
    es.onmessage = function (m) {
      backoff = 2000;
      try { onEvent(JSON.parse(m.data)); } catch (e) { /* a torn event: the next one follows */ }
    };
    es.onerror = function () {
      if (state) state.textContent = 'Reconnecting…';
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    };
  }
  connect();
})();
