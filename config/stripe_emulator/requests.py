"""How the emulator takes a request as Stripe does: idempotency keys and restricted keys, and the parameter
checks and error answers its endpoints share."""

import hashlib
import time

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError, json_response

IDEMPOTENCY_WINDOW = 24 * 60 * 60  # Stripe keeps a key's answer for at least 24 hours
# Answers of calls that ran (succeeded, or a card declined); a refused request is not remembered.
REPLAYED_STATUSES = (200, 402)


def accept_restricted_keys() -> None:
    """Restricted keys (`rk_…`, what organizations paste) are accepted like secret keys (localstripe knows
    only `sk_…`; what a restricted key may do is not emulated)."""
    secret_key_of = server.get_api_key

    def api_key(request):
        kind, _, token = request.headers.get("Authorization", "").partition(" ")
        if kind == "Bearer" and token.startswith("rk_") and len(token) > 5:
            return token
        return secret_key_of(request)

    server.get_api_key = api_key


def idempotency_middleware():
    """A POST repeated with the same `Idempotency-Key` replays the first answer, and the same key with other
    parameters is refused (`idempotency_error`), as Stripe does (remembered while it runs, not across
    restarts)."""
    answers: dict[tuple[str, str], tuple[float, str, int, bytes]] = {}

    @web.middleware
    async def replay_by_idempotency_key(request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        body = await request.read()  # aiohttp keeps it for the handler
        account = hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()
        fingerprint = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        now = time.time()
        answered = answers.get((account, key))
        if answered and now - answered[0] < IDEMPOTENCY_WINDOW:
            _, first_fingerprint, status, content = answered
            if first_fingerprint != fingerprint:
                return json_response(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other than '{key}' "
                            "if you meant to execute a different request.",
                        }
                    },
                    status=400,
                )
            return web.Response(
                body=content,
                status=status,
                content_type="application/json",
                headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
            )
        response = await handler(request)
        if response.status in REPLAYED_STATUSES:
            answers[(account, key)] = (now, fingerprint, response.status, response.body)
        response.headers["Idempotency-Key"] = key
        return response

    return replay_by_idempotency_key


class CardError(UserError):
    """A declined charge as Stripe answers it: HTTP 402, type card_error, with a code and a decline code."""

    def __init__(self, message, code, decline_code, **details):
        super().__init__(402, message, {"code": code, "decline_code": decline_code, **details})
        self.body["error"]["type"] = "card_error"


def invalid(message, param=None, code=None):
    contents = {key: value for key, value in (("param", param), ("code", code)) if value}
    return UserError(400, message, contents or None)


def refuse_unknown(params, known, prefix=""):
    for name in params:
        if name not in known and name != "expand":
            raise invalid(f"Received unknown parameter: {prefix}{name}", f"{prefix}{name}")


def referenced(cls, id, param):
    """The object a parameter names; Stripe answers 400 resource_missing for an id that names nothing."""
    if not isinstance(id, str) or not id:
        raise invalid(f"Missing required param: {param}.", param, "parameter_missing")
    try:
        return cls._api_retrieve(id)
    except UserError:
        raise invalid(f"No such {cls.object}: '{id}'", param, "resource_missing") from None


def integer(value, param, minimum=0):
    number = resources.try_convert_to_int(value)
    if not isinstance(number, int) or number < minimum:
        raise invalid(f"Invalid integer: {value}", param)
    return number


def boolean(value, param):
    flag = resources.try_convert_to_bool(value)
    if not isinstance(flag, bool):
        raise invalid(f"Invalid boolean: {value}", param)
    return flag


def merged_metadata(current, given):
    """Stripe merges metadata: an empty value deletes its key, an empty string deletes them all."""
    if given == "":
        return {}
    if not isinstance(given, dict):
        raise invalid("Invalid object", "metadata")
    merged = dict(current or {})
    for key, value in given.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged
