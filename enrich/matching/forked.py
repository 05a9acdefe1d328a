"""Work split between this process and forked ones: chunks taken by whoever is free.

``shared_chunks(work, n, helpers)`` runs ``work(0) .. work(n - 1)`` in this process and
in ``helpers`` forked processes, each taking the next chunk from a shared counter as it
is free, and gives their results in chunk order. This process works too rather than wait
for the others: on two cores that is one process fewer to fork, and its pages are its
own (no copy on write). Forked helpers share the parent's memory as it was when they
were forked (an index, the records); only what ``work`` returns travels back, pickled.
"""

from __future__ import annotations

import mmap
import multiprocessing as mp
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

__all__ = ["can_fork", "shared_chunks"]

R = TypeVar("R")


def can_fork() -> bool:
    """Whether helpers can be forked here (not on Windows)."""
    return "fork" in mp.get_all_start_methods()


class shared_chunks(Generic[R]):  # noqa: N801 - used as a function: ``with shared_chunks(...)``
    """``with shared_chunks(work, n, helpers) as results:`` iterate the results in order.

    With no helpers (or where nothing can be forked) the chunks are worked here, in order.

    A helper sends each result (or the exception that stopped it) through its own pipe;
    the exception is raised here. Leaving the ``with`` block ends the helpers still
    running (the results were not all wanted).
    """

    def __init__(self, work: Callable[[int], R], n: int, helpers: int) -> None:
        self._work = work
        self._n = n
        self._procs: list[BaseProcess] = []
        self._conns: list[Connection] = []
        helpers = min(helpers, n - 1) if can_fork() else 0
        if helpers <= 0:
            return  # all in this process: no shared counter, no pipes
        from multiprocessing.connection import wait  # not needed by single-process runs

        ctx = mp.get_context("fork")
        self._wait = wait
        # The next chunk to take, in an anonymous mapping the forked helpers share:
        # multiprocessing's shared values would import and set up its shared heap.
        self._next = memoryview(mmap.mmap(-1, 4)).cast("i")
        self._lock = ctx.Lock()
        for _ in range(helpers):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=self._help, args=(send,), daemon=True)
            proc.start()
            send.close()
            self._procs.append(proc)
            self._conns.append(receive)

    def _take(self) -> int | None:
        with self._lock:
            i: int = self._next[0]
            if i >= self._n:
                return None
            self._next[0] = i + 1
            return i

    def _help(self, conn: Connection) -> None:
        try:
            while (i := self._take()) is not None:
                conn.send((i, self._work(i), None))
        except BaseException as e:  # raised in the parent
            conn.send((-1, None, e))
        finally:
            conn.close()

    def __enter__(self) -> Iterator[R]:
        return self._results()

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
        for conn in self._conns:
            conn.close()

    def _results(self) -> Iterator[R]:
        if not self._conns:
            yield from map(self._work, range(self._n))
            return
        done: dict[int, R] = {}
        live = list(self._conns)
        for want in range(self._n):
            while want not in done:
                # What the helpers finished first, then a chunk of our own; with none
                # left to take, wait for theirs.
                ready = set(self._wait(live, timeout=0)) if live else set()
                if not ready and (i := self._take()) is not None:
                    done[i] = self._work(i)
                    continue
                ready = ready or set(self._wait(live))
                for conn in [c for c in live if c in ready]:
                    try:
                        got: tuple[int, R | None, BaseException | None] = conn.recv()
                    except EOFError:
                        live.remove(conn)
                        continue
                    i, result, error = got
                    if error is not None:
                        raise error
                    done[i] = result  # type: ignore[assignment]  # None only with an error
                if not live and want not in done:
                    raise RuntimeError("a forked helper ended before its chunk was done")
            yield done.pop(want)
