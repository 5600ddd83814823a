"""The web pages for volunteers, coordinators and shelter managers (session login)."""

from django.urls import path

from . import web_app, web_board, web_shelter, web_slip, web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("register/", web_views.register, name="web-register"),
    path("find/", web_views.find, name="web-find"),
    path("parties/<uuid:party_id>/", web_views.party_detail, name="web-party"),
    path(
        "parties/<uuid:party_id>/check-in/",
        web_views.party_action,
        {"action": "check-in"},
        name="web-party-check-in",
    ),
    # Asks first (a confirmation page), then frees the beds: arrivals/web_shelter.py.
    path(
        "parties/<uuid:party_id>/check-out/",
        web_shelter.party_check_out,
        name="web-party-check-out",
    ),
    path("parties/<uuid:party_id>/arrival/", web_shelter.party_arrival, name="web-party-arrival"),
    path(
        "placements/<uuid:placement_id>/no-show/",
        web_shelter.placement_no_show,
        name="web-placement-no-show",
    ),
    path(
        "parties/<uuid:party_id>/cancel/",
        web_views.party_action,
        {"action": "cancel"},
        name="web-party-cancel",
    ),
    path("parties/<uuid:party_id>/edit/", web_views.party_edit, name="web-party-edit"),
    path("parties/<uuid:party_id>/state/", web_views.party_state, name="web-party-state"),
    # The slip of a placed party: no login, a secret token (arrivals/web_slip.py).
    path("slip/<str:token>/", web_slip.slip, name="web-slip"),
    # The shelter manager's pages (arrivals/web_shelter.py).
    path("shelters/<uuid:shelter_id>/", web_shelter.shelter_detail, name="web-shelter"),
    path("shelters/<uuid:shelter_id>/state/", web_shelter.shelter_state, name="web-shelter-state"),
    path(
        "shelters/<uuid:shelter_id>/status/", web_shelter.shelter_status, name="web-shelter-status"
    ),
    path("spaces/<uuid:space_id>/beds/", web_shelter.space_beds, name="web-space-beds"),
    # The coordinator's city board (arrivals/web_board.py).
    path("board/", web_board.board, name="web-board"),
    path("board/parties/<uuid:party_id>/place/", web_board.party_place, name="web-board-place"),
    path(
        "board/parties/<uuid:party_id>/duplicate/",
        web_board.party_duplicate,
        name="web-board-duplicate",
    ),
    # The installable field app (arrivals/web_app.py): the worker's scope is the root.
    path("sw.js", web_app.service_worker, name="service-worker"),
    path("manifest.webmanifest", web_app.manifest, name="web-manifest"),
    path("offline/", web_app.offline, name="web-offline"),
    path("app/session/", web_app.session_state, name="web-session"),
]
