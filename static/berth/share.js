/* A link to pass on: share it (Web Share API), copy it, print the page. Used by the slip
 * page (/slip/<token>/: the page's own link) and the invitation links (a coordinator's
 * new invitation, an accepted host offer's). The container `[data-link-actions]` names
 * the link in `data-url` (the page's own when absent); `[data-link-text]` shows it, to be
 * selected when the clipboard cannot be written. Progressive: without this script the
 * link is on the page to copy by hand and the browser's own print works; the buttons
 * appear only where they can work. No inline script: the CSP allows none. */
(function () {
  'use strict';

  document.querySelectorAll('[data-link-actions]').forEach(function (actions) {
    var url = actions.dataset.url || window.location.href.split('#')[0];
    var status = actions.querySelector('[data-link-status]');
    var share = actions.querySelector('[data-share]');
    var copy = actions.querySelector('[data-copy]');
    var print = actions.querySelector('[data-print]');

    function say(text) {
      if (status) status.textContent = text;
    }

    function copyByHand() {
      var shown = document.querySelector('[data-link-text]');
      if (!shown || !window.getSelection) return false;
      if (shown.select) {
        shown.select();  // an input
      } else {
        var range = document.createRange();
        range.selectNodeContents(shown);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      try {
        return document.execCommand('copy');
      } catch (error) {
        return false;
      }
    }

    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener('click', function () {
        navigator.share({ title: share.dataset.title, text: share.dataset.text, url: url })
          .catch(function () { /* dismissed: nothing to say */ });
      });
    }

    if (copy) {
      copy.addEventListener('click', function () {
        var done = function () { say(copy.dataset.done); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(url).then(done, function () {
            if (copyByHand()) done();
          });
        } else if (copyByHand()) {
          done();
        }
      });
    }

    if (print && window.print) {
      print.addEventListener('click', function () { window.print(); });
    } else if (print) {
      print.hidden = true;
    }

    actions.hidden = false;
  });
})();
