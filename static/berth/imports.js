/* A spreadsheet being checked or imported: asks its job (GET /api/v1/imports/<id>/)
 * every second, moves the progress bar, and reloads the page once the job has finished,
 * so that its result shows. Polls only while the page is visible (poll.js); without
 * JavaScript the page's Refresh link does the same. */
(function () {
  'use strict';

  var box = document.querySelector('[data-import-poll]');
  if (!box || !window.fetch || !window.BerthPoll) return;
  var bar = box.querySelector('[data-import-progress]');
  var count = box.querySelector('[data-import-done]');

  window.BerthPoll(box.dataset.importPoll, 1000, function (job) {
    if (job.status !== 'queued' && job.status !== 'running') {
      window.location.reload();
      return false;
    }
    if (bar) bar.value = job.progress;
    if (count) count.textContent = String(job.rows_done);
    return true;
  });
})();
