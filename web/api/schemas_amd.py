"""Request bodies of the AMD API (R6.2-R6.4)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SampleStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["candidate", "verified", "disabled"] = Field(
        description="verified samples hang up calls; candidates wait for a supervisor")
