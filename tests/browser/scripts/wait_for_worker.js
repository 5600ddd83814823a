// Until the service worker controls the page and keeps the registration page (15 s at most).
async () => {
  for (let i = 0; i < 300; i++) {
    if (navigator.serviceWorker.controller && (await caches.match('/register/'))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
