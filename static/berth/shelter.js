/* The shelter page: asks every 15 seconds whether what it shows changed (someone placed
 * here by the matcher, checked in or out by another phone, the beds changed:
 * /shelters/<id>/state/, nothing personal) and then says so at the top with a link to the
 * latest. It does not reload by itself: the manager may be typing a number. */
(function () {
  'use strict';

  var notice = document.querySelector('[data-shelter-poll]');
  if (!notice || !window.fetch || !window.BerthPoll) return;
  var seen = notice.dataset.fingerprint;

  window.BerthPoll(notice.dataset.shelterPoll, 15000, function (state) {
    if (state.fingerprint === seen) return true;
    notice.hidden = false;
    return false;
  });
})();
