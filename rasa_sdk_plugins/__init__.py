"""Extensions of the action server through Rasa SDK's own plugin hook (rasa_sdk/plugin.py: a package named
`rasa_sdk_plugins` whose `init_hooks` registers `attach_sanic_app_extensions`), not a change to Rasa SDK.

The action server runs actions that read and erase people's health records, for whatever conversation the
request names. It must answer Rasa only: every call to /webhook needs the shared token ACTION_SERVER_TOKEN,
sent by Rasa as `Authorization: Bearer <token>` (scripts/endpoints.py adds the header); a call without it is
refused with a 401. `make run`, the tests and the deployments always set a token; without one (a bare
`rasa run actions` by hand) the server warns that any caller can run the actions.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.request import Request

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
PROTECTED_PATHS = ("/webhook", "/actions")
hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(sys.modules[__name__])


def bearer_token_is(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        logger.warning("%s is not set: any caller can run the actions. Set it as Rasa's is.", TOKEN_VARIABLE)
        return

    @app.middleware("request")
    async def only_rasa(request: Request) -> Any:
        if request.path.rstrip("/") in PROTECTED_PATHS and not bearer_token_is(request, token):
            return response.json({"error": "this action server answers only its Rasa"}, status=401)
        return None
