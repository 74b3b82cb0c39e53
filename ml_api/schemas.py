"""Request and response bodies of the API (pydantic); the OpenAPI schema is generated from them."""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ml_api.contract import CLASSIFICATION_MODEL, REGRESSION_MODEL
from ml_api.housing import FEATURES_BY_NAME, NEIGHBOURHOOD_NAMES, PRICE_BAND_NAMES
from ml_api.models import NUMERIC

MAX_BATCH = 1_000

Neighbourhood = enum.Enum("Neighbourhood", {name: name for name in NEIGHBOURHOOD_NAMES}, type=str)  # type: ignore[misc]
PriceBand = enum.Enum("PriceBand", {name: name for name in PRICE_BAND_NAMES}, type=str)  # type: ignore[misc]


class ModelName(str, enum.Enum):
    house_price = REGRESSION_MODEL
    price_band = CLASSIFICATION_MODEL


def _field(name: str, required: bool = True, multiple_of: float | None = None) -> Any:
    spec = FEATURES_BY_NAME[name]
    return Field(
        ... if required else None,
        ge=spec.minimum,
        le=spec.maximum,
        description=spec.description,
        multiple_of=multiple_of,
    )


class HouseFeatures(BaseModel):
    """One house. Optional features may be omitted or null: the model fills them with the training median,
    and the prediction log records them as missing (they count in the data-quality metrics)."""

    # Unknown fields are rejected so a typo ("bedroom") is reported instead of silently imputed;
    # NaN and ±inf are rejected (JSON has no such numbers, but Python clients send them).
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        use_enum_values=True,
        json_schema_extra={
            "examples": [
                {
                    "living_area_sqft": 1850,
                    "lot_size_sqft": 6500,
                    "bedrooms": 3,
                    "bathrooms": 2.0,
                    "year_built": 1988,
                    "condition": 3,
                    "garage_spaces": 2,
                    "neighbourhood": "riverside",
                }
            ]
        },
    )

    living_area_sqft: float = _field("living_area_sqft")
    lot_size_sqft: float | None = _field("lot_size_sqft", required=False)
    bedrooms: int = _field("bedrooms")
    bathrooms: float = _field("bathrooms", multiple_of=0.5)
    year_built: int | None = _field("year_built", required=False)
    condition: int | None = _field("condition", required=False)
    garage_spaces: int | None = _field("garage_spaces", required=False)
    neighbourhood: Neighbourhood = Field(
        ..., description=FEATURES_BY_NAME["neighbourhood"].description
    )

    @field_validator(*NUMERIC, mode="before")
    @classmethod
    def _json_number(cls, value: object) -> object:
        # JSON Schema's rules, not pydantic's lax ones: true/false and "3" are not numbers
        # (coercing them would log made-up values), but 3.0 is a valid integer.
        if isinstance(value, (bool, str)):
            raise ValueError(f"Input should be a number, not {type(value).__name__} {value!r}")
        return value


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[HouseFeatures] = Field(
        ..., min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} houses"
    )


class Prediction(BaseModel):
    request_id: str = Field(
        ..., description="Send it back with POST /feedback when the true value is known."
    )
    model_name: str
    model_version: str
    prediction: float | str = Field(
        ..., description="Price in dollars (house_price) or a price band (price_band)."
    )


class BatchResponse(BaseModel):
    model_name: str
    model_version: str
    predictions: list[Prediction]


def _feedback_variants(schema: dict[str, Any]) -> None:
    """State the cross-field rule in the schema too: a price for house_price ids, a band for price_band ids."""
    schema["oneOf"] = [
        {
            "properties": {
                "request_id": {"pattern": f"^{REGRESSION_MODEL}-[0-9a-f]{{32}}$"},
                "actual": {"type": "number"},
            }
        },
        {
            "properties": {
                "request_id": {"pattern": f"^{CLASSIFICATION_MODEL}-[0-9a-f]{{32}}$"},
                "actual": {"type": "string", "enum": list(PRICE_BAND_NAMES)},
            }
        },
    ]


class Feedback(BaseModel):
    # The schema says exactly what is accepted: a number for a house_price request id, a band name
    # for a price_band one ("" is refused by the schema and by the API alike). Pydantic checks the
    # type; the pairing with the request id is checked by /feedback (422 naming "actual").
    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        use_enum_values=True,
        json_schema_extra=_feedback_variants,
    )

    request_id: str = Field(
        ...,
        pattern=f"^({REGRESSION_MODEL}|{CLASSIFICATION_MODEL})-[0-9a-f]{{32}}$",
        description="The request_id /predict returned.",
    )
    actual: float | PriceBand = Field(
        ...,
        description="The true price (a number, for house_price requests) or price band "
        f"({', '.join(PRICE_BAND_NAMES)}, for price_band requests).",
    )

    @field_validator("actual", mode="before")
    @classmethod
    def _number_or_band(cls, value: object) -> object:
        # JSON Schema's rules: true is not a number, and "3" is a string that names no band
        # (pydantic's lax mode would turn both into numbers).
        if isinstance(value, bool):
            raise ValueError("Input should be a price or a price band, not a boolean")
        if isinstance(value, str) and value not in PRICE_BAND_NAMES:
            raise ValueError(
                f"a text actual must be one of {', '.join(PRICE_BAND_NAMES)} "
                "(or send a price as a number)"
            )
        return value


class FeedbackAccepted(BaseModel):
    request_id: str
    status: Literal["accepted"] = "accepted"


class ModelInfo(BaseModel):
    model_name: str
    model_version: str
    task: str
    memory_bytes: int
    features: list[str]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    models: dict[str, bool]
    prediction_log: dict[str, object]
