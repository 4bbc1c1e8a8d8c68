"""Request bodies of the IVR scripts' API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5)
    contact_id: int | None = None
