"""The HTTP service: a FastAPI app over the screening API (``clearance serve``)."""

from clearance.api.app import create_app
from clearance.api.config import ApiSettings

__all__ = ["ApiSettings", "create_app"]
