/* Berth's service worker. Served at /sw.js (arrivals/web_app.py), which puts
 * `self.BERTH` in front of this file: {version, shell, offline, static_prefix, precache}.
 *
 * - The app shell, the registration page, opens from the cache at once and is refreshed
 *   in the background (stale-while-revalidate), so it opens with no network and in well
 *   under a second on a slow one. With a query (?people=4) it is fetched first.
 * - Other pages: the network first; without it, the offline page.
 * - Static files (versioned by the deploy) and the manifest: the cache first.
 * - Nothing else is touched: API calls, POSTs and pages with personal data go to the
 *   network and are never stored here. The pages' own code clears the shell from the
 *   cache when the language changes or someone logs in or out (static/berth/app.js).
 */
'use strict';

const CONFIG = self.BERTH;
const CACHE = 'berth-' + CONFIG.version;
const KEPT = new Set(CONFIG.precache);

/* The caches of earlier versions: kept until this version has a shell of its own, since
 * the shell they hold names their static files. */
async function dropOld() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith('berth-') && name !== CACHE).map((name) => caches.delete(name)),
  );
}

async function keepShell(cache, response) {
  // A redirect (to the login page) is not the shell: keep what we had.
  if (response.ok && !response.redirected && response.type === 'basic') {
    await cache.put(CONFIG.shell, response.clone());
    await dropOld();
  }
  return response;
}

async function refreshShell(cache) {
  return keepShell(cache, await fetch(CONFIG.shell, { credentials: 'same-origin', cache: 'no-store' }));
}

/* From this version's cache, else from an earlier one's. */
async function kept(cache, request) {
  return (await cache.match(request)) || (await caches.match(request));
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(CONFIG.precache);
    // Fetched without cookies: the offline page names nobody.
    const offline = await fetch(CONFIG.offline, { credentials: 'omit' });
    if (offline.ok) await cache.put(CONFIG.offline, offline);
    try {
      await refreshShell(cache);
    } catch (error) {
      // Kept on the next visit to the registration page.
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    if (await cache.match(CONFIG.shell)) await dropOld();
    await self.clients.claim();
  })());
});

async function shellFirst(event) {
  const cache = await caches.open(CACHE);
  const cached = await kept(cache, CONFIG.shell);
  const fresh = fetch(event.request).then((response) => keepShell(cache, response));
  if (cached) {
    event.waitUntil(fresh.catch(() => null));
    return cached;
  }
  try {
    return await fresh;
  } catch (error) {
    return (await kept(cache, CONFIG.offline)) || Response.error();
  }
}

async function networkFirst(event, fallback) {
  try {
    return await fetch(event.request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    return (await kept(cache, fallback)) || (await kept(cache, CONFIG.offline)) || Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await kept(cache, request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (url.pathname === CONFIG.shell) {
      event.respondWith(url.search ? networkFirst(event, CONFIG.shell) : shellFirst(event));
    } else {
      event.respondWith(networkFirst(event, CONFIG.offline));
    }
    return;
  }
  if (KEPT.has(url.pathname) || url.pathname.startsWith(CONFIG.static_prefix)) {
    event.respondWith(cacheFirst(request));
  }
});
