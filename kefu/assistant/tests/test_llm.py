"""The optional LLM against a real OpenAI-compatible server on 127.0.0.1: a grounded answer,
a refusal, and the fallback to the offline answer on a 5xx, a timeout or a malformed body."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kefu.assistant import llm
from kefu.assistant import replies_text as t
from kefu.assistant.answers import Passage
from kefu.assistant.tests.test_dialogue_support import Chat, load_demo_kb, payloads

API_KEY = "sk-test-not-a-real-key-0123456789"
ANSWER = "The withdrawal fee is fixed per network and does not depend on the amount [1]."


class FakeLlm:
    """Speaks POST /v1/chat/completions. ``mode``: answer, refuse, error500, slow, malformed."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                fake.requests.append(json.loads(self.rfile.read(length)))
                fake.headers.append(dict(self.headers))
                fake.paths.append(self.path)
                if self.path != "/v1/chat/completions":
                    return self._send(404, b'{"error": "not found"}')
                if fake.mode == "error500":
                    return self._send(500, b'{"error": {"message": "overloaded"}}')
                if fake.mode == "slow":
                    time.sleep(1.0)
                if fake.mode == "malformed":
                    return self._send(200, b'{"choices": [{"message": ')
                content = llm.REFUSAL if fake.mode == "refuse" else ANSWER
                body = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": "test-model",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                }
                return self._send(200, json.dumps(body).encode())

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLlm:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[FakeLlm]:
    with FakeLlm() as fake:
        yield fake


@pytest.fixture
def llm_on(settings, server):
    settings.KEFU_ASSISTANT_LLM_BASE_URL = server.url
    settings.KEFU_ASSISTANT_LLM_MODEL = "test-model"
    settings.KEFU_ASSISTANT_LLM_API_KEY = API_KEY
    settings.KEFU_ASSISTANT_LLM_TIMEOUT_SECONDS = 0.3
    return server


@pytest.fixture
def kb(db, system_actor, tmp_path):
    load_demo_kb(system_actor, tmp_path)


QUESTION = "how much is the withdrawal fee"


def test_off_without_settings(settings):
    settings.KEFU_ASSISTANT_LLM_BASE_URL = ""
    settings.KEFU_ASSISTANT_LLM_MODEL = "m"
    assert llm.configured() is None


def test_the_key_is_not_in_the_config_repr(settings):
    settings.KEFU_ASSISTANT_LLM_BASE_URL = "http://127.0.0.1:9"
    settings.KEFU_ASSISTANT_LLM_MODEL = "m"
    settings.KEFU_ASSISTANT_LLM_API_KEY = API_KEY
    config = llm.configured()
    assert config is not None
    assert API_KEY not in repr(config)


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_the_endpoint_is_v1_chat_completions(suffix):
    config = llm.LlmConfig(base_url="http://h" + suffix, model="m")
    assert config.endpoint == "http://h/v1/chat/completions"


def test_grounded_answer_sends_only_the_passages_and_the_question(server):
    passages = [
        Passage("fees", "Fees", "/help/en/articles/fees/", "A fixed fee per network.", 2.0),
        Passage("limits", "Limits", "/help/en/articles/limits/", "Daily limit by level.", 1.0),
    ]
    config = llm.LlmConfig(base_url=server.url, model="test-model", api_key=API_KEY)
    result = llm.grounded_answer(
        question="what is the fee?", passages=passages, language="zh-hans", config=config
    )
    assert result == llm.LlmResult("answer", text=ANSWER)
    [request] = server.requests
    assert request["model"] == "test-model"
    assert request["temperature"] == 0
    system, user = request["messages"]
    assert system["role"] == "system"
    assert "ONLY" in system["content"]
    assert llm.REFUSAL in system["content"]
    assert "Simplified Chinese" in system["content"]
    assert user["content"] == (
        "Passages:\n\n[1] Fees\nA fixed fee per network.\n\n[2] Limits\nDaily limit by level."
        "\n\nQuestion: what is the fee?"
    )
    assert server.headers[0]["Authorization"] == f"Bearer {API_KEY}"


def test_happy_path_answers_with_citations(kb, llm_on):
    turn = Chat(None).say(QUESTION)
    assert turn.handoff is None
    assert turn.text == f"{ANSWER}\n\n{t.resolved_question()}"
    assert "/help/en/articles/deposit-withdrawal-fees/" in [c.url for c in turn.citations]
    assert payloads(turn) == ["resolved:yes", "resolved:no"]
    assert len(llm_on.requests) == 1
    assert "LLM answer" in turn.state["tried"]
    # The prompt holds the retrieved passages, in the customer's language.
    user = llm_on.requests[0]["messages"][1]["content"]
    assert user.startswith("Passages:\n\n[1] Deposit and withdrawal fees per network\n")
    assert user.endswith(f"Question: {QUESTION}")


def test_refusal_hands_off(kb, llm_on):
    llm_on.mode = "refuse"
    turn = Chat(None).say(QUESTION)
    assert turn.handoff is not None
    assert turn.handoff.reason == "llm_refused"
    assert llm.REFUSAL not in turn.text
    assert t.no_answer() in turn.text
    assert len(llm_on.requests) == 1


def _offline(turn) -> bool:
    return turn.text.startswith(t.kb_intro("Deposit and withdrawal fees per network"))


@pytest.mark.parametrize(("mode", "calls"), [("error500", 2), ("slow", 2), ("malformed", 1)])
def test_failure_falls_back_to_the_offline_answer(kb, llm_on, mode, calls):
    llm_on.mode = mode
    turn = Chat(None).say(QUESTION)
    assert turn.handoff is None
    assert _offline(turn)
    assert [c.url for c in turn.citations] == ["/help/en/articles/deposit-withdrawal-fees/"]
    assert len(llm_on.requests) == calls  # one bounded retry on 5xx and timeouts only
    assert any(step.startswith("LLM failed") for step in turn.state["tried"])


def test_unreachable_server_falls_back(kb, settings):
    settings.KEFU_ASSISTANT_LLM_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.KEFU_ASSISTANT_LLM_MODEL = "test-model"
    turn = Chat(None).say(QUESTION)
    assert _offline(turn)


def test_the_key_is_never_logged(kb, llm_on, caplog):
    llm_on.mode = "error500"
    with caplog.at_level("DEBUG"):
        Chat(None).say(QUESTION)
    assert caplog.records  # the failures were logged...
    assert API_KEY not in caplog.text  # ...without the key
