"""Content negotiation: an unknown `?format=` is an error of the request, answered 400 on
`format` (DRF's own answers 404, which reads as "no such report"). A path ending in an
unknown suffix (`/parties/a.b/`) still names nothing: 404."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            asked = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            if format_suffix or not asked:
                raise
            known = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise ValidationError(
                {"format": [_("Unknown format. Use: %(formats)s.") % {"formats": known}]}
            ) from None
