"""Opening styles on engines in the background, with a cache.

Opening a style can take from milliseconds (ONNX Runtime CPU) to seconds (OpenVINO
compiling, ``auto`` timing every CPU engine) to minutes (a first TensorRT plan build).
The video must never stop for it: loads run in one background thread, the old style keeps
running meanwhile, and only the newest request is applied when it is ready. Loaded
engines are kept, so going back to a style is instant; the other styles of the menu are
loaded ahead of time (after any request a person made), so switching to them is too.

Qt-free: results are reported through callbacks, on the loader thread (except a
``request`` already cached, answered at once on the caller's); the window relays them
as Qt signals (``stylecam.app.gui.switcher``), which arrive on the GUI thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stylecam.app.live.priority import lower_priority

EngineFactory = Callable[[Path, str], Any]  # (style path, engine choice) -> Engine


def default_factory(path: Path, engine: str) -> Any:
    from stylecam.models.runtime.engines import open_engine

    return open_engine(path, engine)


class EngineLoader:
    """``request(key, path, engine)``; ``on_loaded(key, engine)`` or ``on_failed(key, reason)``
    follow. ``key`` identifies the request (the style's name). ``prefetch`` queues loads
    behind every request, for instant switching later. ``on_busy(key)``: a load a person
    waits for has started; ``on_engines(names)``: the engines that really work here
    (probed once, in the loader thread)."""

    def __init__(
        self,
        factory: EngineFactory = default_factory,
        cache_size: int = 12,
        probe: Callable[[], list[str]] | None = None,
        *,
        on_loaded: Callable[[str, Any], None] = lambda key, engine: None,
        on_failed: Callable[[str, str], None] = lambda key, reason: None,
        on_busy: Callable[[str], None] = lambda key: None,
        on_engines: Callable[[list[str]], None] = lambda names: None,
    ) -> None:
        self.on_loaded, self.on_failed, self.on_busy, self.on_engines = on_loaded, on_failed, on_busy, on_engines
        self.factory = factory
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._failures: dict[tuple[str, str], str] = {}
        self._queue: deque[tuple[str, Path, str, bool]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.pending = 0  # requests (not prefetches) not yet answered: for the progress bar
        self._probe = probe
        self._thread = threading.Thread(target=self._run, name="engine-load", daemon=True)
        self._thread.start()

    def cached(self, path: Path, engine: str) -> Any | None:
        with self._cond:
            eng = self._cache.get((str(path), engine))
            if eng is not None:
                self._cache.move_to_end((str(path), engine))
            return eng

    def settled(self, path: Path, engine: str) -> bool:
        """Loaded or failed: nothing is pending for this style on this engine (what waiting
        for the background prefetches waits for)."""
        with self._cond:
            return (str(path), engine) in self._cache or (str(path), engine) in self._failures

    def remember(self, path: Path, engine: str, eng: Any) -> None:
        """Also file a loaded engine under another name (``auto`` resolved to ``openvino``)."""
        with self._cond:
            self._store((str(path), engine), eng)

    def request(self, key: str, path: Path, engine: str) -> bool:
        """Load ahead of any prefetch; False when it was cached (``on_loaded`` already called)."""
        eng = self.cached(path, engine)
        if eng is not None:
            self.on_loaded(key, eng)
            return False
        with self._cond:
            self.pending += 1
            self._queue.appendleft((key, path, engine, True))
            self._cond.notify()
        self.on_busy(key)
        return True

    def prefetch(self, key: str, path: Path, engine: str) -> None:
        """Load when nothing else waits; the result is cached (and announced like a request)."""
        with self._cond:
            if (str(path), engine) in self._cache or (str(path), engine) in self._failures:
                return
            self._queue.append((key, path, engine, False))
            self._cond.notify()

    def clear_prefetches(self) -> None:
        with self._cond:
            self._queue = deque(item for item in self._queue if item[3])

    def _run(self) -> None:
        lower_priority(2)  # engine threads started here inherit it: the GUI thread comes first
        while True:
            with self._cond:
                while not self._closed and not self._queue and self._probe is None:
                    self._cond.wait()
                if self._closed:
                    return
                if self._probe is not None and not (self._queue and self._queue[0][3]):
                    probe, self._probe = self._probe, None
                else:
                    probe = None
                    key, path, engine, wanted = self._queue.popleft()
            if probe is not None:  # here, not in a thread of its own: GPU probes redirect
                self._run_probe(probe)  # stdout/stderr and must not overlap an engine load
                continue
            outcome = self._load(path, engine)
            with self._cond:  # reporting under the lock: after shutdown() nothing is reported
                if wanted:
                    self.pending -= 1  # before the signal, so the GUI sees the true count
                if self._closed:
                    return
                if isinstance(outcome, str):
                    self.on_failed(key, outcome)
                else:
                    self.on_loaded(key, outcome)

    def _run_probe(self, probe: Callable[[], list[str]]) -> None:
        try:
            found = list(probe())
        except Exception:
            return
        with self._cond:
            if not self._closed:
                self.on_engines(found)

    def _load(self, path: Path, engine: str) -> Any:
        """The engine, or the reason it cannot be had (a string)."""
        k = (str(path), engine)
        with self._cond:
            if k in self._cache:
                return self._cache[k]
            if k in self._failures:
                return self._failures[k]
        try:
            eng = self.factory(path, engine)
        except Exception as e:  # StyleError, EngineError or worse: shown, never fatal
            reason = getattr(e, "problem", None) or f"{type(e).__name__}: {e}"
            with self._cond:
                self._failures[k] = reason
            return reason
        with self._cond:
            self._store(k, eng)
        return eng

    def _store(self, k: tuple[str, str], eng: Any) -> None:
        self._cache[k] = eng
        self._cache.move_to_end(k)
        while len(self._cache) > self.cache_size:  # dropped, not closed: it may still be
            self._cache.popitem(last=False)  # running; the GC frees it afterwards

    def forget_failures(self) -> None:
        """Try failed loads again (after the engine choice changed)."""
        with self._cond:
            self._failures.clear()

    def shutdown(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
