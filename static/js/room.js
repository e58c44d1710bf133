/* firstcome — the waiting page (/rooms/{id}): asks where you stand now and then, and takes you
 * to the sale when your turn comes. Without this file a refresh shows the same facts.
 * A room may hold 100,000 people: each page asks at most every few seconds, less often the
 * further it is from the front, at a random moment within that, and less often again after an
 * error, so that the asks of a crowd spread out instead of arriving together. */
(function () {
  'use strict';

  var root = document.querySelector('[data-room]');
  if (!root || !window.fetch) return;
  var card = root.querySelector('[data-room-state]');
  var state = card ? card.getAttribute('data-room-state') : 'out';
  if (state === 'out' || state === 'expired') return;
  var url = '/rooms/' + root.getAttribute('data-room') + '/place';
  var next = root.getAttribute('data-room-next');
  var failures = 0;

  function set(sel, text) {
    var el = root.querySelector(sel);
    if (el) el.textContent = text;
  }

  var opens = Number(root.getAttribute('data-room-opens')) * 1000;

  /* Seconds until the next ask: a tenth of the expected wait, from 2 to 30 seconds, times a
   * random 0.5-1.5; doubled for each failure in a row, up to a minute. In the pre-queue nothing
   * changes before the start: half the time left, at most a minute, and after the start a
   * moment within ten seconds, so that a crowd's pages do not all ask at once. */
  function delay(place) {
    if (state === 'prequeue' && opens) {
      var left = opens - Date.now();
      if (left > 4000) return Math.min(60000, left / 2) * (0.75 + Math.random() / 2);
      return Math.max(left, 0) + 1000 + Math.random() * 10000;
    }
    var base = place && place.wait_seconds ? place.wait_seconds / 10 : 2;
    base = Math.min(30, Math.max(2, base)) * Math.pow(2, Math.min(failures, 5));
    return Math.min(60, base) * (0.5 + Math.random()) * 1000;
  }

  function show(place) {
    if (place.state === 'admitted' || place.state === 'expired' || place.state !== state) {
      if (place.state === 'admitted') {
        window.location.assign(next);  /* the pass went with the answer, as a cookie */
      } else {
        window.location.reload();
      }
      return false;
    }
    if (place.state === 'waiting') {
      set('[data-room-ahead]', place.ahead.toLocaleString());
      set('[data-room-wait]', place.wait_seconds.toLocaleString());
      var bar = root.querySelector('[data-room-progress]');
      if (bar && place.ticket > 0) bar.value = Math.floor((place.ticket - place.ahead - 1) * 100 / place.ticket);
    }
    return true;
  }

  function ask() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (body) {
        failures = 0;
        if (show(body.place)) setTimeout(ask, delay(body.place));
      })
      .catch(function () {
        failures++;
        setTimeout(ask, delay(null));
      });
  }
  setTimeout(ask, delay(null));
})();
