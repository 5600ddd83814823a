/* The kitchen's page with JavaScript: servings go through the phone's outbox.
 *
 * A tap on +1, +5, +10 (or "Add" with a number) makes a serving with an Idempotency-Key
 * made here and puts it in the outbox of static/berth/app.js (kind "serving", sent to
 * POST /api/v1/meal-services/<id>/servings/): sent at once, or kept on the phone while
 * there is no network and sent when it is back, once (a retry with the same key is
 * answered from the server's idempotency store). Each service shows what waits on this
 * phone, and the served count the server answers. Without this file (or IndexedDB) the
 * buttons post the form, as before. Messages come from the page (#kitchen-text).
 * Once a serving is recorded, the service's "Take it back" form points at it.
 */
(function () {
  'use strict';

  var forms = document.querySelectorAll('form[data-serving]');
  if (!forms.length || !window.Berth) return;
  var B = window.Berth;
  var MAX = 10000;

  var t = B.texts('kitchen-text');

  function card(serviceId) {
    return document.querySelector('[data-service="' + serviceId + '"]');
  }

  function fieldError(form, message) {
    var input = form.querySelector('input[name="portions"]');
    var box = input.parentNode;
    var old = form.querySelector('[data-number-error]');
    if (old) old.remove();
    box.classList.toggle('has-error', !!message);
    if (!message) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
      return;
    }
    var list = document.createElement('ul');
    list.className = 'errorlist';
    list.id = input.id + '_error';
    list.setAttribute('data-number-error', '');
    var li = document.createElement('li');
    li.textContent = message;
    list.appendChild(li);
    box.parentNode.insertBefore(list, box);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', list.id);
    input.focus();
  }

  async function render() {
    var pending = {};
    (await B.items('serving')).forEach(function (item) {
      if (item.user !== document.body.dataset.user) return;
      var entry = pending[item.service] || (pending[item.service] = { waiting: 0, sending: 0, refused: 0, login: 0, detail: '' });
      if (item.state === 'invalid' || item.state === 'refused') {
        entry.refused += item.body.portions;
        entry.detail = item.detail || (item.errors && JSON.stringify(item.errors)) || '';
      } else if (item.state === 'login') {
        entry.login += item.body.portions;
      } else if (item.state === 'sending') {
        entry.sending += item.body.portions;
      } else {
        entry.waiting += item.body.portions;
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-service]'), function (section) {
      var note = section.querySelector('[data-pending]');
      var entry = pending[section.dataset.service];
      var lines = [];
      if (entry) {
        if (entry.waiting) lines.push(t('pending', { n: entry.waiting }));
        if (entry.sending) lines.push(t('sending', { n: entry.sending }));
        if (entry.login) lines.push(t('login'));
        if (entry.refused) lines.push(t('refused', { n: entry.refused, reason: entry.detail }));
      }
      var text = lines.join(' ');
      if (note.dataset.recorded && !text) text = note.dataset.recorded;
      note.textContent = text;
      note.classList.toggle('waiting', !!(entry && (entry.waiting || entry.login)));
    });
  }

  var timer = null;
  function renderSoon() {
    clearTimeout(timer);
    timer = setTimeout(render, 30);
  }

  document.addEventListener('berth:outbox', renderSoon);
  document.addEventListener('berth:sent', function (event) {
    var detail = event.detail;
    if (!detail || detail.item.kind !== 'serving') return;
    var section = card(detail.item.service);
    if (!section) return;
    var service = detail.answer && detail.answer.meal_service;
    if (service && typeof service.served_portions === 'number') {
      section.querySelector('[data-served]').textContent = service.served_portions;
    }
    var note = section.querySelector('[data-pending]');
    note.dataset.recorded = t('recorded', { n: detail.item.body.portions });
    showTakeBack(section, detail.answer);
    renderSoon();
  });

  // "Take it back" for the serving just recorded: the page showed the one before.
  var zone = (document.getElementById('kitchen-text') || {}).dataset || {};
  function showTakeBack(section, serving) {
    var form = section.querySelector('[data-take-back]');
    if (!form || !serving || !serving.id || !serving.recorded_at) return;
    var time;
    try {
      time = new Intl.DateTimeFormat([], {
        hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone.timezone,
      }).format(new Date(serving.recorded_at));
    } catch (error) {
      time = serving.recorded_at.slice(11, 16);
    }
    form.action = form.dataset.action.replace('00000000-0000-0000-0000-000000000000', serving.id);
    form.querySelector('[data-take-back-text]').textContent = t('last', { n: serving.portions, time: time });
    form.hidden = false;
  }

  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener('submit', function (event) {
      var submitter = event.submitter;
      if (!submitter || submitter.name !== 'add') return;
      event.preventDefault();
      (async function () {
        if (!(await B.ready)) {
          // No storage on this phone: the form posts as it does without JavaScript.
          var chosen = document.createElement('input');
          chosen.type = 'hidden';
          chosen.name = 'add';
          chosen.value = submitter.value;
          form.appendChild(chosen);
          form.submit();
          return;
        }
        var portions;
        if (submitter.value === 'number') {
          var input = form.querySelector('input[name="portions"]');
          portions = Number(input.value);
          if (!Number.isInteger(portions) || portions < 1 || portions > MAX) {
            fieldError(form, t('number'));
            return;
          }
          input.value = '';
        } else {
          portions = parseInt(submitter.value, 10);
        }
        fieldError(form, ''); // an earlier wrong number is past: this serving is counted
        var section = form.closest('[data-service]');
        section.querySelector('[data-pending]').dataset.recorded = '';
        await B.enqueue({
          key: B.newKey(),
          kind: 'serving',
          url: form.dataset.api,
          service: section.dataset.service,
          body: { portions: portions, diet: {} },
          created: Date.now(),
        });
      })();
    });
  });

  render();
})();
