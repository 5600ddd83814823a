"""The volunteers' pages as an installable web app that works without a network.

- `/sw.js`: the service worker, served from the root so that its scope is the whole site.
  Its code is the static file `berth/sw.js`; this view puts its settings in front of it
  (the version, the files to keep, the app shell's URL). The version changes with the
  bytes of every file it keeps, so a deploy that changes one installs a new worker.
- `/manifest.webmanifest`: name, icons, start page (`/register/`).
- `/offline/`: what a page other than the registration form shows without a network.
- `/app/session/`: whether the session is still logged in, for the outbox (a 403 from the
  API is a lost session or a stale CSRF token, or a role that may not register).

What the device keeps, and when it forgets it: `static/berth/app.js`. The registration
page's outbox and form: `static/berth/register.js`.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

# Every static file a page of the app needs, kept by the service worker at install.
# static/vendor/README.md says where the vendored ones come from.
APP_STATIC = (
    "berth/berth.css",
    "berth/field.css",
    "vendor/idb-keyval-6.3.0/idb-keyval.umd.js",
    "berth/app.js",
    "berth/register.js",
    "berth/offline.js",
    "berth/icons/icon-32.png",
    "berth/icons/icon-180.png",
    "berth/icons/icon-192.png",
    "berth/icons/icon-512.png",
    "berth/icons/maskable-512.png",
)
WORKER_SOURCE = "berth/sw.js"
THEME_COLOR = "#17324d"
BACKGROUND_COLOR = "#f2f3f0"


def _static_bytes(path: str) -> bytes:
    """A static file's content, from the source folders or else from STATIC_ROOT."""
    found = finders.find(path)
    if found:
        with open(found, "rb") as source:
            return source.read()
    with staticfiles_storage.open(path) as source:
        return source.read()


def worker_settings() -> dict:
    """What the service worker keeps, and a version that changes with any of it."""
    shell = reverse("web-register")
    offline = reverse("web-offline")
    manifest = reverse("web-manifest")
    files = [static(path) for path in APP_STATIC]
    digest = hashlib.sha256()
    for path in (*APP_STATIC, WORKER_SOURCE):
        digest.update(static(path).encode())
        digest.update(_static_bytes(path))
    digest.update("|".join(code for code, _name in settings.LANGUAGES).encode())
    return {
        "version": digest.hexdigest()[:16],
        "shell": shell,
        "offline": offline,
        "static_prefix": settings.STATIC_URL
        if settings.STATIC_URL.startswith("/")
        else f"/{settings.STATIC_URL}",
        "precache": [*files, manifest],
    }


@require_GET
def service_worker(request):
    config = json.dumps(worker_settings(), separators=(",", ":"))
    body = f"self.BERTH = {config};\n".encode() + _static_bytes(WORKER_SOURCE)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser asks for the worker again on every visit and compares the bytes.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request):
    icons = [
        {"src": static(f"berth/icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
        for n in (192, 512)
    ]
    icons.append(
        {
            "src": static("berth/icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    data = {
        "name": "Berth",
        "short_name": "Berth",
        "description": _("Register arriving people and tell them where to go."),
        "lang": get_language(),
        "start_url": reverse("web-register"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": icons,
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request):
    """Kept by the service worker (fetched without cookies, so it names nobody). It holds
    its text in every language: shown from the cache, it cannot ask for the one chosen
    since, and static/berth/offline.js shows the one the language cookie names."""
    return render(
        request, "arrivals/offline.html", {"languages": [code for code, _n in settings.LANGUAGES]}
    )


@require_GET
@never_cache
@ensure_csrf_cookie
def session_state(request):
    """Whether this session is logged in, and as whom; sets a fresh CSRF cookie."""
    user = request.user
    return JsonResponse(
        {
            "authenticated": user.is_authenticated,
            "user": user.get_username() if user.is_authenticated else None,
        }
    )
