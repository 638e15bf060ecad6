"""The one clock of the durable state."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Timezone-aware now: the timestamp type every state and table column uses."""
    return dt.datetime.now(dt.timezone.utc)
