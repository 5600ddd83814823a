"""`/api/docs/`: Swagger UI that runs under the site's Content-Security-Policy.

drf-spectacular's split view serves the start-up script as a file of its own
(`?script`) instead of inline, and the template below links its few styles from a
static file: no 'unsafe-inline' is needed, so the docs get no exemption.
"""

from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api_docs.html"
