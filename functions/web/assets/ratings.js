/*
 * Live progress for a ratings upload that is still running (progressive enhancement): every
 * 1.5 seconds the run's counts are read from /ratings/<runId>/progress (JSON) and written into the
 * page in place; a polite live region says how far it has got. When the run has finished, the
 * page is fetched once and its status region (heading, result, rejected rows) replaces the old
 * one, so the result appears without a reload and without moving the focus. Without JavaScript,
 * the page's "Check progress again" link does the same by hand.
 * Served from /assets/ratings.js (the CSP allows same-origin scripts only, none inline).
 */
(function () {
  'use strict';

  var region = document.getElementById('run-status');
  if (!region || region.getAttribute('data-run-status') !== 'running') return;
  var url = region.getAttribute('data-progress-url');
  var started = Date.now();
  var LIMIT_MS = 60 * 60 * 1000;
  var hidden = region.querySelectorAll('.app-js-only');
  for (var i = 0; i < hidden.length; i += 1) hidden[i].hidden = false;

  function number(value) {
    return Number(value || 0).toLocaleString('en-GB');
  }

  function showCounts(counts) {
    if (!counts) return;
    var cells = region.querySelectorAll('[data-count]');
    for (var i = 0; i < cells.length; i += 1) {
      var key = cells[i].getAttribute('data-count');
      if (key in counts) cells[i].textContent = number(counts[key]);
    }
    var live = document.getElementById('run-live');
    if (live) live.textContent = number(counts.rowsRead) + ' rows read so far, ' + number(counts.rowsRejected) + ' rejected.';
  }

  function showResult() {
    fetch(window.location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (text) {
        var page = new DOMParser().parseFromString(text, 'text/html');
        var fresh = page.getElementById('run-status');
        if (!fresh) return;
        region.innerHTML = fresh.innerHTML;
        region.setAttribute('data-run-status', fresh.getAttribute('data-run-status') || '');
        if (page.title) document.title = page.title;
      })
      .catch(function () { window.setTimeout(showResult, 3000); });
  }

  function poll() {
    if (Date.now() - started > LIMIT_MS || !url) return;
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (run) {
        showCounts(run.counts);
        if (run.status === 'running') window.setTimeout(poll, 1500);
        else showResult();
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }

  window.setTimeout(poll, 1500);
})();
