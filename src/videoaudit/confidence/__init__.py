"""The confidence map: signals fused into one number per segment and per video, with reasons."""

from ..signal_values import parse_signals as signal_values
from .fuse import Calibration, FusionConfig, fuse
from .tiers import REVIEW_BELOW, TRUSTED_FROM, tier

__all__ = ["Calibration", "FusionConfig", "fuse", "signal_values", "tier", "TRUSTED_FROM", "REVIEW_BELOW"]
