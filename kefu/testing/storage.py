"""Storage failure injection for tests: a file storage that runs out of space on demand.

``FullDiskStorage.fail_after = n`` lets the next ``n`` files be written, then every write raises
``OSError(ENOSPC)`` as a full disk (or a tiny tmpfs) would; ``None`` writes normally. Used by
tests/faults/test_storage_full.py through ``STORAGES["default"]``.
"""

from __future__ import annotations

import errno
import threading
from typing import Any, ClassVar

from django.core.files.storage import FileSystemStorage


class FullDiskStorage(FileSystemStorage):
    fail_after: ClassVar[int | None] = None
    failures: ClassVar[int] = 0
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _save(self, name: str, content: Any) -> str:
        with self._lock:
            cls = type(self)
            if cls.fail_after is not None:
                if cls.fail_after <= 0:
                    cls.failures += 1
                    raise OSError(errno.ENOSPC, "No space left on device")
                cls.fail_after -= 1
        return super()._save(name, content)
