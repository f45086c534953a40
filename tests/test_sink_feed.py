"""The run's one reader of the sink: a drill's observer sees the same arrivals as with its own client."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from alertdrill.observe.sink_feed import SinkFeed


class FakeSink:
    """Answers like the sink's /events: arrivals after `after`, waiting until one comes."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = [{"seq": 1, "path": "/old"}]
        self.cond = threading.Condition()
        self.down = False
        self.polls = 0

    def add(self, path: str) -> None:
        with self.cond:
            self.items.append({"seq": len(self.items) + 1, "path": path})
            self.cond.notify_all()

    def events(self, after: int, wait_s: float) -> tuple[list[Any], int]:
        with self.cond:
            self.polls += 1
            if self.down:
                raise requests.ConnectionError("refused")
            self.cond.wait_for(lambda: len(self.items) > after or self.down, timeout=min(wait_s, 0.2))
            return [i for i in self.items if i["seq"] > after], len(self.items)


def test_readers_get_only_arrivals_after_the_feed_started_with_the_sinks_numbers() -> None:
    sink = FakeSink()
    feed = SinkFeed(sink).start()  # type: ignore[arg-type]
    try:
        _, start = feed.events(0, 0)
        assert start == 1
        sink.add("/a")
        sink.add("/b")
        items, last = feed.events(start, 5)
        while last < 3:  # the feed may have read /a before /b arrived: one more wait gives /b
            more, last = feed.events(last, 5)
            items += more
        assert [i["path"] for i in items] == ["/a", "/b"] and last == 3
        assert [i["path"] for i in feed.events(2, 0)[0]] == ["/b"]  # a second reader, further behind
    finally:
        feed.stop()


def test_a_sink_that_stops_answering_is_an_error_for_readers_not_an_empty_answer() -> None:
    sink = FakeSink()
    feed = SinkFeed(sink).start()  # type: ignore[arg-type]
    try:
        sink.down = True
        with sink.cond:
            sink.cond.notify_all()
        with pytest.raises(requests.ConnectionError):
            feed.events(1, 5)
    finally:
        feed.stop()
