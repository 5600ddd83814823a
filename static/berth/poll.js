/* BerthPoll(url, every, onAnswer): asks `url` for JSON every `every` milliseconds while
 * the page is visible (stops when it is hidden, asks at once when it shows again) and
 * hands each answer to `onAnswer`, which returns false to stop. A failed request
 * (offline, the server away, an answer that is not JSON) just waits for the next. Used
 * by party.js and imports.js. */
(function () {
  'use strict';

  // Its own name: app.js sets window.Berth on the volunteers' pages.
  window.BerthPoll = function (url, every, onAnswer) {
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
          if (onAnswer(await response.json()) === false) return;
        }
      } catch (error) {
        /* offline or the server is away: try again later */
      }
      schedule();
    }

    function schedule() {
      if (timer === null && document.visibilityState !== 'hidden') {
        timer = window.setTimeout(look, every);
      }
    }

    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') {
        if (timer !== null) window.clearTimeout(timer);
        timer = null;
      } else if (timer === null) {
        look();
      }
    });
    schedule();
  };
})();
