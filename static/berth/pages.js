/* The manager's and the kitchen's pages: a form that came back refused (or a change to
 * confirm) shows a box at the top of the page; it takes the focus, so it is in view and read
 * out first, and its links move the focus to the field that caused the error (the GOV.UK
 * error summary). A part of a form that only one choice needs is shown with that choice.
 * A static file: the CSP allows no inline script.
 */
(function () {
  'use strict';

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    if (field.offsetParent === null) {
      // Not shown (a choice drawn as tap buttons over its <select>): its first control shown.
      var box = field.closest('.field, fieldset');
      var shown = box && Array.prototype.filter.call(
        box.querySelectorAll('button, input:not([type=hidden]), select, textarea'),
        function (el) { return el.offsetParent !== null; }
      )[0];
      if (shown) field = shown;
    }
    field.scrollIntoView({ block: 'center' });
    field.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest('[data-error-summary] a[href^="#"]');
    if (link && focusField(link.getAttribute('href').slice(1))) event.preventDefault();
  });

  function focusSummary() {
    var box = document.querySelector('[data-error-summary]');
    if (!box) return;
    box.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    box.scrollIntoView({ block: 'start' });
  }

  // A part of a form that only one choice needs (the shelters of an invited manager):
  // <div data-shown-when="role=shelter_manager"> is hidden while the form's `role` has
  // another value. Without JavaScript it is always shown.
  function showChosenParts() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-shown-when]'), function (part) {
      var rule = part.getAttribute('data-shown-when').split('=');
      var form = part.closest('form');
      var chosen = form && form.querySelector('[name="' + rule[0] + '"]:checked');
      part.hidden = !chosen || chosen.value !== rule[1];
    });
  }
  document.addEventListener('change', function (event) {
    if (event.target.closest('form [name]')) showChosenParts();
  });

  function ready() {
    showChosenParts();
    focusSummary();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', ready);
  } else {
    ready();
  }
})();
