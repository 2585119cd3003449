"""Code both functions share: built into a wheel and packaged with each of them."""

import json

import attrs


@attrs.frozen
class Response:
    status: int
    body: dict


def response(status: int, body: dict) -> dict:
    r = Response(status, body)
    return {"statusCode": r.status, "body": json.dumps(r.body)}
