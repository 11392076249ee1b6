"""An optional labeler that asks a language model, through any OpenAI-compatible endpoint
(``POST {url}/v1/chat/completions``: OpenAI, vLLM, llama.cpp's server, Ollama, LM Studio).

Off unless a URL is given. The model is told to answer one JSON object and nothing else; an answer
that is not that object, an HTTP error or a timeout skips the track with the reason (reported by the
run), never the run. A model's own word is weak evidence, so every label it gives is capped at
``CONFIDENCE`` unless it states a lower confidence itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from tastemaker.annotate.labeler import Label, TrackContext

NAME = "llm"
CONFIDENCE = 0.6
ANSWER_KINDS = ("genre", "mood", "activity", "vocal", "era")
SYSTEM_PROMPT = (
    "You label music tracks. Answer with one JSON object and nothing else, with the keys "
    '"genre", "mood" (happy, chill, sad or angry), "activity" (workout, party, focus, relax, sleep '
    'or null), "vocal" (vocal or instrumental), "era" (a decade such as "90s") and "confidence" (0 to '
    "1). Use null for what you do not know."
)


class AnswerError(ValueError):
    """The model answered something other than the JSON object it was asked for."""


def prompt(context: TrackContext) -> str:
    facts: dict[str, Any] = {"track_id": context.track_id}
    if context.track is not None:
        track = context.track
        facts |= {"title": track.name, "artist": track.artist_name, "album": track.album_name}
        facts |= {"release_date": track.release_date, "genres": track.genres or None}
    if context.features is not None:
        f = context.features
        facts |= {"tempo": round(f.tempo), "energy": f.energy, "valence": f.valence}
    return json.dumps({k: v for k, v in facts.items() if v is not None}, ensure_ascii=False)


def parse(body: Any) -> list[tuple[str, str, float]]:
    """(kind, value, confidence) from a chat-completions response body."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        msg = "the response has no choices[0].message.content"
        raise AnswerError(msg) from exc
    if not isinstance(content, str):
        msg = "the message content is not text"
        raise AnswerError(msg)
    text = content.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"the answer is not JSON: {text[:60]!r}"
        raise AnswerError(msg) from exc
    if not isinstance(answer, dict):
        msg = "the answer is not a JSON object"
        raise AnswerError(msg)
    stated = answer.get("confidence")
    confidence = CONFIDENCE
    if isinstance(stated, int | float) and not isinstance(stated, bool) and 0 <= stated <= 1:
        confidence = min(CONFIDENCE, float(stated))
    return [
        (kind, value.strip().lower(), round(confidence, 3))
        for kind in ANSWER_KINDS
        if isinstance(value := answer.get(kind), str) and value.strip()
    ]


class LLMLabeler:
    name = NAME

    def __init__(self, *, url: str, model: str, api_key: str = "", timeout_s: float = 20.0) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.skipped: dict[str, str] = {}

    def labels(self, tracks: Sequence[TrackContext]) -> list[list[Label]]:
        if not self.url:
            for context in tracks:
                self.skipped[context.track_id] = "no LLM endpoint configured"
            return [[] for _ in tracks]
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        out: list[list[Label]] = []
        with httpx.Client(base_url=self.url, headers=headers, timeout=self.timeout_s) as client:
            for context in tracks:
                try:
                    answers = self._ask(client, context)
                except (httpx.HTTPError, AnswerError) as exc:
                    self.skipped[context.track_id] = f"{type(exc).__name__}: {exc}"
                    out.append([])
                    continue
                out.append([Label(k, v, c, NAME, f"model {self.model}") for k, v, c in answers])
        return out

    def _ask(self, client: httpx.Client, context: TrackContext) -> list[tuple[str, str, float]]:
        request = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": prompt(context)},
            ],
        }
        response = client.post("/v1/chat/completions", json=request)
        response.raise_for_status()
        try:
            body = response.json()
        except ValueError as exc:
            msg = "the response body is not JSON"
            raise AnswerError(msg) from exc
        return parse(body)
