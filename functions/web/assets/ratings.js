/*
 * Progressive enhancement for a ratings upload that is still running: every two seconds the
 * page is fetched again and its status region replaced, so the counts grow in place (announced
 * politely by the region's aria-live) without reloading the page or moving the focus. When the
 * run has finished, the whole page is loaded once to show the result.
 * Served from /assets/ratings.js (the CSP allows same-origin scripts only, none inline).
 */
(function () {
  'use strict';

  var region = document.getElementById('run-status');
  if (!region || region.getAttribute('data-run-status') !== 'running') return;
  var started = Date.now();
  var LIMIT_MS = 30 * 60 * 1000;

  function poll() {
    if (Date.now() - started > LIMIT_MS) return;
    fetch(window.location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, 'text/html').getElementById('run-status');
        if (!fresh) return;
        if (fresh.getAttribute('data-run-status') !== 'running') {
          window.location.reload();
          return;
        }
        region.innerHTML = fresh.innerHTML;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 2000);
})();
