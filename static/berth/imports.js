/* A spreadsheet being checked or imported: asks its job (GET /api/v1/imports/<id>/)
 * every second, moves the progress bar, and reloads the page once the job has finished,
 * so that its result shows. Polls only while the page is visible; without JavaScript the
 * page's Refresh link does the same. */
(function () {
  'use strict';

  var box = document.querySelector('[data-import-poll]');
  if (!box || !window.fetch) return;
  var url = box.dataset.importPoll;
  var bar = box.querySelector('[data-import-progress]');
  var count = box.querySelector('[data-import-done]');
  var EVERY = 1000;
  var timer = null;

  async function look() {
    timer = null;
    try {
      var response = await fetch(url, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' }
      });
      if (response.ok) {
        var job = await response.json();
        if (job.status !== 'queued' && job.status !== 'running') {
          window.location.reload();
          return;
        }
        if (bar) bar.value = job.progress;
        if (count) count.textContent = String(job.rows_done);
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
