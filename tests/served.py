"""The bytes a download button would serve on a click, under AppTest.

AppTest gives each run a mock runtime with an in-memory media file manager. A button with bytes stores them
there at once (``proto.url``); a button with a callable (an Excel file built on click) registers it as a
deferred file (``proto.deferred_file_id``), which a click executes: :func:`served` does what the click does.
"""

from __future__ import annotations

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest


@pytest.fixture
def served(monkeypatch):
    """``read(at, key)``: the bytes of the download button whose key is ``key``, as a click gets them."""
    managers: list[MediaFileManager] = []
    stores: list[MemoryMediaFileStorage] = []

    class Storage(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            stores.append(self)

    class Manager(MediaFileManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Storage)
    monkeypatch.setattr(app_test_module, "MediaFileManager", Manager)

    def read(at: AppTest, key: str) -> bytes:
        (button,) = [b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}")]
        url = button.proto.url
        if not url:
            assert button.proto.deferred_file_id, "the button has neither bytes nor a deferred file"
            url = managers[-1].execute_deferred(button.proto.deferred_file_id)
        return stores[-1].get_file(url.rsplit("/", 1)[1]).content

    return read
