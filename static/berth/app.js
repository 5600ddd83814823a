/* Berth's field app, on every page: the service worker, the outbox of writes kept on this
 * phone until the server has them (registrations, and the kitchens' servings), and logging
 * out. A static file: the CSP allows no inline script.
 *
 * What the phone keeps (IndexedDB, through idb-keyval: database "berth", store "kv"):
 * - "outbox:<Idempotency-Key>": a write not yet confirmed by the server; deleted as soon
 *   as the server answers 201. Each item has a `kind`: "party" (a registration, with its
 *   personal data; the default) or another kind that names its own `url` (a serving:
 *   `POST /api/v1/meal-services/<id>/servings/`). The server's answer to an item of
 *   another kind is announced with a "berth:sent" event ({item, answer}).
 * - "draft": what is typed in the registration form, saved as it is typed.
 * - "sent": the last registrations sent: code, party id, status, time and size only, and,
 *   while the party is placed, where to send it (shelter, address, space: no name of
 *   anybody). The register page asks again about those it shows when it opens: a party
 *   moved or cancelled since is shown as it is now.
 * Logging out deletes all of it (after a warning when something is not sent yet).
 */
(function () {
  'use strict';

  var body = document.body;
  var idb = window.idbKeyval;
  var API = '/api/v1/parties/';
  var SESSION = '/app/session/';
  var SHELL = '/register/';
  var HEALTH = '/healthz';
  var SENT_KEPT = 20;
  var MAX_DELAY = 60000;

  function emit() {
    document.dispatchEvent(new CustomEvent('berth:outbox'));
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : '';
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  async function forgetShell() {
    if (!window.caches) return;
    var names = await caches.keys();
    await Promise.all(names.filter(function (n) { return n.indexOf('berth-') === 0; }).map(async function (name) {
      await (await caches.open(name)).delete(SHELL);
    }));
  }

  // --- The store ---------------------------------------------------------------------
  var store = null;
  var ready = (async function () {
    if (!idb || !window.indexedDB) return false;
    try {
      store = idb.createStore('berth', 'kv');
      await idb.get('probe', store);
      return true;
    } catch (error) {
      store = null;
      return false;
    }
  })();

  function kindOf(item) {
    return item.kind || 'party';
  }

  async function allItems() {
    var entries = await idb.entries(store);
    return entries
      .filter(function (entry) { return String(entry[0]).indexOf('outbox:') === 0; })
      .map(function (entry) { return entry[1]; })
      .sort(function (a, b) { return a.created - b.created; });
  }

  /* The items of one kind (registrations by default) kept on this phone. */
  async function items(kind) {
    kind = kind || 'party';
    return (await allItems()).filter(function (item) { return kindOf(item) === kind; });
  }

  async function save(item) {
    await idb.set('outbox:' + item.key, item, store);
    emit();
  }

  async function remove(key) {
    await idb.del('outbox:' + key, store);
    emit();
  }

  /* The registrations this phone sent for the person logged in, newest first. */
  async function sentByThisUser() {
    var user = body.dataset.user;
    return ((await idb.get('sent', store)) || []).filter(function (entry) { return entry.user === user; });
  }

  /* Where a placed party goes, as the list of sent registrations shows it: the shelter
   * and its address (no name of anybody); null unless it is placed (waiting, checked in,
   * cancelled: nowhere to send it). */
  function placeOf(party) {
    var placement = party && party.status === 'placed' && party.placement;
    if (!placement) return null;
    return { shelter: placement.shelter_name, address: placement.address || '', space: placement.space_name };
  }

  async function recordSent(item, party) {
    await idb.update('sent', function (sent) {
      sent = (sent || []).filter(function (entry) { return entry.key !== item.key; });
      sent.unshift({
        key: item.key, user: item.user, code: party.code, id: party.id, status: party.status,
        size: party.size || item.body.members.length, at: Date.now(), place: placeOf(party),
      });
      return sent.slice(0, SENT_KEPT);
    }, store);
  }

  /* A sent registration not placed yet and still waiting (one cancelled, checked in or
   * gone is not asked about again). */
  function stillWaiting(entry) {
    return !entry.place && (!entry.status || entry.status === 'waiting');
  }

  function samePlace(a, b) {
    return JSON.stringify(a || null) === JSON.stringify(b || null);
  }

  /* Asks the server again about the sent registrations `wanted` picks: where each is to go
   * now, and its status (a coordinator may have moved or cancelled it since); what changed
   * is kept and shown. Returns those asked about that are still waiting for a place. */
  async function refreshSent(wanted) {
    var sent = (await sentByThisUser()).filter(wanted);
    var found = {};
    await Promise.all(sent.map(async function (entry) {
      try {
        var response = await fetch(API + entry.id + '/', {
          credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' },
        });
        if (response.ok) {
          var party = await response.json();
          found[entry.key] = { place: placeOf(party), status: party.status };
        }
      } catch (error) {
        // offline: asked again later
      }
    }));
    var changed = sent.some(function (entry) {
      var now = found[entry.key];
      return now && (now.status !== entry.status || !samePlace(now.place, entry.place));
    });
    if (changed) {
      await idb.update('sent', function (all) {
        return (all || []).map(function (entry) {
          return found[entry.key] ? Object.assign({}, entry, found[entry.key]) : entry;
        });
      }, store);
      emit();
    }
    return sent.filter(function (entry) { return stillWaiting(found[entry.key] || entry); });
  }

  /* The sent registrations of the last minutes still waiting: asked about again (the
   * matcher places a party moments after it is registered). Returns whether some still
   * wait. */
  async function lookForPlaces(withinMs) {
    var left = await refreshSent(function (entry) {
      return stillWaiting(entry) && Date.now() - entry.at < withinMs;
    });
    return left.length > 0;
  }

  // --- Sending -----------------------------------------------------------------------
  var delay = 0;
  var timer = null;
  var running = null;
  var loginNeeded = false;

  function retryLater(seconds) {
    delay = seconds ? seconds * 1000 : Math.min(MAX_DELAY, delay ? delay * 2 : 2000);
    clearTimeout(timer);
    timer = setTimeout(flush, delay + Math.random() * 500);
  }

  async function sessionState() {
    try {
      var response = await fetch(SESSION, { credentials: 'same-origin', cache: 'no-store' });
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null;
    }
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (error) {
      return {};
    }
  }

  function post(item) {
    return fetch(item.url || API, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Idempotency-Key': item.key,
        'X-CSRFToken': csrfToken(),
      },
      body: JSON.stringify(item.body),
    });
  }

  /* Sends one registration. Answers 'sent', 'kept' (try again later), 'login' (the
   * session is gone: stop until the volunteer logs in) or 'stopped' (the server refused
   * it: the volunteer corrects it). */
  async function send(item) {
    item.state = 'sending';
    await save(item);
    var response;
    try {
      response = await post(item);
      if (response.status === 403 || response.status === 401) {
        var session = await sessionState();
        if (session === null) throw new Error('offline');
        if (!session.authenticated || session.user !== item.user) {
          item.state = 'login';
          await save(item);
          return 'login';
        }
        // Logged in: the CSRF cookie was stale or missing; /app/session/ set a fresh one.
        response = await post(item);
      }
    } catch (error) {
      item.state = 'waiting';
      await save(item);
      return 'kept';
    }
    var status = response.status;
    if (status === 201 || status === 200) {
      var answer201 = await readJson(response);
      if (kindOf(item) === 'party') await recordSent(item, answer201);
      await remove(item.key);
      if (kindOf(item) !== 'party') {
        document.dispatchEvent(new CustomEvent('berth:sent', { detail: { item: item, answer: answer201 } }));
      }
      return 'sent';
    }
    if (status === 429 || status === 408 || status >= 500) {
      item.state = 'waiting';
      await save(item);
      retryLater(parseInt(response.headers.get('Retry-After'), 10) || 0);
      return 'kept';
    }
    var answer = await readJson(response);
    item.state = status === 400 ? 'invalid' : 'refused';
    item.errors = status === 400 ? answer : null;
    item.detail = status === 400 ? '' : (answer.detail || String(status));
    await save(item);
    return 'stopped';
  }

  async function flushNow() {
    if (!(await ready)) return;
    var user = body.dataset.user;
    if (!user) return;
    var pending = (await allItems()).filter(function (item) {
      return item.user === user && ['waiting', 'sending', 'login'].indexOf(item.state) >= 0;
    });
    var offline = false;
    loginNeeded = false;
    for (var i = 0; i < pending.length; i++) {
      var result = await send(pending[i]);
      if (result === 'login') {
        loginNeeded = true;
        break;
      }
      if (result === 'kept') {
        offline = true;
        break;
      }
    }
    if (offline) {
      retryLater(0);
    } else {
      delay = 0;
      clearTimeout(timer);
    }
    emit();
  }

  /* One flush at a time in this tab, and across tabs where the browser has Web Locks; one
   * asked for while another runs follows it (a registration kept meanwhile is sent too). */
  var again = false;
  function flush() {
    if (running) {
      again = true;
      return running;
    }
    var run = navigator.locks && navigator.locks.request
      ? navigator.locks.request('berth-outbox', flushNow)
      : flushNow();
    running = run.catch(function () { return null; }).then(function () {
      running = null;
      if (again) {
        again = false;
        return flush();
      }
      return null;
    });
    return running;
  }

  async function enqueue(item) {
    item.state = 'waiting';
    item.created = item.created || Date.now();
    item.user = body.dataset.user;
    await save(item);
    flush();
  }

  async function unsentCount() {
    if (!(await ready)) return 0;
    var count = (await allItems()).length;
    var draft = await idb.get('draft', store);
    return count + (draft && draft.personal ? 1 : 0);
  }

  async function wipe() {
    if (await ready) await idb.clear(store);
    await forgetShell();
  }

  // The page's translated sentences for a script: a <template id=...> of elements with
  // data-text keys. Returns t(key, {name: value}), which fills in __name__.
  function texts(templateId) {
    var found = {};
    var template = document.getElementById(templateId);
    if (template) {
      Array.prototype.forEach.call(template.content.querySelectorAll('[data-text]'), function (el) {
        found[el.dataset.text] = el.textContent.trim();
      });
    }
    return function t(key, values) {
      var text = found[key] || key;
      Object.keys(values || {}).forEach(function (name) {
        text = text.split('__' + name + '__').join(values[name]);
      });
      return text;
    };
  }

  window.Berth = {
    ready: ready,
    store: function () { return store; },
    idb: idb,
    newKey: newKey,
    items: items,
    save: save,
    remove: remove,
    enqueue: enqueue,
    flush: flush,
    loginNeeded: function () { return loginNeeded; },
    sent: sentByThisUser,
    unsentCount: unsentCount,
    lookForPlaces: lookForPlaces,
    refreshSent: refreshSent,
    texts: texts,
  };

  window.addEventListener('online', function () {
    delay = 0;
    flush();
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') flush();
  });
  flush();

  // --- Logging out, logging in, changing the language ----------------------------------
  async function reachable() {
    if (navigator.onLine === false) return false;
    try {
      await fetch(HEALTH, { cache: 'no-store', credentials: 'omit' });
      return true;
    } catch (error) {
      return false;
    }
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.dataset.confirmed) return;
    var logout = form.hasAttribute('data-logout');
    var language = form.hasAttribute('data-language');
    var login = form.hasAttribute('data-login');
    if (!logout && !language && !login) return;
    event.preventDefault();
    var submitter = event.submitter;
    (async function () {
      if (logout) {
        var count = await unsentCount();
        if (count > 0 && !window.confirm(form.dataset.unsent.replace('__n__', count))) return;
        await wipe();
      } else {
        // Both need the server. Offline, nothing is done: the cached registration page,
        // forgotten first, would be gone until the network came back.
        if (!(await reachable())) {
          window.alert(body.dataset.needsNetwork);
          return;
        }
        // The cached registration page was made in the old language, or for someone else.
        await forgetShell();
      }
      if (submitter && submitter.name) {
        var chosen = document.createElement('input');
        chosen.type = 'hidden';
        chosen.name = submitter.name;
        chosen.value = submitter.value;
        form.appendChild(chosen);
      }
      form.dataset.confirmed = '1';
      form.submit();
    })().catch(function () {
      form.dataset.confirmed = '1';
      form.submit();
    });
  });

  // --- The service worker --------------------------------------------------------------
  if ('serviceWorker' in navigator && body.dataset.worker) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register(body.dataset.worker, { scope: '/' }).catch(function () {
        return null;
      });
    });
  }
})();
