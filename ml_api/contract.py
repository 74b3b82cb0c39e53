"""Names the API and its clients share: model names and version, the test-only fault headers.

Light on purpose (standard library only): the traffic simulator imports it
without scikit-learn or FastAPI, so ``python -m ml_api.simulate --help`` stays fast.
"""

from __future__ import annotations

MODEL_VERSION = "1.0.0"
REGRESSION_MODEL = "house_price"
CLASSIFICATION_MODEL = "price_band"
MODEL_NAMES = (REGRESSION_MODEL, CLASSIFICATION_MODEL)

DELAY_HEADER = "x-fault-delay"  # seconds to wait before answering (≤ faults.MAX_DELAY)
STATUS_HEADER = "x-fault-status"  # a 5xx status to answer with instead of predicting
