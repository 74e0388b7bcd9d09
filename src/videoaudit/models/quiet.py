"""No hub progress bars: the product shows its own progress (per stage, per video).

transformers 5 prints a "Loading weights" tqdm bar for every model it loads and the hub
client one per download; in a CLI run that is noise between the product's own bars.
"""

from __future__ import annotations


def silence_hub_progress() -> None:
    """Turn off transformers' and huggingface_hub's tqdm bars (idempotent; cheap once imported)."""
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except ImportError:
        pass
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
