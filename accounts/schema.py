"""How the OpenAPI document describes our own authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Integrations send `Authorization: Api-Key <key>`.",
        }


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """People's tokens (django-rest-knox underneath), under the name they always had."""

    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "People send `Authorization: Token <token>`, with the token of "
                "`POST /api/v1/auth/token/`. A token ends after hours without use "
                "(`expires_at`, moved on by each use), at a password change and at "
                "`POST /api/v1/auth/logout/`."
            ),
        }
