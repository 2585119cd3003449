from dateutil import parser

from common import response


def handler(event, context):
    return response(200, {"due": parser.isoparse(event.get("due", "2026-01-01")).isoformat()})
