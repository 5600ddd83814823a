"""`/api/schema/`, the OpenAPI document, and `/api/docs/`: Swagger UI that runs under the
site's Content-Security-Policy.

drf-spectacular's split view serves the start-up script as a file of its own
(`?script`) instead of inline, and the template below links its few styles from a
static file: no 'unsafe-inline' is needed, so the docs get no exemption.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    """The document in YAML or JSON; its errors (an unknown `?format=`, an `Accept` it
    cannot give) in JSON as every other error of the API, not in the document's YAML."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api_docs.html"
