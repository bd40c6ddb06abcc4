"""A small service with the four leaks of issue 14 (run as a script; dumps
its heap to argv[1] while its event loop runs):

- a result cache keyed by request objects (Request);
- bound methods in a listener list (Subscriber);
- a closure captured by a logging filter (AuditRecord);
- an asyncio task set never pruned (Job, held by the tasks' coroutines);
- and one type held two ways at once (StreamSession: the listener list and
  the filter's closure), where fixing one holder still leaks.
"""
import asyncio
import logging
import sys

import whyalive

N = 30


class Request:
    def __init__(self, rid):
        self.rid = rid


class StreamSession:
    def __init__(self, rid):
        self.rid = rid
        self.buffer = bytearray(512)

    def on_partial(self, text):
        return text


class Subscriber:
    def on_event(self, event):
        return event


class AuditRecord:
    def __init__(self, rid):
        self.rid = rid


class Job:
    def __init__(self, rid):
        self.rid = rid


class EventBus:
    def __init__(self):
        self.listeners = []

    def subscribe(self, fn):
        self.listeners.append(fn)


bus = EventBus()
_result_cache = {}
_background_tasks = set()


def make_audit_filter():
    records = []

    def audit(record):
        return len(records) >= 0

    return audit


log = logging.getLogger("stt")
log.addFilter(make_audit_filter())


def remember(obj):
    # what the filter's closure captured, reached without keeping a reference
    log.filters[0].__closure__[0].cell_contents.append(obj)


async def transcribe(job):
    await asyncio.Event().wait()  # never set: the task stays pending


def handle(rid):
    _result_cache[Request(rid)] = "text %d" % rid
    bus.subscribe(Subscriber().on_event)
    remember(AuditRecord(rid))
    session = StreamSession(rid)
    bus.subscribe(session.on_partial)
    remember(session)
    task = asyncio.ensure_future(transcribe(Job(rid)))
    _background_tasks.add(task)


async def main(path):
    for rid in range(N):
        handle(rid)
    await asyncio.sleep(0)  # the tasks start and suspend
    whyalive.dump(path)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
