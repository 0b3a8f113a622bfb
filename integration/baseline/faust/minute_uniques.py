"""Faust baseline: headcount's minute job (exact distinct users per minute).

Same shape as the Kafka Streams baseline (../kstreams): each frame is parsed
with the standard library's json (C accelerated), frames whose top-level uid
is a non-empty string and ts an integer or a digit string are re-keyed to
"minute|uid" (repartition 1); a changelogged table keeps the pairs seen, and
each new pair goes to its minute (repartition 2), where a changelogged table
counts it. processing_guarantee=exactly_once.

    python minute_uniques.py APP_ID INPUT EXPECTED_PAIRS [BROKER]

EXPECTED_PAIRS is the sum of the per-minute uniques (from `headcount count`);
the app stops once its counts add up to it, printing
`frames=... elapsed=...s rate=... frames/s` (elapsed from the app's start,
Python start excluded) and the counts per minute to stderr.
"""

import json
import os
import sys
import time

import faust

app_id, input_topic, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
broker = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1:9092"

app = faust.App(
    app_id,
    broker=f"kafka://{broker}",
    processing_guarantee="exactly_once",
    store="memory://",
    topic_partitions=3,
    broker_commit_interval=0.2,
    web_enabled=False,
)
frames = app.topic(input_topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
pairs = app.topic(f"{app_id}-pairs", key_type=str, value_type=int, key_serializer="raw", value_serializer="json", partitions=3, internal=True)
minutes = app.topic(f"{app_id}-minutes", key_type=str, value_type=int, key_serializer="raw", value_serializer="json", partitions=3, internal=True)
seen = app.Table("seen", default=bool, partitions=3)
counts = app.Table("counts", default=int, partitions=3)

state = {"start": None, "frames": 0, "counted": 0}


def minute_of(raw):
    """The minute start of a valid frame, and its uid, or None."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    uid, ts = obj.get("uid"), obj.get("ts")
    if not isinstance(uid, str) or not uid:
        return None
    if isinstance(ts, str) and ts.isdigit():
        ts = int(ts)
    if not isinstance(ts, int) or isinstance(ts, bool) or ts < 0:
        return None
    return ts - ts % 60, uid


@app.task
async def started():
    state["start"] = time.monotonic()


@app.agent(frames)
async def parse(stream):
    async for raw in stream:
        state["frames"] += 1
        got = minute_of(raw)
        if got is not None:
            minute, uid = got
            await pairs.send(key=f"{minute}|{uid}", value=minute)


@app.agent(pairs)
async def dedup(stream):
    async for key, minute in stream.items():
        if not seen[key]:
            seen[key] = True
            await minutes.send(key=str(minute), value=1)


@app.agent(minutes)
async def count(stream):
    async for minute, one in stream.items():
        counts[minute] += one
        state["counted"] += one
        if state["counted"] == expected:
            elapsed = time.monotonic() - state["start"]
            print(f"frames={state['frames']} elapsed={elapsed:.2f}s rate={state['frames'] / elapsed:.0f} frames/s", flush=True)
            for m in sorted(counts.keys()):
                print(f"minute {m} {counts[m]}", file=sys.stderr, flush=True)
            os._exit(0)


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker", "-l", "warn"]
    app.main()
