"""The app's "Ask about this paper" chat through gradio_client (/ask), with fake Gemini and arXiv."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.gemini_server import text_reply
from tests.paperkit import sample_pdf
from tests.test_app_e2e import launch

TITLE_A = "Staged Reading of Scientific Papers"
TITLE_B = "Concurrent Visitors Never Share Keys"


@pytest.fixture
def app(fake_gemini, tmp_path):
    with FakeArxiv() as arxiv:
        arxiv.add_paper("2402.00864", title=TITLE_A, pdf=sample_pdf(TITLE_A))
        arxiv.add_paper("2403.00001", title=TITLE_B, pdf=sample_pdf(TITLE_B))
        settings = replace(arxiv.settings(), cache_dir=tmp_path / "cache", max_figures=0)
        demo, url = launch(settings)
        yield url, fake_gemini
        demo.close()


def client(url: str) -> Client:
    return Client(url, analytics_enabled=False, verbose=False)


def ask(c: Client, question: str, *, source="2402.00864", engine="gemini", key=""):
    return c.submit(source, None, question, "en", engine, "", key, api_name="/ask")


def text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return content


def final(job) -> tuple[list[dict], list]:
    partials = [out[0] for out in job]
    return job.result()[0], partials


def test_two_questions_stream_with_checked_citations_and_the_second_sees_the_first(app):
    url, fake = app
    fake.enqueue(
        text_reply(
            'They run four stages: "splits the task into four stages that run concurrently" '
            "(p. 2).",
            chunks=4,
            time_to_first_token=0.2,
        ),
        text_reply(
            'By twelve points: "improves faithfulness by twelve points" (p. 2). '
            'Also "it beats GPT-5 on every benchmark" (p. 3).',
            chunks=4,
        ),
    )
    c = client(url)
    messages, partials = final(ask(c, "How is the summarizer organised?"))
    assert len(partials) >= 2  # the answer streamed in
    answer = text(messages[-1])
    assert "[2](https://arxiv.org/pdf/2402.00864" in answer and "⚠️" not in answer
    assert "1 of 1 quotes found on their pages" in answer

    messages, _ = final(ask(c, "And how much better is it?"))
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    second = fake.generate_requests[-1].prompt
    assert "How is the summarizer organised?" in second and "four stages" in second
    answer = text(messages[-1])
    assert "not found in the paper" in answer  # the fabricated quote is marked
    assert "1 of 2 quotes found on their pages" in answer


def test_two_visitors_chats_never_mix(app):
    url, fake = app
    fake.enqueue(text_reply("Answer for A."), match="Question for A")
    fake.enqueue(text_reply("Answer for B."), match="Question for B")
    a, b = client(url), client(url)
    job_a = ask(a, "Question for A?")
    job_b = ask(b, "Question for B?", source="2403.00001")
    messages_a, _ = final(job_a)
    messages_b, _ = final(job_b)
    assert "Answer for A." in text(messages_a[-1]) and len(messages_a) == 2
    assert "Answer for B." in text(messages_b[-1]) and len(messages_b) == 2
    prompt_b = next(r.prompt for r in fake.generate_requests if "Question for B" in r.prompt)
    assert "Question for A" not in prompt_b and TITLE_B in prompt_b


def test_offline_engine_answers_with_pages(app):
    url, fake = app
    messages, _ = final(ask(client(url), "How many papers are evaluated?", engine="offline"))
    answer = text(messages[-1])
    assert "No language model wrote this answer" in answer and "p. 2" in answer
    assert not fake.generate_requests


@pytest.mark.parametrize(
    ("source", "question", "message"),
    [
        ("2402.00864", "", "Type a question about the paper first."),
        ("", "What is it?", "Read a paper first"),
        ("2402.00864", "x" * 20_000, "at most 2,000 characters"),
    ],
)
def test_bad_input_gets_one_clear_sentence(app, source, question, message):
    url, _ = app
    with pytest.raises(AppError, match=message):
        ask(client(url), question, source=source, engine="offline").result()


def test_a_new_paper_starts_a_new_chat(app):
    url, fake = app
    fake.enqueue(text_reply("Answer about the first paper."), match="First question")
    fake.enqueue(text_reply("Answer about the second paper."), match="Second question")
    c = client(url)  # one visitor, one session
    messages, _ = final(ask(c, "First question: what is it?"))
    assert len(messages) == 2
    messages, _ = final(ask(c, "Second question: and this one?", source="2403.00001"))
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "Answer about the second paper." in text(messages[-1])
    assert "First question" not in "".join(text(m) for m in messages)
    prompt = next(r.prompt for r in fake.generate_requests if "Second question" in r.prompt)
    assert "First question" not in prompt and "first paper" not in prompt and TITLE_B in prompt
