"""InferenceCache: what SimpleModelInference.cache is. The cache itself is the engine's
LRU (keyed by the position, whatever form the board came in); this object gives it the
shape of the reference system's LRUCache: max_size, hits, misses, get_stats(), and a
clear() that also zeroes the counters."""
from __future__ import annotations

import weakref
from typing import Any, Dict


class InferenceCache:
    """The result cache of one SimpleModelInference.

    hits / misses: lookups answered from it / not, since it was made or last cleared;
    size: positions held; max_size: its capacity. clear() empties it and zeroes the
    counters (the engine has no call that empties its cache, so clear reopens the engine:
    the model file is read again).
    """

    def __init__(self, owner: Any, max_size: int) -> None:
        # A weak reference: the owner holds this object, and a cycle would keep the
        # owner's engine (its threads and memory) alive until the garbage collector ran.
        self._owner = weakref.ref(owner)
        self.max_size = max_size

    def _inference(self) -> Any:
        owner = self._owner()
        if owner is None:
            raise RuntimeError("the SimpleModelInference of this cache is gone")
        return owner

    def get_stats(self) -> Dict[str, Any]:
        """{hits, misses, hit_rate, size, max_size}, as the reference's LRUCache.get_stats."""
        cache = self._inference().engine.stats()["cache"]
        total = cache["hits"] + cache["misses"]
        return {"hits": cache["hits"], "misses": cache["misses"],
                "hit_rate": cache["hits"] / total if total > 0 else 0.0, "size": cache["size"],
                "max_size": self.max_size}

    @property
    def hits(self) -> int:
        return self.get_stats()["hits"]

    @property
    def misses(self) -> int:
        return self.get_stats()["misses"]

    @property
    def size(self) -> int:
        return self.get_stats()["size"]

    def __len__(self) -> int:
        return self.size

    def clear(self) -> None:
        """Empties the cache and zeroes hits and misses."""
        self._inference()._reopen_engine()

    def __repr__(self) -> str:
        s = self.get_stats()
        return f"<InferenceCache {s['size']}/{s['max_size']} hits={s['hits']} misses={s['misses']}>"
