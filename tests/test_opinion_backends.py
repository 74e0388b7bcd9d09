"""The opinion backends that ship with videoaudit: openai (against a local test double),
people (on real photographs moved across a video) and replay (precomputed opinions)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from videoaudit.media.frames import Frame, FrameRequest, FrameSampler
from videoaudit.opinions.backends.openai import EndpointDown, OpenAIChat
from videoaudit.opinions.parse import Event, ParseFailure


# --------------------------------------------------------------------------- openai test double


class ChatCompletionsDouble:
    """A TEST DOUBLE of an OpenAI-compatible chat-completions server (not a model): it replies
    with scripted bodies, in order, and records every request it received."""

    def __init__(self, script):
        self.script = list(script)  # items: (status, body) or ("sleep", seconds, status, body)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                double.requests.append(json.loads(body))
                double.headers.append(dict(self.headers))
                item = double.script.pop(0) if len(double.script) > 1 else double.script[0]
                if item[0] == "sleep":
                    time.sleep(item[1])
                    item = item[2:]
                status, payload = item
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def reply(text: str) -> dict:
    return {"id": "x", "model": "double", "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                        "finish_reason": "stop"}], "usage": {"total_tokens": 5}}


def frames(n=3, w=64, h=48):
    return [Frame(t=float(i), image=np.full((h, w, 3), 40 * i, np.uint8), frame_time=float(i)) for i in range(n)]


def test_openai_request_carries_timestamped_images_and_parses_events(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    events = '```json\n[{"start": "0:01", "end": "0:04.5", "description": "A Person chops"}]\n```'
    with ChatCompletionsDouble([(200, reply(events))]) as srv:
        be = OpenAIChat(base_url=srv.url, model="m", retries=0)
        [ans] = be.run("localize", [frames()], durations=[10.0])
    assert ans.ok and ans.value == [Event(1.0, 4.5, "A Person chops")]
    assert ans.raw == events
    assert ans.settings["prompt"] == "localize.v1" and ans.settings["frame_times"] == [0.0, 1.0, 2.0]
    content = srv.requests[0]["messages"][0]["content"]
    kinds = [p["type"] for p in content]
    assert kinds == ["text", "image_url"] * 3 + ["text"]
    assert content[2]["text"] == "Frame at 1.00 s:"
    assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert "10.0 seconds" in content[-1]["text"]
    assert srv.headers[0]["Authorization"] == "Bearer test-key"


def test_openai_retries_5xx_then_succeeds():
    with ChatCompletionsDouble([(503, "busy"), (502, "busy"), (200, reply("A cook slices onions."))]) as srv:
        be = OpenAIChat(base_url=srv.url, retries=3, backoff=0.01)
        [ans] = be.run("describe", [frames(1)], durations=[5.0])
    assert ans.ok and ans.value == "A cook slices onions."
    assert len(srv.requests) == 3 and be.requests_sent == 3


def test_openai_timeout_is_retried_then_a_recorded_failure():
    with ChatCompletionsDouble([("sleep", 1.0, 200, reply("late"))]) as srv:
        be = OpenAIChat(base_url=srv.url, retries=1, backoff=0.01, timeout=0.2)
        t0 = time.perf_counter()
        [ans] = be.run("describe", [frames(1)], durations=[5.0])
        elapsed = time.perf_counter() - t0
    assert not ans.ok and "timed out" in ans.value.reason and "2 attempts" in ans.value.reason
    assert elapsed < 2.0


def test_openai_malformed_body_is_a_failure_with_the_raw_body():
    with ChatCompletionsDouble([(200, "<html>not json</html>")]) as srv:
        [ans] = OpenAIChat(base_url=srv.url, retries=0).run("describe", [frames(1)], durations=[5.0])
    assert isinstance(ans.value, ParseFailure)
    assert ans.value.raw == "<html>not json</html>" and "malformed" in ans.value.reason
    with ChatCompletionsDouble([(200, {"choices": []})]) as srv:
        [ans] = OpenAIChat(base_url=srv.url, retries=0).run("describe", [frames(1)], durations=[5.0])
    assert not ans.ok and "IndexError" in ans.value.reason


def test_openai_4xx_not_retried_and_unparseable_reply_kept():
    with ChatCompletionsDouble([(400, {"error": "bad image"})]) as srv:
        [ans] = OpenAIChat(base_url=srv.url, retries=3, backoff=0.01).run("describe", [frames(1)], durations=[5.0])
    assert len(srv.requests) == 1 and not ans.ok and "HTTP 400" in ans.value.reason and "bad image" in ans.raw
    with ChatCompletionsDouble([(200, reply("no json here at all"))]) as srv:
        [ans] = OpenAIChat(base_url=srv.url, retries=0).run("localize", [frames(1)], durations=[5.0])
    assert not ans.ok and ans.raw == "no json here at all"


def test_openai_endpoint_down_names_the_endpoint():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    be = OpenAIChat(base_url=f"http://127.0.0.1:{port}/v1", retries=1, backoff=0.01)
    with pytest.raises(EndpointDown, match=f"127.0.0.1:{port}/v1/chat/completions"):
        be.run("describe", [frames(1)], durations=[5.0])


def test_openai_bounded_concurrency():
    with ChatCompletionsDouble([("sleep", 0.3, 200, reply("A person walks."))]) as srv:
        be = OpenAIChat(base_url=srv.url, retries=0, concurrency=4)
        t0 = time.perf_counter()
        answers = be.run("describe", [frames(1)] * 4, durations=[5.0] * 4)
        elapsed = time.perf_counter() - t0
    assert all(a.ok for a in answers) and len(srv.requests) == 4
    assert elapsed < 1.0  # 4 x 0.3 s in parallel, not 1.2 s in series


# --------------------------------------------------------------------------- people on photographs


def _compose_video(path, photo, xs, size=(426, 240), fps=5, scale=0.8):
    """An H.264 video of ``photo`` (scaled to ``scale`` of the height) at horizontal offsets ``xs``, 1 s each."""
    import av
    import cv2

    W, H = size
    s = int(H * scale)
    im = cv2.resize(photo, (s * photo.shape[1] // photo.shape[0], s), interpolation=cv2.INTER_AREA)
    centres = []
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        for x in xs:
            bg = np.full((H, W, 3), 90, np.uint8)
            bg[H - s:, x:x + im.shape[1]] = im[:, : W - x]
            centres.append((x + im.shape[1] / 2) / W)
            for _ in range(fps):
                for pkt in st.encode(av.VideoFrame.from_ndarray(bg, format="rgb24")):
                    out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return centres


def test_people_points_follow_the_astronaut(tmp_path):
    from skimage import data

    from videoaudit.models import get

    xs = [0, 60, 120, 180, 240]
    centres = _compose_video(tmp_path / "astronaut.mp4", data.astronaut(), xs)
    be = get("opinion", "people")
    sampler = FrameSampler()
    req = be.frame_request("point", 5.0)
    got = sampler.sample(tmp_path / "astronaut.mp4", [req])[req.consumer]
    assert sampler.decodes == 1
    [ans] = be.run("point", [got], durations=[5.0], query="the astronaut")
    assert ans.ok
    by_second = {int(p.t): p.x for p in ans.value if p.t == int(p.t) and p.t < 5}
    assert len(by_second) >= 4, ans.raw  # a person found in (almost) every second
    for sec, x in by_second.items():
        assert abs(x - centres[sec]) < 0.12, (sec, x, centres[sec], ans.raw)
    xs_found = [by_second[k] for k in sorted(by_second)]
    assert all(b > a for a, b in zip(xs_found, xs_found[1:]))  # the points move right with the person
    assert ans.settings["hog"]["min_weight"] == be.min_hog_weight and ans.settings["frame_times"]


def test_people_find_nobody_in_photos_without_people(tmp_path):
    from skimage import data

    from videoaudit.models import get

    be = get("opinion", "people")
    for name in ("coffee", "chelsea"):
        _compose_video(tmp_path / f"{name}.mp4", getattr(data, name)(), [0, 100])
        req = be.frame_request("point", 2.0)
        got = FrameSampler().sample(tmp_path / f"{name}.mp4", [req])[req.consumer]
        [ans] = be.run("point", [got], durations=[2.0])
        assert ans.ok and ans.value == [], (name, ans.raw)  # found nobody: no points, not a failure


def test_people_only_points():
    from videoaudit.models import get

    with pytest.raises(ValueError, match="only 'point'"):
        get("opinion", "people").run("describe", [[]], durations=[1.0])


# --------------------------------------------------------------------------- replay


def test_replay_serves_stored_opinions_and_fails_on_missing(tmp_path):
    from videoaudit.opinions.backends.replay import Replay

    p = tmp_path / "ops.jsonl"
    p.write_text("\n".join(json.dumps(o) for o in [
        {"video_id": "a", "kind": "description", "text": "A Cook works.", "source": "sim"},
        {"video_id": "a", "kind": "event", "start": 5, "end": 9, "text": "second"},
        {"video_id": "a", "kind": "event", "start": 0, "end": 5, "text": "first"},
        {"video_id": "b", "kind": "event", "start": 0, "end": 1, "text": "other"},
        "not json",
    ]) + "\n")
    r = Replay(p)
    assert r.frame_request("describe", 10.0) is None and r.bad_lines == 1
    [a, b] = r.run("localize", [[], []], durations=[10, 10], video_ids=["a", "c"])
    assert a.value == [Event(0.0, 5.0, "first"), Event(5.0, 9.0, "second")]
    assert a.settings["backend"] == "replay" and "not a model" in a.settings["note"]
    assert isinstance(b.value, ParseFailure) and "nothing to replay" in b.value.reason
    [d] = r.run("describe", [[]], durations=[10], video_ids=["a"])
    assert d.value == "A Cook works." and d.settings["replayed_source"] == "sim"
    with pytest.raises(ValueError, match="video_ids"):
        r.run("describe", [[]], durations=[10])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Replay(tmp_path / "missing.jsonl")
