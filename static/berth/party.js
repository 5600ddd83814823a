/* The party page while the party waits: asks every few seconds for its status and
 * waiting reason (/parties/<id>/state/: nothing personal) and reloads the page when
 * either changes, so a volunteer sees the bed as soon as the matcher finds one. Polls
 * only while the page is visible (poll.js); a failed request just waits for the next. */
(function () {
  'use strict';

  var box = document.querySelector('[data-party-poll]');
  if (!box || !window.fetch || !window.BerthPoll) return;
  var status = box.dataset.status;
  var reason = box.dataset.reason;

  window.BerthPoll(box.dataset.partyPoll, 5000, function (state) {
    if (state.status !== status || (state.waiting_reason || '') !== reason) {
      window.location.reload();
      return false;
    }
    return true;
  });
})();
