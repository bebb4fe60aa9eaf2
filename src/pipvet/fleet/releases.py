"""Release dates for the constraints floors, from the index JSON API through the shared index
client (its cache, offline mode, and the policy's internal names, which are never sent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipvet.errors import PipvetError
from pipvet.index.client import IndexClient
from pipvet.index.parse import ProjectInfo
from pipvet.models import NormalizedName

__all__ = ["release_info"]


def release_info(
    client: IndexClient, names: Sequence[NormalizedName]
) -> Mapping[NormalizedName, ProjectInfo | str]:
    """Each name's project as the index describes it, or in words why it is not known."""
    out: dict[NormalizedName, ProjectInfo | str] = {}
    for name, answer in client.lookup_many(list(names)).items():
        key = NormalizedName(name)
        if isinstance(answer, PipvetError):
            out[key] = str(answer)
        elif answer.project is None:
            out[key] = f"{name} is not on {client.base_url}"
        else:
            out[key] = answer.project
    return out
