"""The `Idempotency-Key` header of the REST API, over `idempotency.services.idempotent`."""

from collections.abc import Callable

from rest_framework import exceptions
from rest_framework.response import Response

from accounts.access import Access

from .services import InvalidKey, idempotent

HEADER = "Idempotency-Key"


def idempotency_owner(access: Access, request) -> str:
    """Whose keys these are: one caller's keys are invisible to another."""
    if access.is_integration:
        return f"api-key:{request.auth.pk}"
    return f"user:{access.user_id}"


def idempotent_response(
    request,
    *,
    access: Access,
    scope: str,
    work: Callable[..., tuple[int, dict]],
    on_replay: Callable[[dict], dict] | None = None,
    stores_answer: bool = False,
) -> Response:
    """Answer a POST once per `Idempotency-Key`; without the header, just do the work.

    `work` validates and writes, returning (status, body); with `stores_answer` it is
    given the request's `Claim` (None without the header) and stores its answer itself
    (`idempotency.services.idempotent`). A replay gets the first
    answer with `Idempotent-Replayed: true`, as `on_replay(body)` gives it when given:
    what the caller may see now, as any other answer (a party's personal data goes
    through `arrivals.services.parties_personal_data_show`).
    """
    key = request.headers.get(HEADER)
    if key is None:
        code, body = work(None) if stores_answer else work()
        return Response(body, status=code)
    try:
        answer = idempotent(
            owner=idempotency_owner(access, request),
            scope=scope,
            key=key,
            payload=request.data,
            work=work,
            stores_answer=stores_answer,
        )
    except InvalidKey as error:
        raise exceptions.ValidationError({HEADER: [str(error)]}) from error
    body = answer.body
    if answer.replayed and on_replay is not None:
        body = on_replay(body)
    response = Response(body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response
