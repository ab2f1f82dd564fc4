/*
 * Progressive enhancement for the Board page: the quorum indicator follows the attendee
 * checkboxes as they are ticked. The server renders the same indicator and checks the quorum
 * again when the meeting is recorded, so nothing depends on this script.
 * Served from /assets/board.js (the CSP allows same-origin scripts only, none inline).
 */
(function () {
  'use strict';

  function update(form, status) {
    var minimum = parseInt(status.getAttribute('data-minimum'), 10) || 0;
    var ticked = form.querySelectorAll('input[name="attendees"]:checked');
    var roles = {};
    for (var i = 0; i < ticked.length; i += 1) roles[ticked[i].getAttribute('data-role')] = true;

    var enough = ticked.length >= minimum;
    var allRoles = true;
    var roleItems = status.querySelectorAll('[data-quorum-role]');
    for (var j = 0; j < roleItems.length; j += 1) {
      var item = roleItems[j];
      var present = Boolean(roles[item.getAttribute('data-quorum-role')]);
      if (!present) allRoles = false;
      item.textContent = item.getAttribute(present ? 'data-present-text' : 'data-missing-text');
      item.className = present ? 'app-quorum__met' : 'app-quorum__missing';
    }

    var count = status.querySelector('[data-quorum-count]');
    if (count) {
      count.textContent = count.getAttribute('data-text').replace('{count}', String(ticked.length));
      count.className = enough ? 'app-quorum__met' : 'app-quorum__missing';
    }

    var quorate = enough && allRoles;
    var headline = status.querySelector('[data-quorum-headline]');
    if (headline) headline.textContent = headline.getAttribute(quorate ? 'data-quorate-text' : 'data-not-quorate-text');
    status.classList.toggle('app-quorum--met', quorate);
    status.setAttribute('data-quorate', quorate ? 'true' : 'false');
  }

  var forms = document.querySelectorAll('form[data-quorum-form]');
  for (var k = 0; k < forms.length; k += 1) {
    (function (form) {
      var status = document.getElementById(form.getAttribute('data-quorum-form'));
      if (!status) return;
      form.addEventListener('change', function (event) {
        if (event.target && event.target.name === 'attendees') update(form, status);
      });
      update(form, status);
    })(forms[k]);
  }
})();
