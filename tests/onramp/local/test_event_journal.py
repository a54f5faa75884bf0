"""The recorder's on-disk event journal: every event back, in order, from many threads."""

import threading

from onramp.local.aws.traffic import AwsCall
from onramp.local.metering.event_journal import EventJournal


def test_events_come_back_equal_and_in_order():
    journal: EventJournal[AwsCall] = EventJournal()
    calls = [
        AwsCall(at=float(n), service="dynamodb", operation="PutItem", status=200, item_bytes=(n,))
        for n in range(500)
    ]
    for call in calls:
        journal.append(call)
    assert len(journal) == 500
    assert list(journal) == calls
    assert list(journal) == calls  # reading does not consume


def test_concurrent_appends_lose_nothing_and_reads_see_whole_events():
    journal: EventJournal[tuple[int, int]] = EventJournal()
    reads: list[list[tuple[int, int]]] = []

    def write(thread: int) -> None:
        for n in range(300):
            journal.append((thread, n))
            if n % 100 == 0:
                reads.append(list(journal))  # while others append: whole events only

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = list(journal)
    assert sorted(events) == [(t, n) for t in range(4) for n in range(300)]
    for thread in range(4):
        assert [n for t, n in events if t == thread] == list(range(300))
    assert len(reads) == 12
    for read in reads:
        assert 1 <= len(read) <= len(events) and set(read) <= set(events)
        for thread in range(4):  # each thread's events come back as a prefix, in order
            mine = [n for t, n in read if t == thread]
            assert mine == list(range(len(mine)))
