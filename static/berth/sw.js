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

async function refreshShell(cache) {
  const response = await fetch(CONFIG.shell, { credentials: 'same-origin', cache: 'no-store' });
  // A redirect (to the login page) is not the shell: keep what we had.
  if (response.ok && !response.redirected && response.type === 'basic') {
    await cache.put(CONFIG.shell, response.clone());
  }
  return response;
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
    const names = await caches.keys();
    const old = names.filter((name) => name.startsWith('berth-') && name !== CACHE);
    const cache = await caches.open(CACHE);
    // A new version keeps the shell the old one had until the network gives a fresh one.
    if (!(await cache.match(CONFIG.shell))) {
      for (const name of old) {
        const shell = await (await caches.open(name)).match(CONFIG.shell);
        if (shell) {
          await cache.put(CONFIG.shell, shell);
          break;
        }
      }
    }
    await Promise.all(old.map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function shellFirst(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(CONFIG.shell);
  const fresh = fetch(event.request).then(async (response) => {
    if (response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(CONFIG.shell, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => null));
    return cached;
  }
  try {
    return await fresh;
  } catch (error) {
    return (await cache.match(CONFIG.offline)) || Response.error();
  }
}

async function networkFirst(event, fallback) {
  try {
    return await fetch(event.request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    return (await cache.match(fallback)) || (await cache.match(CONFIG.offline)) || Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
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
