/* firstcome — small progressive enhancements. Every page works without this file. */
(function () {
  'use strict';

  var pad = function (n) { return n < 10 ? '0' + n : String(n); };

  /* ---- Countdowns: [data-starts-at] = ISO-8601 UTC. "Starts in 1h 02m 03s", then "On sale now". */
  function formatLeft(ms) {
    var s = Math.ceil(ms / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    if (d > 0) return d + 'd ' + pad(h) + 'h ' + pad(m) + 'm ' + pad(s) + 's';
    if (h > 0) return h + 'h ' + pad(m) + 'm ' + pad(s) + 's';
    if (m > 0) return m + 'm ' + pad(s) + 's';
    return s + 's';
  }

  function startCountdowns() {
    var items = [];
    document.querySelectorAll('[data-starts-at]').forEach(function (el) {
      var at = Date.parse(el.getAttribute('data-starts-at'));
      if (!isNaN(at)) items.push({ el: el, at: at, live: false });
    });
    if (!items.length) return;
    var timer = null;
    function tick() {
      var now = Date.now(), pending = 0;
      items.forEach(function (it) {
        if (it.live) return;
        var left = it.at - now;
        if (left > 0) {
          pending++;
          var text = 'Starts in ' + formatLeft(left);
          if (it.el.textContent !== text) it.el.textContent = text;
        } else {
          it.live = true;
          it.el.textContent = 'On sale now';
          it.el.classList.add('is-live');
          var scope = it.el.closest('.flash-card, .card, .product');
          if (scope) scope.classList.add('sale-live');
        }
      });
      if (!pending && timer) { clearInterval(timer); timer = null; }
    }
    tick();
    // Align ticks with the wall-clock second so every countdown changes together.
    setTimeout(function () { tick(); if (items.some(function (it) { return !it.live; })) timer = setInterval(tick, 1000); },
      1000 - (Date.now() % 1000));
  }

  /* ---- Local time: [data-utc] = ISO-8601 UTC, shown in the browser's locale and zone. */
  function localTimes() {
    var opts = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
    var fmt, fmtYear, thisYear = new Date().getFullYear();
    try {
      fmt = new Intl.DateTimeFormat(undefined, opts);
      opts.year = 'numeric';
      fmtYear = new Intl.DateTimeFormat(undefined, opts);
    } catch (e) { return; }
    document.querySelectorAll('[data-utc]').forEach(function (el) {
      var iso = el.getAttribute('data-utc'), t = Date.parse(iso);
      if (isNaN(t)) return;
      var d = new Date(t);
      el.textContent = (d.getFullYear() === thisYear ? fmt : fmtYear).format(d);
      if (!el.title) el.title = iso;
    });
  }

  /* ---- Live stock: #stock[data-product-id] polls the API every 5 s while the tab is visible. */
  function liveStock() {
    var el = document.querySelector('#stock[data-product-id]');
    if (!el || !window.fetch) return;
    var id = el.getAttribute('data-product-id');
    var url = '/api/v1/products/' + encodeURIComponent(id);

    function show(n) {
      if (String(n) !== el.textContent) el.textContent = String(n);
      el.classList.toggle('is-zero', n <= 0);
      el.classList.toggle('is-low', n > 0 && n <= 10);
      soldOutButtons('data-needs-stock', n);
    }

    var initial = parseInt(el.textContent, 10);
    if (!isNaN(initial)) show(initial);
    livePoll(url, 5000, function (body) { return body && body.product && body.product.stock_remaining; }, show);
  }

  /* ---- Buttons carrying `attr` say "Sold out" (disabled) while n <= 0, and get their label back after. */
  function soldOutButtons(attr, n) {
    document.querySelectorAll('[' + attr + ']').forEach(function (b) {
      if (n <= 0) {
        if (!b.disabled) { b.disabled = true; b.setAttribute('data-label', b.textContent); b.textContent = 'Sold out'; }
      } else if (b.disabled && b.hasAttribute('data-label')) {
        b.disabled = false; b.textContent = b.getAttribute('data-label'); b.removeAttribute('data-label');
      }
    });
  }

  /* ---- A live number: GETs url every `every` ms while the tab is visible (and at once when it
     shows again); pick(body) finds the number, show(n) puts it on the page. A failed poll keeps
     the last value. */
  function livePoll(url, every, pick, show) {
    var timer = null, busy = false;
    function poll() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          var n = pick(body);
          if (typeof n === 'number') show(n);
        })
        .catch(function () { /* keep the last value; try again next tick */ })
        .then(function () { busy = false; });
    }
    function start() { if (!timer) timer = setInterval(poll, every); }
    function stop() { if (timer) { clearInterval(timer); timer = null; } }
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) stop(); else { poll(); start(); }
    });
    if (!document.hidden) start();
  }

  /* ---- Nav: mark the current section's link. */
  function currentNav() {
    var path = location.pathname;
    document.querySelectorAll('.site-nav a').forEach(function (a) {
      var href = a.getAttribute('href');
      if (href === path || (href !== '/' && path.indexOf(href + '/') === 0)) a.setAttribute('aria-current', 'page');
    });
  }

  /* ---- GET filter forms: leave empty fields out of the URL. */
  function stripEmpty() {
    document.querySelectorAll('form[data-strip-empty]').forEach(function (form) {
      form.addEventListener('submit', function () {
        Array.prototype.forEach.call(form.elements, function (f) {
          if (f.name && (f.tagName === 'INPUT' || f.tagName === 'SELECT') && f.type !== 'checkbox' && f.value === '') {
            f.disabled = true;
          }
        });
        // Re-enable after navigation starts, so going back shows a usable form.
        setTimeout(function () {
          Array.prototype.forEach.call(form.elements, function (f) { if (f.name) f.disabled = false; });
        }, 0);
      });
    });
  }

  /* ---- Filter panels start folded on phones unless a filter is active (open without JS). */
  function foldNarrow() {
    if (!window.matchMedia || !window.matchMedia('(max-width: 720px)').matches) return;
    var active = /[?&](q|category|min_price|max_price|in_stock)=[^&]/.test(location.search);
    if (active) return;
    document.querySelectorAll('details[data-collapse-narrow]').forEach(function (d) { d.open = false; });
  }

  function init() {
    foldNarrow();
    currentNav();
    localTimes();
    startCountdowns();
    liveStock();
    stripEmpty();
    countdownWords();
    openOnTime();
    liveCoupon();
  }

  /* ==== Coupon events: live remaining count, a claim button that opens on time, countdown wording. */

  /* ---- Countdowns with [data-live-text] say that word at zero ("Open now") instead of "On sale now". */
  function countdownWords() {
    if (!window.MutationObserver) return;
    document.querySelectorAll('[data-starts-at][data-live-text]').forEach(function (el) {
      var word = el.getAttribute('data-live-text');
      function fix() { if (el.classList.contains('is-live') && el.textContent !== word) el.textContent = word; }
      new MutationObserver(fix).observe(el, { childList: true, characterData: true, subtree: true, attributes: true, attributeFilter: ['class'] });
      fix();
    });
  }

  /* ---- button[data-opens-at] (disabled "Opens at ...") becomes "Claim coupon" when the event opens.
     The server still decides: an early click just gets "not started yet". */
  function openOnTime() {
    document.querySelectorAll('button[data-opens-at]').forEach(function (b) {
      var at = Date.parse(b.getAttribute('data-opens-at'));
      if (isNaN(at)) return;
      var timer = null;
      function check() {
        timer = null;
        var left = at - Date.now();
        if (left > 0) { timer = setTimeout(check, Math.min(left, 30000)); return; }
        b.removeAttribute('data-opens-at');
        if (b.hasAttribute('data-label')) return; // sold out meanwhile
        b.disabled = false;
        b.textContent = 'Claim coupon';
      }
      document.addEventListener('visibilitychange', function () {
        if (!document.hidden && b.hasAttribute('data-opens-at')) { if (timer) clearTimeout(timer); check(); }
      });
      check();
    });
  }

  /* ---- Live remaining: #coupon-remaining[data-coupon-id] polls the API every 3 s while the tab is
     visible, and moves #coupon-meter with it. */
  function liveCoupon() {
    var el = document.querySelector('#coupon-remaining[data-coupon-id]');
    if (!el || !window.fetch || el.hasAttribute('data-final')) return;
    var url = '/api/v1/coupons/' + encodeURIComponent(el.getAttribute('data-coupon-id'));
    var meter = document.getElementById('coupon-meter');

    function show(n) {
      if (String(n) !== el.textContent) el.textContent = String(n);
      var total = meter ? Number(meter.max) : 0;
      if (meter && meter.value !== n) { meter.value = n; meter.textContent = n + ' of ' + total; }
      el.classList.toggle('is-zero', n <= 0);
      el.classList.toggle('is-low', n > 0 && total > 0 && n <= Math.max(1, Math.ceil(total / 10)));
      soldOutButtons('data-needs-coupon', n);
    }

    livePoll(url, 3000, function (body) { return body && body.coupon && body.coupon.remaining; }, show);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

/* firstcome — orders: payment hold countdown, cart sale notes, confirm buttons. */
(function () {
  'use strict';

  /* ---- [data-expires-at] (ISO UTC): "Your items are held for mm:ss"; at zero the hold is over
     and [data-needs-hold] buttons are disabled (the server decides anyway). */
  function holdCountdown() {
    document.querySelectorAll('[data-expires-at]').forEach(function (el) {
      var at = Date.parse(el.getAttribute('data-expires-at'));
      if (isNaN(at)) return;
      var timer = null;
      function two(n) { return n < 10 ? '0' + n : String(n); }
      function tick() {
        var left = Math.ceil((at - Date.now()) / 1000);
        if (left > 0) {
          var text = 'Your items are held for ' + two(Math.floor(left / 60)) + ':' + two(left % 60);
          if (el.textContent !== text) el.textContent = text;
          return;
        }
        if (timer) { clearInterval(timer); timer = null; }
        el.textContent = 'Your hold has expired: the items went back on sale.';
        el.classList.add('is-expired');
        document.querySelectorAll('[data-needs-hold]').forEach(function (b) { b.disabled = true; });
      }
      tick();
      if (at > Date.now()) timer = setInterval(tick, 1000);
    });
  }

  /* ---- [data-sale-opens] (hidden): shown while that time is still ahead. */
  function saleNotes() {
    var now = Date.now();
    document.querySelectorAll('[data-sale-opens]').forEach(function (el) {
      var at = Date.parse(el.getAttribute('data-sale-opens'));
      if (!isNaN(at) && at > now) el.hidden = false;
    });
  }

  /* ---- form[data-confirm]: ask before a cancel or a return. */
  function confirmForms() {
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        if (!window.confirm(form.getAttribute('data-confirm'))) ev.preventDefault();
      });
    });
  }

  /* ---- form[data-picture-upload]: the chosen file goes as the request body, with its type and
     the page's CSRF token in a header (no multipart); then the page shows the new picture. */
  function pictureUploads() {
    document.querySelectorAll('form[data-picture-upload]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        var input = form.querySelector('input[type=file]');
        var status = form.querySelector('.picture-status');
        var file = input && input.files && input.files[0];
        if (!file) return;
        ev.preventDefault();
        status.classList.remove('is-error');
        status.textContent = 'Uploading…';
        fetch(form.action, {
          method: 'POST', body: file, credentials: 'same-origin',
          headers: { 'Content-Type': file.type || 'application/octet-stream',
                     'X-CSRF-Token': form.getAttribute('data-csrf') }
        }).then(function (r) {
          if (r.ok) { location.assign(r.url); return null; }
          return r.text().then(function (html) {
            var doc = new DOMParser().parseFromString(html, 'text/html');
            var msg = doc.querySelector('.error-message');
            status.classList.add('is-error');
            status.textContent = msg ? msg.textContent : 'The picture was refused (' + r.status + ').';
          });
        }).catch(function () {
          status.classList.add('is-error');
          status.textContent = 'The upload did not reach the shop; try again.';
        });
      });
    });
  }

  function init() {
    pictureUploads();
    holdCountdown();
    saleNotes();
    confirmForms();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
