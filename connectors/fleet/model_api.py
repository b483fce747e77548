"""The OpenAI-compatible model endpoint: ``/v1/chat/completions`` and ``/v1/models``.

``model`` names a deployment; ``/deployments/{name}/v1/...`` fixes the deployment by path, so
each deployment has a base URL an OpenAI client can use as is. No API key is checked (send any).
``user``, when it is a simulated customer id, gives the request that customer's memory. Each
request is logged in the audit trail as a one-turn conversation on channel ``api``.

Answers come from the toy model with the deployment's current state: a killed deployment answers
with a hand-off to a human (no model call); a failed model call is a 503 (504 on timeout) in
OpenAI's error shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import orjson

from connectors.fleet.control import Runtime
from connectors.fleet.replies import Reply, json_reply

_PATH = re.compile(
    r"^(?:/deployments/(?P<deployment>[^/]+))?/v1/(?P<endpoint>chat/completions|models(?:/[^/]+)?)$"
)
_CREATED = 1764460800  # when the simulated models were "released"; fixed so listings are stable


class _Invalid(Exception):
    def __init__(self, message: str, param: str | None, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.param, self.status, self.code = param, status, code


def _error(status: int, message: str, kind: str, param: str | None = None, code: str | None = None) -> Reply:
    return json_reply(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})


def _text(content: object) -> str:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    raise _Invalid("messages: content must be a string or a list of content parts", "messages")


class ModelAPI:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def handles(self, path: str) -> bool:
        return _PATH.match(path.split("?", 1)[0]) is not None

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        found = _PATH.match(path.split("?", 1)[0])
        if found is None:
            return _error(404, f"no such endpoint: {path}", "invalid_request_error")
        pinned, endpoint = found["deployment"], found["endpoint"]
        try:
            if endpoint == "chat/completions":
                if method != "POST":
                    return _error(405, "use POST", "invalid_request_error")
                return self._chat(pinned, body)
            if method != "GET":
                return _error(405, "use GET", "invalid_request_error")
            return self._models(pinned, endpoint.partition("/")[2])
        except _Invalid as problem:
            kind = "not_found_error" if problem.status == 404 else "invalid_request_error"
            return _error(problem.status, str(problem), kind, problem.param, problem.code)

    def _known(self, name: str) -> None:
        with self._runtime.now() as simulation:
            if name not in simulation.platform.deployments:
                raise _Invalid(f"The model {name!r} does not exist", "model", 404, "model_not_found")

    def _models(self, pinned: str | None, one: str) -> Reply:
        with self._runtime.now() as simulation:
            names = list(simulation.platform.deployments)
        if pinned:
            self._known(pinned)
            names = [pinned]
        if one:
            self._known(one)
            return json_reply(200, _model_object(one))
        return json_reply(200, {"object": "list", "data": [_model_object(name) for name in names]})

    def _chat(self, pinned: str | None, body: bytes) -> Reply:
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Invalid("We could not parse the JSON body of your request.", None) from None
        if not isinstance(request, dict):
            raise _Invalid("The body must be a JSON object.", None)
        name = pinned or request.get("model")
        if not isinstance(name, str) or not name:
            raise _Invalid("model: required, the name of a deployment", "model")
        self._known(name)
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise _Invalid("messages: required, a non-empty list of message objects", "messages")
        turns = [(str(m.get("role", "")), _text(m.get("content"))) for m in messages]
        user_texts = [text for role, text in turns if role == "user"]
        last_user = user_texts[-1] if user_texts else turns[-1][1]
        prompt = "\n".join(f"{role}: {text}" for role, text in turns)
        customer = request.get("user")
        if customer is not None and not isinstance(customer, str):
            raise _Invalid("user: must be a string", "user")
        limit = request.get("max_completion_tokens", request.get("max_tokens"))
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise _Invalid("max_tokens: must be a positive integer", "max_tokens")
        stream = request.get("stream", False)
        if not isinstance(stream, bool):
            raise _Invalid("stream: must be true or false", "stream")

        with self._runtime.now() as simulation:
            answer, status, events = simulation.api_conversation(name, prompt, last_user, customer)
            for event in events:
                self._runtime.emit(event)
            deployment = simulation.platform.deployments[name]
            created = simulation.now_ms // 1000
        if status in ("error", "timeout"):
            call = next(e for e in events if e["type"] == "model.call")
            code, http_status = ("timeout", 504) if status == "timeout" else ("model_error", 503)
            return _error(http_status, call["error"], "server_error", None, code)
        call = next((e for e in events if e["type"] == "model.call"), None)
        prompt_tokens = call["input_tokens"] if call else max(1, len(prompt) // 4)
        completion_tokens = call["output_tokens"] if call else max(1, len(answer) // 4)
        finish = "stop"
        if limit is not None and completion_tokens > limit:
            answer, completion_tokens, finish = answer[: limit * 4], limit, "length"
        completion = {
            "id": f"chatcmpl-{events[0]['conversation_id']}",
            "object": "chat.completion",
            "created": created,
            "model": deployment.profile.model,
            "system_fingerprint": f"{deployment.name}@{deployment.version}",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return _stream(completion) if stream else json_reply(200, completion)


def _model_object(name: str) -> dict:
    return {"id": name, "object": "model", "created": _CREATED, "owned_by": "trustops-fleet"}


def _stream(completion: dict) -> Reply:
    """The same completion as server-sent events: one content chunk, a finish chunk, [DONE]."""
    choice = completion["choices"][0]
    head = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    chunks = [
        {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": end}],
        }
        for delta, end in (
            ({"role": "assistant", "content": choice["message"]["content"]}, None),
            ({}, choice["finish_reason"]),
        )
    ]
    body = b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"
    return Reply(200, body, content_type="text/event-stream", headers={"Cache-Control": "no-cache"})
