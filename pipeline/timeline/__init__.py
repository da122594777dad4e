"""Per-session timelines: tension moments, their resolution, the 3RS segment grid and a summary."""
from .grid import build_grid, summarise
from .moments import Moment, TimelineConfig, build_moments

__all__ = ["Moment", "TimelineConfig", "build_moments", "build_grid", "summarise"]
