/* The registration page with JavaScript: nothing typed is ever lost.
 *
 * Without this file (or without IndexedDB) the form posts to /register/ as before. With it:
 * - what is typed is saved as a draft (IndexedDB) as it is typed, and comes back after a
 *   reload;
 * - people are added and removed, and the count changed, in place; age group and sex are
 *   tap buttons over the form's own <select>s (sex: none pressed until asked);
 * - 'Register' checks the form, gives the registration an Idempotency-Key made here, puts
 *   it in the outbox (static/berth/app.js) and empties the form for the next party,
 *   keeping the city, the registration point and the languages. The outbox sends it to
 *   POST /api/v1/parties/ now or when the network returns, and shows each one: waiting,
 *   sent with its code, log in again, or back in the form with the server's errors next
 *   to the fields.
 * Messages come from the page (#field-text and the form's data- attributes), translated
 * by Django.
 */
(function () {
  'use strict';

  var form = document.querySelector('form[data-field-form]');
  if (!form || !window.Berth) return;
  var B = window.Berth;

  var container = form.querySelector('[data-members]');
  var template = document.getElementById('member-template');
  var total = form.querySelector('input[name="members-TOTAL_FORMS"]');
  var addButton = form.querySelector('[data-add-member]');
  var sizes = document.querySelector('[data-sizes]');
  var formErrors = document.querySelector('[data-form-errors]');
  var outbox = document.getElementById('outbox');
  var MAX = parseInt(form.dataset.maxMembers, 10) || 30;
  var MAX_LANGUAGES = parseInt(form.dataset.maxLanguages, 10) || 10;
  var GROWN = ['adult', 'senior'];
  var KEPT_FOR_NEXT = ['city', 'registration_point', 'languages', 'other_languages'];
  var NOT_SAVED = ['csrfmiddlewaretoken', 'form_token'];
  var PHONE = /^\+?[0-9][0-9 ()\-.]{3,30}$/;
  // A language code as the API takes it (arrivals/languages.py CODE_PATTERN, MAX_CODE).
  var LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;
  var MAX_CODE = 16;
  // Each language name a volunteer may type, folded as languageKey folds it, with its
  // code (arrivals/languages.py): the API takes codes only.
  var LANGUAGE_NAMES = JSON.parse(document.getElementById('language-names').textContent);

  var t = B.texts('field-text');
  var personText = template.content.querySelector('h3').textContent;

  var currentKey = null; // the Idempotency-Key of the registration in the form, once made
  var busy = false;
  var lastQueued = 0;
  var loading = false;

  // --- Rows ----------------------------------------------------------------------------
  function rows() {
    return Array.prototype.slice.call(container.querySelectorAll('[data-member]'));
  }

  function field(name) {
    return form.elements.namedItem(name);
  }

  function checkedValues(name) {
    return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (el) {
      return el.checked;
    }).map(function (el) { return el.value; });
  }

  function renumber() {
    var all = rows();
    all.forEach(function (row, index) {
      var prefix = 'members-' + index + '-';
      Array.prototype.forEach.call(row.querySelectorAll('*'), function (el) {
        ['name', 'id', 'for', 'aria-describedby', 'aria-labelledby'].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && value.indexOf('members-') >= 0) {
            el.setAttribute(attr, value.replace(/members-(\d+|__prefix__)-/g, prefix));
          }
        });
      });
      var remove = row.querySelector('[name="remove_member"]');
      remove.value = index;
      remove.hidden = all.length < 2;
      row.querySelector('h3').textContent = personText.replace('__num__', index + 1);
    });
    total.value = all.length;
    if (addButton) addButton.hidden = all.length >= MAX;
    if (sizes) {
      Array.prototype.forEach.call(sizes.querySelectorAll('a'), function (link) {
        if (parseInt(link.dataset.size, 10) === all.length) link.setAttribute('aria-current', 'true');
        else link.removeAttribute('aria-current');
      });
    }
  }

  function addRow() {
    var index = rows().length;
    if (index >= MAX) return null;
    var holder = document.createElement('div');
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, index);
    var row = holder.firstElementChild;
    container.appendChild(row);
    enhance(row);
    renumber();
    return row;
  }

  function rowIsEmpty(row) {
    var empty = true;
    Array.prototype.forEach.call(row.querySelectorAll('input, select'), function (el) {
      if (el.type === 'checkbox') {
        if (el.checked) empty = false;
      } else if (el.name && /-age_group$/.test(el.name)) {
        if (el.value && el.value !== 'adult') empty = false;
      } else if (el.value.trim()) {
        empty = false;
      }
    });
    return empty;
  }

  function removeRow(row) {
    if (rows().length < 2) return;
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    var focus = next && next.querySelector('input[type=text]');
    if (focus) focus.focus();
  }

  /* So many rows: adds empty ones, or takes away empty ones from the end; never one with
   * something typed in it. */
  function setCount(count) {
    count = Math.max(1, Math.min(MAX, count));
    while (rows().length < count) addRow();
    var all = rows();
    for (var i = all.length - 1; i >= count; i--) {
      if (!rowIsEmpty(all[i])) break;
      all[i].remove();
    }
    renumber();
  }

  function setRows(count) {
    rows().forEach(function (row) { row.remove(); });
    for (var i = 0; i < Math.max(1, count); i++) addRow();
  }

  // --- Tap buttons over the age and sex <select>s ------------------------------------
  function syncTaps(select) {
    var group = select.nextElementSibling;
    if (!group || !group.classList.contains('taps')) return;
    Array.prototype.forEach.call(group.querySelectorAll('button'), function (button) {
      button.setAttribute('aria-pressed', String(button.dataset.value === select.value));
    });
  }

  function enhance(root) {
    var selects = root.querySelectorAll('select[name$="-sex"], select[name$="-age_group"]');
    Array.prototype.forEach.call(selects, function (select) {
      if (select.dataset.tapped) return;
      select.dataset.tapped = '1';
      var box = select.closest('.field');
      var label = box.querySelector('label');
      label.id = select.id + '_label';
      var group = document.createElement('div');
      group.className = 'taps';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-labelledby', label.id);
      if (select.getAttribute('aria-describedby')) {
        group.setAttribute('aria-describedby', select.getAttribute('aria-describedby'));
      }
      var optional = /-sex$/.test(select.name);
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) return;
        var button = document.createElement('button');
        button.type = 'button';
        button.dataset.value = option.value;
        button.textContent = option.textContent;
        button.addEventListener('click', function () {
          var pressed = select.value === option.value;
          if (pressed && !optional) return;
          select.value = pressed ? '' : option.value;
          select.dispatchEvent(new Event('change', { bubbles: true }));
        });
        group.appendChild(button);
      });
      group.classList.add('n' + group.children.length);
      select.hidden = true;
      box.classList.add('tapped');
      select.after(group);
      syncTaps(select);
    });
  }

  form.addEventListener('change', function (event) {
    if (event.target.tagName === 'SELECT') syncTaps(event.target);
  });

  // --- Draft ---------------------------------------------------------------------------
  function values() {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_SAVED.indexOf(el.name) >= 0 || /_FORMS$/.test(el.name)) return;
      if (el.type === 'submit' || el.type === 'button') return;
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) pairs.push([el.name, el.value]);
      } else {
        pairs.push([el.name, el.value]);
      }
    });
    return pairs;
  }

  function hasPersonal() {
    if (rows().some(function (row) { return !rowIsEmpty(row); })) return true;
    return ['contact_phone', 'notes'].some(function (name) {
      return field(name) && field(name).value.trim();
    });
  }

  function restore(pairs, count) {
    setRows(count);
    var given = {};
    pairs.forEach(function (pair) { (given[pair[0]] = given[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_SAVED.indexOf(el.name) >= 0 || /_FORMS$/.test(el.name)) return;
      if (el.type === 'submit' || el.type === 'button') return;
      var saved = given[el.name];
      if (el.type === 'checkbox' || el.type === 'radio') {
        el.checked = !!saved && saved.indexOf(el.value) >= 0;
      } else if (saved) {
        if (el.tagName === 'SELECT' && !Array.prototype.some.call(el.options, function (o) { return o.value === saved[0]; })) return;
        el.value = saved[0];
      } else if (el.tagName === 'SELECT') {
        // Not given: as the page first showed it, never the last party's choice.
        var first = Array.prototype.find.call(el.options, function (o) { return o.defaultSelected; });
        el.value = first ? first.value : (el.options[0] ? el.options[0].value : '');
      } else if (el.type !== 'hidden') {
        el.value = ''; // a phone or a note is one party's, never the next one's
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll('select'), syncTaps);
    openDetailsWithChoices();
  }

  function openDetailsWithChoices() {
    Array.prototype.forEach.call(form.querySelectorAll('details.more'), function (details) {
      if (details.querySelector('input:checked')) details.open = true;
    });
  }

  var draftTimer = null;
  function saveDraftNow() {
    clearTimeout(draftTimer);
    var draft = {
      values: values(), rows: rows().length, key: currentKey, personal: hasPersonal(),
      user: document.body.dataset.user, saved: Date.now(),
    };
    return B.idb.set('draft', draft, B.store()).catch(function () { return null; });
  }
  function saveDraftSoon() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraftNow, 250);
  }
  form.addEventListener('input', saveDraftSoon);
  form.addEventListener('change', saveDraftSoon);
  window.addEventListener('pagehide', saveDraftNow);

  // --- Errors --------------------------------------------------------------------------
  function flatten(value) {
    if (value === null || value === undefined) return [];
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) return value.reduce(function (all, v) { return all.concat(flatten(v)); }, []);
    if (typeof value === 'object') {
      return Object.keys(value).reduce(function (all, k) { return all.concat(flatten(value[k])); }, []);
    }
    return [String(value)];
  }

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll('.errorlist'), function (el) { el.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll('.has-error'), function (el) { el.classList.remove('has-error'); });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (el) { el.removeAttribute('aria-invalid'); });
    formErrors.hidden = true;
  }

  function errorList(messages, id) {
    var list = document.createElement('ul');
    list.className = 'errorlist';
    if (id) list.id = id;
    messages.forEach(function (message) {
      var item = document.createElement('li');
      item.textContent = message;
      list.appendChild(item);
    });
    return list;
  }

  /* Shows messages at the field called `name`; returns its (first) element, or null when
   * the form has no such field. */
  function place(name, messages) {
    var target = field(name);
    if (!target || !messages.length) return null;
    var el = target.nodeType ? target : target[0];
    if (!el) return null;
    var box = el.closest('.field') || el.closest('fieldset') || el.closest('section');
    var id = 'error_' + name;
    box.appendChild(errorList(messages, id));
    box.classList.add('has-error');
    var details = box.closest('details');
    if (details) details.open = true;
    var inputs = target.nodeType ? [target] : Array.prototype.slice.call(target);
    inputs.forEach(function (input) {
      input.setAttribute('aria-invalid', 'true');
    });
    var group = box.querySelector('.taps');
    if (group) group.setAttribute('aria-invalid', 'true');
    return el;
  }

  /* The name a field goes by in the summary: its label (or its group's legend), after
   * "Person 2" for a person's. A label written as a sentence ("They agree … a bed.") loses
   * its full stop before the ": error" that follows, as in the server's summary
   * (config/error_summary.py). */
  function fieldName(el, index) {
    var box = el.closest('fieldset') || el.closest('.field');
    // One of a group of checkboxes or radios goes by the group's legend, not its own label.
    var grouped = (el.type === 'checkbox' || el.type === 'radio') && box && box.querySelector('legend');
    var label = grouped || (el.id && form.querySelector('label[for="' + el.id + '"]')) ||
      (box && box.querySelector('legend, .label, label'));
    var text = label ? label.textContent.trim().replace(/[.:]+$/, '') : '';
    if (index === null) return text;
    var person = personText.replace('__num__', index + 1);
    return text ? person + ', ' + text : person;
  }

  /* The GOV.UK error summary, as the server draws it: each error naming its field and
   * linking to it; it takes the focus, in view at the top. */
  function showSummary(entries) {
    formErrors.innerHTML = '';
    var box = document.createElement('div');
    box.className = 'error-summary';
    box.setAttribute('role', 'alert');
    box.setAttribute('tabindex', '-1');
    box.setAttribute('data-error-summary', '');
    var title = document.createElement('h2');
    title.textContent = t('problem');
    box.appendChild(title);
    var list = document.createElement('ul');
    entries.forEach(function (entry) {
      var item = document.createElement('li');
      if (entry.el && entry.el.id) {
        var link = document.createElement('a');
        link.href = '#' + entry.el.id;
        link.textContent = entry.text;
        item.appendChild(link);
      } else {
        item.textContent = entry.text;
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    var note = document.createElement('p');
    note.className = 'help';
    note.textContent = t('unsaved');
    box.appendChild(note);
    formErrors.appendChild(box);
    formErrors.hidden = false;
    box.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  /* Errors as the API gives them: {"field": [...], "members": [{}, {"given_name": [...]}]}. */
  function showErrors(errors) {
    clearErrors();
    var general = [];
    var entries = [];
    function shown(name, messages, index) {
      var el = place(name, messages);
      if (!el) {
        general = general.concat(messages.map(function (text) { return { text: text }; }));
        return;
      }
      var named = fieldName(el, index);
      messages.forEach(function (text) {
        // No ":" after a label ending in "?" or "!": a space is enough.
        var joint = /[?!]$/.test(named) ? ' ' : ': ';
        entries.push({ text: named ? named + joint + text : text, el: el });
      });
    }
    Object.keys(errors || {}).forEach(function (name) {
      var value = errors[name];
      if (name === 'members' && Array.isArray(value) && value.some(function (v) { return v && typeof v === 'object' && !Array.isArray(v); })) {
        value.forEach(function (memberErrors, index) {
          Object.keys(memberErrors || {}).forEach(function (memberField) {
            shown('members-' + index + '-' + memberField, flatten(memberErrors[memberField]), index);
          });
        });
        return;
      }
      // Too many languages is told where more can be typed (the API names the list).
      shown(name === 'languages' ? 'other_languages' : name, flatten(value), null);
    });
    // In the order of the page, as the server's summary.
    entries.sort(function (a, b) {
      if (a.el === b.el) return 0;
      return a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    showSummary(general.concat(entries));
  }

  // --- Checking and building the registration ---------------------------------------
  function numberError(name, errors) {
    var input = field(name);
    var min = parseInt(input.min, 10);
    var max = parseInt(input.max, 10);
    var value = input.value.trim();
    if (!/^-?\d+$/.test(value) || +value < min || +value > max) {
      errors[name] = [t('range', { min: min, max: max })];
    }
  }

  /* What was typed in "other languages", each part as typed. */
  function otherLanguages() {
    return field('other_languages').value.split(/[,;]/).map(function (typed) {
      return typed.trim();
    }).filter(Boolean);
  }

  /* Folded as arrivals/languages.py folds names (`_key`). */
  function languageKey(typed) {
    return typed.split(/\s+/).filter(Boolean).join(' ').toLowerCase()
      .replace(/[\u02bb\u02bc\u2019`]/g, "'")
      .replace(/\s+(language|язык|тілі|tili)$/, '');
  }

  /* A code as the server stores it (arrivals/languages.py `normal_code`): the language,
   * before the first '-', in lower case, the rest as typed ('ZH-Hant' is 'zh-Hant'). */
  function normalCode(code) {
    var dash = code.indexOf('-');
    if (dash < 0) return code.toLowerCase();
    return code.slice(0, dash).toLowerCase() + code.slice(dash);
  }

  /* The code of a language typed by its name or its code; null when it is neither
   * (arrivals/languages.py `language_code`). */
  function languageCode(typed) {
    var code = LANGUAGE_NAMES[languageKey(typed)];
    if (code) return code;
    return typed.length <= MAX_CODE && LANGUAGE.test(typed) ? normalCode(typed) : null;
  }

  function check() {
    var errors = {};
    var members = [];
    var bad = false;
    rows().forEach(function (row, index) {
      var prefix = 'members-' + index + '-';
      var memberErrors = {};
      if (!field(prefix + 'given_name').value.trim()) memberErrors.given_name = [t('required')];
      if (GROWN.indexOf(field(prefix + 'age_group').value) >= 0 && !field(prefix + 'sex').value) {
        memberErrors.sex = [t('sex')];
      }
      if (Object.keys(memberErrors).length) bad = true;
      members.push(memberErrors);
    });
    if (bad) errors.members = members;
    if (!field('city').value) errors.city = [t('required')];
    var phone = field('contact_phone').value.trim();
    if (phone && !PHONE.test(phone)) errors.contact_phone = [t('phone')];
    var unknown = otherLanguages().filter(function (typed) { return !languageCode(typed); });
    if (unknown.length) {
      errors.other_languages = [t('language', { value: unknown[0] })];
    } else if (allLanguages().length > MAX_LANGUAGES) {
      errors.other_languages = [t('languages_max')];
    }
    numberError('pets', errors);
    numberError('nights_needed', errors);
    if (!field('consent').checked) errors.consent = [t('consent')];
    return Object.keys(errors).length ? errors : null;
  }

  /* The languages ticked and typed, each once. */
  function allLanguages() {
    var languages = checkedValues('languages').concat(otherLanguages().map(languageCode));
    return languages.filter(function (code, i) { return languages.indexOf(code) === i; });
  }

  /* The body of POST /api/v1/parties/, as docs/api-reference.md gives it. */
  function build() {
    return {
      city: field('city').value,
      registration_point: field('registration_point').value.trim(),
      contact_phone: field('contact_phone').value.trim() || null,
      languages: allLanguages(),
      pets: parseInt(field('pets').value, 10),
      nights_needed: parseInt(field('nights_needed').value, 10),
      notes: field('notes').value.trim(),
      consent: true,
      members: rows().map(function (row, index) {
        var prefix = 'members-' + index + '-';
        var family = field(prefix + 'family_name').value.trim();
        return {
          given_name: field(prefix + 'given_name').value.trim(),
          family_name: family || null,
          sex: field(prefix + 'sex').value || 'unspecified',
          age_group: field(prefix + 'age_group').value,
          needs: checkedValues(prefix + 'needs'),
          diet: checkedValues(prefix + 'diet'),
        };
      }),
    };
  }

  /* Puts a registration back into the form (the server refused it, or it is corrected). */
  function fill(body) {
    var pairs = [];
    var known = Array.prototype.map.call(form.querySelectorAll('input[name="languages"]'), function (el) { return el.value; });
    pairs.push(['city', body.city]);
    pairs.push(['registration_point', body.registration_point || '']);
    pairs.push(['contact_phone', body.contact_phone || '']);
    (body.languages || []).forEach(function (code) {
      if (known.indexOf(code) >= 0) pairs.push(['languages', code]);
    });
    pairs.push(['other_languages', (body.languages || []).filter(function (code) { return known.indexOf(code) < 0; }).join(', ')]);
    pairs.push(['pets', String(body.pets)]);
    pairs.push(['nights_needed', String(body.nights_needed)]);
    pairs.push(['notes', body.notes || '']);
    if (body.consent) pairs.push(['consent', 'on']);
    (body.members || []).forEach(function (member, index) {
      var prefix = 'members-' + index + '-';
      pairs.push([prefix + 'given_name', member.given_name || '']);
      pairs.push([prefix + 'family_name', member.family_name || '']);
      pairs.push([prefix + 'sex', member.sex || '']);
      pairs.push([prefix + 'age_group', member.age_group || 'adult']);
      (member.needs || []).forEach(function (v) { pairs.push([prefix + 'needs', v]); });
      (member.diet || []).forEach(function (v) { pairs.push([prefix + 'diet', v]); });
    });
    restore(pairs, (body.members || []).length);
  }

  /* Empties the form for the next party; the city, registration point and languages stay,
   * everything else (phone, notes, members) is emptied. */
  function resetForNext() {
    var kept = values().filter(function (pair) { return KEPT_FOR_NEXT.indexOf(pair[0]) >= 0; });
    restore(kept.concat([['pets', '0'], ['nights_needed', '1']]), 1);
    clearErrors();
  }

  async function loadItem(item) {
    loading = true;
    try {
      fill(item.body);
      currentKey = item.state === 'invalid' ? item.key : null;
      await B.remove(item.key);
      await saveDraftNow();
      if (item.state === 'invalid') showErrors(item.errors);
      else showErrors({ non_field_errors: [item.detail] });
    } finally {
      loading = false;
    }
  }

  async function register() {
    if (busy) return;
    // The second tap of a double tap finds an empty form: nothing to do.
    if (!hasPersonal() && Date.now() - lastQueued < 3000) return;
    busy = true;
    try {
      // A row left empty is an error at its name, as without JavaScript: the count the
      // volunteer chose is not lowered behind their back.
      var errors = check();
      if (errors) {
        showErrors(errors);
        return;
      }
      clearErrors();
      if (!currentKey) currentKey = B.newKey();
      await B.enqueue({ key: currentKey, body: build(), created: Date.now() });
      currentKey = null;
      lastQueued = Date.now();
      resetForNext();
      await saveDraftNow();
      window.scrollTo(0, 0);
      var first = form.querySelector('input[name="members-0-given_name"]');
      if (first) first.focus({ preventScroll: true });
    } finally {
      busy = false;
    }
  }

  form.addEventListener('submit', function (event) {
    if (!form.dataset.ready) return; // not started (yet): the form posts as without JS
    event.preventDefault();
    var submitter = event.submitter;
    var name = submitter ? submitter.name : 'register';
    if (name === 'add_member') {
      var row = addRow();
      if (row) row.querySelector('input[type=text]').focus();
      saveDraftSoon();
    } else if (name === 'remove_member') {
      removeRow(submitter.closest('[data-member]'));
      saveDraftSoon();
    } else {
      register();
    }
  });

  if (sizes) {
    sizes.addEventListener('click', function (event) {
      var link = event.target.closest('a[data-size]');
      if (!link) return;
      event.preventDefault();
      setCount(parseInt(link.dataset.size, 10));
      saveDraftSoon();
    });
  }

  // --- The outbox, shown ---------------------------------------------------------------
  var list = outbox.querySelector('[data-outbox-list]');
  var loginBox = outbox.querySelector('[data-outbox-login]');
  var offlineNote = outbox.querySelector('[data-outbox-offline]');
  var partyUrl = form.dataset.partyUrl;

  function names(body) {
    var given = body.members.map(function (member) { return member.given_name; });
    return given.slice(0, 3).join(', ') + (given.length > 3 ? ', … (' + given.length + ')' : '');
  }

  function entry(label, state, text) {
    var item = document.createElement('li');
    item.className = 'outbox-item ' + state;
    var who = document.createElement('b');
    who.textContent = label;
    var status = document.createElement('span');
    status.className = 'state';
    status.textContent = text;
    item.appendChild(who);
    item.appendChild(status);
    return item;
  }

  /* "Sent: code ABC123" with the code set apart, to be read out to the party. */
  function sentEntry(code) {
    var item = document.createElement('li');
    item.className = 'outbox-item sent';
    var status = document.createElement('span');
    status.className = 'state';
    var parts = t('sent').split('__code__');
    status.appendChild(document.createTextNode(parts[0]));
    var strong = document.createElement('b');
    strong.className = 'mono';
    strong.textContent = code;
    status.appendChild(strong);
    status.appendChild(document.createTextNode(parts.slice(1).join('')));
    item.appendChild(status);
    return item;
  }

  function button(text, action) {
    var el = document.createElement('button');
    el.type = 'button';
    el.className = 'btn inline secondary';
    el.textContent = text;
    el.addEventListener('click', action);
    return el;
  }

  async function render() {
    var user = document.body.dataset.user;
    var waiting = (await B.items()).filter(function (item) { return item.user === user; });
    var sent = (await B.sent()).slice(0, 5);
    if (!loading && !busy && !hasPersonal()) {
      var refused = waiting.filter(function (item) { return item.state === 'invalid' || item.state === 'refused'; })[0];
      if (refused) {
        await loadItem(refused);
        return;
      }
    }
    list.innerHTML = '';
    waiting.forEach(function (item) {
      var text = t(item.state);
      if (item.state === 'refused' && item.detail) text += ': ' + item.detail;
      var li = entry(names(item.body), item.state, text);
      if (item.state === 'invalid' || item.state === 'refused') {
        li.appendChild(button(t('fix'), function () {
          if (hasPersonal() && !window.confirm(t('replace'))) return;
          loadItem(item);
        }));
      } else if (item.state === 'waiting') {
        li.appendChild(button(t('retry'), function () { B.flush(); }));
      }
      list.appendChild(li);
    });
    sent.forEach(function (done) {
      var li = sentEntry(done.code);
      // Which party it is, without a name: how many they are, and when it was sent.
      var about = document.createElement('span');
      about.className = 'muted';
      about.textContent = [
        t('people', { n: done.size }),
        new Date(done.at).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' }),
      ].join(' · ');
      li.appendChild(about);
      if (!done.place && done.status && done.status !== 'waiting') {
        // Checked in, cancelled, gone: nowhere to send them now.
        var state = document.createElement('span');
        state.className = 'state';
        state.setAttribute('data-status', done.status);
        state.textContent = t('status-' + done.status);
        li.appendChild(state);
      }
      if (done.place) {
        // Where to send them, to be said at once: the shelter, its address, the space.
        var place = document.createElement('span');
        place.className = 'place';
        place.setAttribute('data-place', '');
        place.textContent = t('goto', {
          place: [done.place.shelter, done.place.address, done.place.space].filter(Boolean).join(', '),
        });
        li.appendChild(place);
      }
      var link = document.createElement('a');
      link.href = partyUrl.replace('00000000-0000-0000-0000-000000000000', done.id);
      link.textContent = t('open');
      li.appendChild(link);
      list.appendChild(li);
    });
    schedulePlaces(sent);
    loginBox.hidden = !waiting.some(function (item) { return item.state === 'login'; });
    offlineNote.hidden = navigator.onLine || !waiting.length;
    outbox.hidden = !waiting.length && !sent.length;
  }

  // Sent parties without a place yet are asked about every few seconds for two minutes,
  // while the page is seen: the matcher places most at once.
  var PLACE_WAIT_MS = 120000;
  var placesTimer = null;
  function schedulePlaces(sent) {
    var waiting = sent.some(function (done) { return !done.place && Date.now() - done.at < PLACE_WAIT_MS; });
    if (!waiting || placesTimer) return;
    placesTimer = setTimeout(async function () {
      placesTimer = null;
      if (document.visibilityState !== 'visible' || !navigator.onLine) {
        render();
        return;
      }
      if (await B.lookForPlaces(PLACE_WAIT_MS)) schedulePlaces(await B.sent());
    }, 3000);
  }

  var renderQueued = false;
  function renderSoon() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(function () {
      renderQueued = false;
      render();
    }, 30);
  }
  document.addEventListener('berth:outbox', renderSoon);
  window.addEventListener('online', renderSoon);
  window.addEventListener('offline', renderSoon);

  // --- Start ---------------------------------------------------------------------------
  B.ready.then(async function (ok) {
    // No IndexedDB (a private window on an old browser): the plain form, as without JS.
    if (!ok) return;
    form.noValidate = true; // checked here, with the page's own (translated) messages
    if (sizes) sizes.hidden = false;
    Array.prototype.forEach.call(container.querySelectorAll('[data-member]'), enhance);
    renumber();
    var draft = null;
    try {
      draft = await B.idb.get('draft', B.store());
    } catch (error) {
      draft = null;
    }
    if (form.dataset.bound) {
      await saveDraftNow(); // the server's answer to a form sent without this script
    } else if (draft && draft.values && (draft.user === document.body.dataset.user || !draft.personal)) {
      var people = parseInt(new URLSearchParams(location.search).get('people'), 10);
      restore(draft.values, draft.rows);
      currentKey = draft.key || null;
      if (people && !draft.personal) setCount(people);
    }
    form.dataset.ready = '1';
    if (window.performance && performance.mark) performance.mark('berth-ready'); // benchmarks/field_app.py
    render();
    // Where the registrations listed here are to go now: a coordinator may have moved or
    // cancelled one since it was sent.
    var shown = (await B.sent()).slice(0, 5).map(function (done) { return done.key; });
    if (shown.length && navigator.onLine) {
      B.refreshSent(function (done) { return shown.indexOf(done.key) >= 0; }).catch(function () {
        return null;
      });
    }
  });
})();
