/* The spreadsheet upload (templates/spreadsheets/imports.html): a file over the size the
 * server takes is refused here, next to its field, with the form kept as it is. Sent, a
 * body that large is answered 413 before it is read, on a page of its own. The limit and
 * the sentence are the server's (the field's data-max-bytes and data-too-big), in the
 * page's language. Without JavaScript the server says the same, or answers the 413. */
(function () {
  'use strict';

  var form = document.querySelector('[data-upload-form]');
  var input = form && form.querySelector('input[type=file][data-max-bytes]');
  if (!input) return;
  var box = input.closest('.field');
  var limit = parseInt(input.dataset.maxBytes, 10);
  var described = input.getAttribute('aria-describedby') || '';
  var shown = null;

  function tooBig() {
    var file = input.files && input.files[0];
    return Boolean(file && limit && file.size > limit);
  }

  function clear() {
    if (!shown) return;
    shown.remove();
    shown = null;
    if (box && !box.querySelector('.errorlist')) box.classList.remove('has-error');
    input.removeAttribute('aria-invalid');
    if (described) input.setAttribute('aria-describedby', described);
    else input.removeAttribute('aria-describedby');
  }

  function show() {
    clear();
    shown = document.createElement('ul');
    shown.className = 'errorlist';
    shown.id = input.id + '_too_big';
    shown.setAttribute('role', 'alert');
    var item = document.createElement('li');
    item.textContent = input.dataset.tooBig;
    shown.appendChild(item);
    (box || input.parentNode).appendChild(shown);
    if (box) box.classList.add('has-error');
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', (described + ' ' + shown.id).trim());
  }

  input.addEventListener('change', function () {
    if (tooBig()) show();
    else clear();
  });

  form.addEventListener('submit', function (event) {
    if (!tooBig()) return;
    event.preventDefault();
    show();
    input.focus();
  });
})();
