"""The vlm backend against a local chat-completions server with recorded answers.

Errors, timeouts and malformed answers must be retried where that can help, reported as
warnings, and never stop a comparison.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tellapart
from backend_fakes import FakeChatServer, make_tiny_model
from tellapart.config import Settings
from tellapart.models.chat import ChatClient, ChatImage, ChatRequest
from tellapart.pipeline import Comparer
from tellapart.propose.vlm import VlmProposer, parse_proposals


@pytest.fixture(scope="module")
def server() -> FakeChatServer:
    with FakeChatServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("transformers", reason="the clip extra is not installed")
    return make_tiny_model(tmp_path_factory.mktemp("clip"), "clip")


def _jpeg(colour: tuple[int, int, int]) -> ChatImage:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buf, format="JPEG")
    return ChatImage(f"hash-{colour}", buf.getvalue())


def _client(server: FakeChatServer, **kw: object) -> ChatClient:
    options: dict[str, object] = {"timeout": 5.0, "retries": 2, "backoff": 0.01}
    options.update(kw)
    return ChatClient(server.url, **options)  # type: ignore[arg-type]


def test_recorded_answers_are_cached_by_content_prompt_and_model(server: FakeChatServer,
                                                                 tmp_path: Path) -> None:
    cache = str(tmp_path / "answers.sqlite")
    client = _client(server, cache_path=cache, api_key="sk-test")
    reqs = [ChatRequest("recorded", "Describe.", images=(_jpeg((250, 10, 10)),)),
            ChatRequest("recorded", "Describe.", images=(_jpeg((10, 10, 250)),))]
    answers = client.ask_many(reqs)
    assert [a.text for a in answers] == ["a dark photo of a mostly red scene",
                                         "a dark photo of a mostly blue scene"]
    assert client.stats.sent == 2 and "Bearer sk-test" in server.auth
    again = _client(server, cache_path=cache)
    assert [a.text for a in again.ask_many(reqs)] == [a.text for a in answers]
    assert again.stats.sent == 0 and again.stats.cached == 2
    other_model = ChatRequest("flaky", "Describe.", images=reqs[0].images)
    assert other_model.cache_key() != reqs[0].cache_key()
    assert again.cost_line() == "0 requests, 0.0 s (2 answered from the cache)"


@pytest.mark.parametrize(("model", "sent", "error"), [
    ("flaky", 2, None),                     # 503 then answered: retried once
    ("http500", 3, "HTTP 500"),             # retried until the retries are spent
    ("http400", 1, "HTTP 400"),             # a client error is not retried
    ("malformed", 1, "malformed answer"),   # not JSON: reported, not retried
    ("nocontent", 1, "malformed answer"),   # JSON without choices
    ("slow", 3, "no answer within"),        # timeouts are retried
])
def test_failures_are_retried_when_that_can_help_and_reported(
        server: FakeChatServer, model: str, sent: int, error: str | None) -> None:
    client = _client(server, timeout=0.3)
    answer = client.ask_many([ChatRequest(model, f"Describe {model}.", images=(_jpeg((9, 9, 9)),))])[0]
    assert client.stats.sent == sent
    if error is None:
        assert answer.text and answer.error is None
    else:
        assert answer.text is None and error in str(answer.error)
        assert client.stats.failed == 1 and "1 failed" in client.cost_line()


def test_the_request_budget_is_never_exceeded(server: FakeChatServer) -> None:
    client = _client(server, max_requests=3, workers=1)
    reqs = [ChatRequest("recorded", f"Describe {i}.", images=(_jpeg((i, 0, 0)),)) for i in range(5)]
    answers = client.ask_many(reqs)
    assert client.stats.sent == 3 and sum(a.text is not None for a in answers) == 3
    assert all("--max-requests" in str(a.error) for a in answers if a.text is None)
    assert "2 not sent" in client.cost_line()


def test_unreachable_endpoint_is_an_error_not_a_crash() -> None:
    client = ChatClient("http://127.0.0.1:9/v1", timeout=0.5, retries=1, backoff=0.01)
    answer = client.ask_many([ChatRequest("m", "hello")])[0]
    assert answer.text is None and "cannot reach" in str(answer.error)


@pytest.mark.parametrize(("text", "expected"), [
    ('[{"more_in": "A", "concept": "dogs on grass"}]', [("dogs on grass", "A")]),
    ('Sure!\n[{"more_in": "Group B", "concept": " people  wearing hats. "}, {"x": 1}]',
     [("people wearing hats", "B")]),
    ('[{"more_in": "C", "concept": "cats"}, {"more_in": "A", "concept": ""}]', []),
    ("The groups differ in colour.", None),
    ("[not json", None),
])
def test_proposal_answers_are_read_defensively(text: str, expected: list[tuple[str, str]] | None) -> None:
    parsed = parse_proposals(text)
    assert (None if parsed is None else [(c.concept, c.more_in) for c in parsed]) == expected


def _write_sets(root: Path, n: int = 10) -> tuple[str, str]:
    rng = np.random.default_rng(5)
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(n):
            arr = rng.integers(0, 120, (24, 24, 3), dtype=np.uint8)
            channel = 0 if name == "a" else 2  # set A red, set B blue
            arr[..., channel] = 230
            Image.fromarray(arr).save(root / name / f"{i}.png")
    return str(root / "a"), str(root / "b")


def test_vlm_proposals_are_scored_by_clip_and_verified(server: FakeChatServer, tiny_clip: str,
                                                       tmp_path: Path) -> None:
    set_a, set_b = _write_sets(tmp_path)
    report = tellapart.compare(set_a, set_b, proposers=["vlm"], clip_model=tiny_clip,
                               api_base=server.url, vlm_model="recorded", cache="",
                               api_cache=str(tmp_path / "answers.sqlite"), progress=False)
    assert report.findings and all(f.proposer == "vlm" and f.scorer == "clip" for f in report.findings)
    concepts = {f.concept for f in report.findings} | {r["concept"] for f in report.findings
                                                        for r in f.related}
    phrases = {c.rsplit(":", 1)[0] for c in concepts}
    assert {"clip:red scenes", "clip:blue scenes"} <= phrases, concepts  # what the captions said
    # 20 images captioned once each (two folds of 5 + 5) and one proposal per fold; both folds'
    # captions read alike, so the second proposal prompt is the first's and comes from the cache
    assert report.settings["cost"]["vlm"].startswith("21 requests")
    assert report.settings["cost"]["vlm"].endswith("(1 answered from the cache)")
    assert not report.warnings


def _proposer(server: FakeChatServer, vlm: str, llm: str | None = None,
              clip: str | None = None) -> VlmProposer:
    client = ChatClient(server.url, timeout=0.3, retries=1, backoff=0.01, max_requests=200)
    return VlmProposer(client, vlm_model=vlm, llm_model=llm, rounds=2, clip_model=clip)


@pytest.mark.parametrize(("vlm", "llm", "warning"), [
    ("http500", None, "caption request(s) gave nothing: HTTP 500"),
    ("slow", None, "caption request(s) gave nothing: no answer within"),
    ("malformed", None, "caption request(s) gave nothing: malformed answer"),
    ("recorded", "prose", "the answer was not a JSON list of concepts"),
    ("recorded", "http400", "proposal request(s) gave nothing: HTTP 400"),
])
def test_a_failing_endpoint_leaves_warnings_and_the_run_goes_on(
        server: FakeChatServer, tiny_clip: str, tmp_path: Path, vlm: str, llm: str | None,
        warning: str) -> None:
    set_a, set_b = _write_sets(tmp_path, n=8)
    proposer = _proposer(server, vlm, llm, clip=tiny_clip)
    report = Comparer(Settings(proposers=["vlm"], clip_model=tiny_clip, cache="", progress=False,
                               hypotheses=["set A images are darker"]),
                      proposers=[proposer]).compare(set_a, set_b)
    assert any(warning in w for w in report.warnings), report.warnings
    assert [f.user for f in report.findings] == [True]  # the typed claim is still tested
    assert "vlm" in report.settings["cost"]


def test_vlm_without_clip_hands_its_claims_to_the_learned_scorer() -> None:
    proposer = VlmProposer(None, vlm_model="m")
    hyp = proposer._hypothesis(parse_proposals('[{"more_in": "B", "concept": "dogs"}]')[0])  # type: ignore[index]
    assert hyp.scorer == "learned" and hyp.description == "Set B images more often show dogs"
    assert "--api-base" in str(proposer.unavailable_reason())
    assert "--vlm-model" in str(VlmProposer(ChatClient("http://x/v1")).unavailable_reason())


def test_vlm_settings_build_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "secret")
    proposer = VlmProposer.from_settings(Settings(api_base="http://h:1/v1/", api_key_env="MY_KEY",
                                                  vlm_model="v", max_requests=7, cache=""))
    assert proposer.client is not None and proposer.client.url == "http://h:1/v1/chat/completions"
    assert proposer.client.api_key == "secret" and proposer.client.max_requests == 7
    assert proposer.client.cache_path is None and proposer.llm_model == "v"


def test_an_unusable_answer_cache_is_a_warning(server: FakeChatServer, tmp_path: Path) -> None:
    not_sqlite = tmp_path / "answers.sqlite"
    not_sqlite.write_text("this is not a database")
    client = _client(server, cache_path=str(not_sqlite))
    proposer = VlmProposer(client, vlm_model="recorded")
    answer = client.ask_many([ChatRequest("recorded", "Describe.", images=(_jpeg((1, 2, 3)),))])[0]
    assert answer.text is not None
    warnings = proposer.take_notes().warnings
    assert len(warnings) == 1 and "cannot be used" in warnings[0]
