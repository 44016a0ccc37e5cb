"""The commit loop of the index: plan a write against the latest state, write it to the store,
then apply it to memory; plan again when another writer overtook the plan.

See :class:`dedup.index.index.Index`, whose writes all go through :func:`commit`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from dedup.errors import StoreError, WriteConflictError
from dedup.index.plan import Plan
from dedup.index.replay import replay
from dedup.index.state import IndexState
from dedup.stores.store import Store

__all__ = ["COMMIT_ATTEMPTS", "commit"]

# Plans of one write before it gives up on a store that other writers keep changing.
COMMIT_ATTEMPTS = 64


def commit(
    state: IndexState,
    store: Store,
    lock: threading.RLock,
    check_open: Callable[[], None],
    build: Callable[[Plan], None],
) -> Plan:
    """Plan a write against the latest state under the store's write lock, write it, then
    apply it to memory.

    A store without a write lock (Redis) refuses a plan made against a state that another
    writer has since changed (:class:`WriteConflictError`): the other writer's change is
    replayed and the write planned again, so each write is planned against exactly the
    state it is committed on. If the store refuses the write otherwise, memory keeps only
    what other processes wrote and the error propagates.
    """
    for attempt in range(COMMIT_ATTEMPTS):
        with lock:
            check_open()
            with store.writing():
                replay(state, store, store.changes())
                plan = Plan(state)
                build(plan)
                written = {d.id for d in plan.documents}
                committed = True
                try:
                    store.write(
                        plan.stored_documents(),
                        [d for d in plan.removed if d not in written],
                        plan.new_entries,
                        plan.dropped_keys(),
                    )
                except WriteConflictError:
                    committed = False
            if committed:
                plan.apply()
                return plan
        # Back off a random while, longer after each conflict, so two busy writers
        # stop colliding.
        time.sleep(random.uniform(0.0, 0.0005 * 2 ** min(attempt, 7)))
    raise StoreError(
        f"other writers changed the store {COMMIT_ATTEMPTS} times while this write was "
        "planned; try again later"
    )
