/* The party page while the party waits: asks every few seconds for its status and
 * waiting reason (/parties/<id>/state/: nothing personal) and reloads the page when
 * either changes, so a volunteer sees the bed as soon as the matcher finds one. Polls
 * only while the page is visible; a failed request just waits for the next. */
(function () {
  'use strict';

  var box = document.querySelector('[data-party-poll]');
  if (!box || !window.fetch) return;
  var url = box.dataset.partyPoll;
  var status = box.dataset.status;
  var reason = box.dataset.reason;
  var EVERY = 5000;
  var timer = null;

  async function look() {
    timer = null;
    try {
      var response = await fetch(url, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' }
      });
      var type = response.headers.get('Content-Type') || '';
      if (response.ok && type.indexOf('application/json') === 0) {
        var state = await response.json();
        if (state.status !== status || (state.waiting_reason || '') !== reason) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      /* offline or the server is away: try again later */
    }
    schedule();
  }

  function schedule() {
    if (timer === null && document.visibilityState !== 'hidden') {
      timer = window.setTimeout(look, EVERY);
    }
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
    } else {
      look();
    }
  });
  schedule();
})();
