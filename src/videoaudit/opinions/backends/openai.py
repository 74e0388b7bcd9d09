"""``openai``: any OpenAI-compatible chat-completions endpoint that takes images.

This is how these models are run at scale: ``vllm serve Qwen/Qwen3-VL-8B-Instruct`` (or
SGLang, TGI, a hosted API) exposes ``POST {base_url}/chat/completions``. Each video becomes
one request whose user message holds, for every sampled frame, a text part with its
timestamp followed by the frame as a base64 JPEG ``image_url`` part, then the versioned
prompt. Only the standard library is used (urllib + a thread pool): no client SDK.

Failure policy (why each):

* 5xx, 429, timeouts, connection errors: retried ``retries`` times with exponential backoff
  (``backoff * 2**k`` s) -- servers under load shed requests and recover.
* the endpoint cannot be reached at all (every attempt a connection error): raises
  :class:`EndpointDown` naming the endpoint -- every other video would fail the same way,
  so the runner stops instead of recording the same error a thousand times.
* other 4xx: not retried; the video's Answer is a failure holding the response body.
* a 200 whose body is not chat-completions JSON: a failure holding the raw body.
* a reply that does not parse (opinions/parse.py): a failure holding the reply text.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np
from PIL import Image

from ...media.frames import Frame, FrameRequest
from ...models.registry import register
from .. import prompts
from ..parse import ParseFailure, parse_description, parse_events, parse_points
from .base import Answer, Task

PROMPT = {"describe": "describe", "localize": "localize", "point": "point"}
DEFAULT_QUERY = "the person performing the main action"


class EndpointDown(ConnectionError):
    """The endpoint could not be reached at all (refused, DNS, every retry timed out)."""


class _Retryable(Exception):
    pass


def jpeg_b64(image: np.ndarray, width: int | None, quality: int = 85) -> str:
    im = Image.fromarray(np.asarray(image, dtype=np.uint8))
    if width and im.width > width:
        im = im.resize((width, max(1, round(im.height * width / im.width))), Image.BILINEAR)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return base64.b64encode(buf.getvalue()).decode("ascii")


class OpenAIChat:
    tasks: tuple[Task, ...] = ("describe", "localize", "point")

    def __init__(self, base_url: str = "http://127.0.0.1:8000/v1", model: str = "Qwen/Qwen3-VL-8B-Instruct",
                 api_key: str | None = None, timeout: float = 120.0, retries: int = 3, backoff: float = 1.0,
                 concurrency: int = 4, fps: float = 1.0, max_frames: int = 16, image_width: int | None = 448,
                 max_tokens: int = 1024, temperature: float = 0.0, name: str = "openai"):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)
        self.concurrency = max(1, int(concurrency))
        self.fps, self.max_frames, self.image_width = float(fps), int(max_frames), image_width
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.requests_sent = 0  # HTTP attempts, retries included

    # -- Protocol -------------------------------------------------------------------------
    def frame_request(self, task: Task, duration: float) -> FrameRequest:
        return FrameRequest(f"opinion:{self.name}", fps=self.fps, max_frames=self.max_frames)

    def run(self, task: Task, frames: Sequence[Sequence[Frame]], *, durations: Sequence[float],
            query: str | None = None) -> list[Answer]:
        if task not in self.tasks:
            raise ValueError(f"openai backend: unknown task {task!r}")
        jobs = list(zip(frames, durations))
        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(jobs)))) as pool:
            return list(pool.map(lambda j: self._one(task, j[0], j[1], query), jobs))

    # -- one video ------------------------------------------------------------------------
    def _one(self, task: Task, frames: Sequence[Frame], duration: float, query: str | None) -> Answer:
        prompt = prompts.load(PROMPT[task])
        text = prompt.render(duration=float(duration or 0.0), query=query or DEFAULT_QUERY)
        content: list[dict] = []
        for f in frames:
            content.append({"type": "text", "text": f"Frame at {f.t:.2f} s:"})
            content.append({"type": "image_url",
                            "image_url": {"url": "data:image/jpeg;base64," + jpeg_b64(f.image, self.image_width)}})
        content.append({"type": "text", "text": text})
        body = {"model": self.model, "messages": [{"role": "user", "content": content}],
                "max_tokens": self.max_tokens, "temperature": self.temperature}
        times = [round(float(f.t), 3) for f in frames]
        settings = {"backend": self.name, "endpoint": self.base_url, "model": self.model, "prompt": prompt.id,
                    "max_tokens": self.max_tokens, "temperature": self.temperature, "fps": self.fps,
                    "max_frames": self.max_frames, "image_width": self.image_width, "frame_times": times,
                    "query": query if task == "point" else None}
        status, raw = self._post(json.dumps(body).encode("utf-8"))
        if status != 200:
            why = raw if status == 0 else f"{self.url} answered HTTP {status}"
            return Answer(task, ParseFailure(raw, why), raw, settings)
        try:
            resp = json.loads(raw)
            reply = resp["choices"][0]["message"]["content"]
            if not isinstance(reply, str):
                raise TypeError(f"message content is {type(reply).__name__}, not text")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return Answer(task, ParseFailure(raw, f"malformed chat-completions body from {self.url}: "
                                                  f"{type(exc).__name__}: {exc}"), raw, settings)
        settings["response_model"] = resp.get("model")
        settings["usage"] = resp.get("usage")
        settings["finish_reason"] = resp["choices"][0].get("finish_reason")
        if task == "describe":
            value = parse_description(reply)
        elif task == "localize":
            value = parse_events(reply, duration)
        else:
            value = parse_points(reply, frame_times=times or None)
        return Answer(task, value, reply, settings)

    def _post(self, data: bytes) -> tuple[int, str]:
        """(HTTP status, body) after retries; raises EndpointDown when the endpoint never answered."""
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        answered = False
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self.requests_sent += 1
            req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as r:
                    return r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                answered = True
                body = e.read().decode("utf-8", "replace") if e.fp else ""
                if e.code >= 500 or e.code == 429:
                    last = f"HTTP {e.code}: {body[:200]}"
                    continue
                return e.code, body
            except (TimeoutError, socket.timeout) as e:
                last = f"timed out after {self.timeout:g} s ({e})"
            except urllib.error.URLError as e:
                if isinstance(e.reason, (TimeoutError, socket.timeout)):
                    last = f"timed out after {self.timeout:g} s"
                else:
                    last = f"cannot connect: {e.reason}"
            except (ConnectionError, OSError) as e:  # reset mid-response, refused, ...
                last = f"connection error: {e}"
        if not answered and last.startswith("cannot connect"):
            raise EndpointDown(f"openai backend: endpoint {self.url} is down or unreachable "
                               f"({self.retries + 1} attempts; last: {last})")
        return 0, f"gave up after {self.retries + 1} attempts to {self.url}; last: {last}"


@register("opinion", "openai")
def _openai(**kwargs) -> OpenAIChat:
    return OpenAIChat(**kwargs)
