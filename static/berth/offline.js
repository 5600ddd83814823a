/* The offline page (templates/arrivals/offline.html), shown by the service worker from its
 * cache when a page cannot be loaded. It was fetched once, without cookies, so it holds its
 * text in every language: this shows the one the language cookie names, and what this
 * phone still keeps to send (static/berth/app.js's outbox). */
(function () {
  'use strict';

  var match = document.cookie.match(/(?:^|;\s*)django_language=([^;]+)/);
  var wanted = match ? decodeURIComponent(match[1]) : '';
  var sections = document.querySelectorAll('[data-offline]');
  var shown = null;
  sections.forEach(function (section) {
    if (section.dataset.offline === wanted) shown = section;
  });
  if (shown) {
    sections.forEach(function (section) { section.hidden = section !== shown; });
    document.documentElement.lang = wanted;
    document.title = shown.dataset.title;
    document.querySelectorAll('header button[name="language"]').forEach(function (button) {
      if (button.value === wanted) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    });
  }

  document.querySelectorAll('[data-reload]').forEach(function (button) {
    button.addEventListener('click', function () { window.location.reload(); });
  });

  if (!window.Berth) return;
  window.Berth.ready.then(async function (ok) {
    if (!ok) return;
    var registrations = (await window.Berth.items('party')).length;
    var portions = (await window.Berth.items('serving')).reduce(function (sum, item) {
      return sum + (item.body.portions || 0);
    }, 0);
    if (!registrations && !portions) return;
    document.querySelectorAll('[data-kept]').forEach(function (list) {
      list.querySelector('[data-kept-registrations]').textContent = registrations;
      list.querySelector('[data-kept-portions]').textContent = portions;
      list.hidden = false;
    });
  });
})();
