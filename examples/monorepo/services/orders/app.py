import requests

from common import response


def handler(event, context):
    return response(200, {"order": event.get("id"), "requests": requests.__version__})
