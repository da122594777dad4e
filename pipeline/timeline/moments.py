"""Tension moments from per-turn scores: hysteresis over client turns, gap merging, resolution."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import yaml

from ..errors import UserError
from ..taxonomy import CONFIG_DIR

DEFAULT_TIMELINE_CONFIG = CONFIG_DIR / "timeline.yaml"


@dataclass
class TimelineConfig:
    high: dict[str, float] | float | None = None
    # Where `high` is unset the model's decision thresholds (chosen for single turns) start moments,
    # times this factor: a moment must be corroborated anyway, so it may start lower than a flag.
    threshold_scale: float = 1.0
    low_ratio: float = 0.6
    max_gap: int = 1
    # Hysteresis both ways: a moment also takes in the turns before its first high one that stay at
    # or above the low threshold (the build-up), not only those after it. Off here, on in the configs.
    both_ways: bool = False
    # Corroboration: a run of fewer than `min_client_turns` client turns becomes a moment only when
    # its peak reaches `single_turn_peak`. The defaults keep every run; configs/timeline.yaml sets both.
    min_client_turns: int = 1
    single_turn_peak: float = 0.0
    # A therapist's repair also corroborates: a shorter run of at least `min_client_turns_repaired`
    # client turns becomes a moment when a therapist turn inside it or in its repair window has a
    # resolution strategy (the therapist treated it as a rupture). 0: off.
    min_client_turns_repaired: int = 0
    # A repair can also start a run: a client turn at or above `repair_start_ratio` times the start
    # level counts as a start when the turn right after it is the therapist's with a resolution
    # strategy (the therapist answered it as a rupture). The run still needs corroborating. 0: off.
    repair_start_ratio: float = 0.0
    # Internal (candidate_config): before therapist turns are judged, every therapist turn right
    # after such a client turn might hold a repair.
    any_therapist_turn_may_repair: bool = False
    window: int = 3
    after_turns: int = 2
    # Which therapist turns get a strategy: "all", or "repair_windows" (only those inside a moment
    # or its repair window, the turns 3RS codes as responses to a rupture; moments and resolutions
    # are the same either way, and the session is scored in about 60% of the time).
    strategies: str = "all"
    long_moment_turns: int = 3
    segment_seconds: float = 300.0
    segment_turns: int = 30

    @classmethod
    def load(cls, path: str | Path | None = None, thresholds: dict[str, float] | None = None) -> "TimelineConfig":
        source = Path(path or DEFAULT_TIMELINE_CONFIG)
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise UserError(f"{source}: cannot read timeline settings ({getattr(err, 'strerror', None) or err})") from None
        if not isinstance(data, dict):
            raise UserError(f"{source}: timeline settings must be a mapping of sections (moments, resolution, ...)")
        m, r, s, g = (_section(data, k, source) for k in ("moments", "resolution", "significance", "grid"))

        def num(section: dict[str, Any], name: str, key: str, default: float, kind: type = float) -> Any:
            return _number(section.get(key, default), kind, f"{source}: {name}.{key}")

        cfg = cls(high=m.get("high"), threshold_scale=num(m, "moments", "threshold_scale", 1.0),
                  low_ratio=num(m, "moments", "low_ratio", 0.6), max_gap=num(m, "moments", "max_gap", 1, int),
                  both_ways=_flag(m.get("both_ways", False), f"{source}: moments.both_ways"),
                  min_client_turns=num(m, "moments", "min_client_turns", 1, int),
                  single_turn_peak=num(m, "moments", "single_turn_peak", 0.0),
                  min_client_turns_repaired=num(m, "moments", "min_client_turns_repaired", 0, int),
                  repair_start_ratio=num(m, "moments", "repair_start_ratio", 0.0),
                  window=num(r, "resolution", "window", 3, int),
                  after_turns=num(r, "resolution", "after_turns", 2, int),
                  strategies=check_strategies_mode(r.get("strategies", "all"), f"{source}: resolution.strategies"),
                  long_moment_turns=num(s, "significance", "long_moment_turns", 3, int),
                  segment_seconds=num(g, "grid", "segment_seconds", 300),
                  segment_turns=num(g, "grid", "segment_turns", 30, int))
        if not 0 <= cfg.repair_start_ratio <= 1:
            raise UserError(f"{source}: moments.repair_start_ratio must be from 0 to 1, got {cfg.repair_start_ratio!r}")
        return cfg.with_model_thresholds(thresholds)

    def with_model_thresholds(self, thresholds: dict[str, float] | None) -> "TimelineConfig":
        """This config, with `high` set from a model's family thresholds (times `threshold_scale`)
        unless the config sets its own."""
        if self.high is not None or not thresholds:
            return self
        return replace(self, high={f: round(float(v) * self.threshold_scale, 4) for f, v in thresholds.items()})

    def high_for(self, family: str) -> float:
        if isinstance(self.high, dict):
            return float(self.high.get(family, 0.5))
        return float(self.high) if self.high is not None else 0.5


def _section(data: dict[str, Any], key: str, source: Path) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise UserError(f"{source}: {key} must be a mapping of settings, got {value!r}")
    return value


def _number(value: Any, kind: type, what: str) -> Any:
    """`value` as an int or float; a one-line error naming `what` set it when it is not a number."""
    whole = isinstance(value, (int, float)) and float(value).is_integer()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not whole):
        raise UserError(f"{what} must be {'a whole number' if kind is int else 'a number'}, got {value!r}")
    return kind(value)


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise UserError(f"{what} must be true or false, got {value!r}")
    return value


STRATEGY_MODES = ("all", "repair_windows")


def check_strategies_mode(value: Any, what: str) -> str:
    """`value` if it is one of STRATEGY_MODES; else a one-line error naming `what` set it."""
    if value not in STRATEGY_MODES:
        raise UserError(f"{what} must be one of {', '.join(STRATEGY_MODES)}, got {value!r}")
    return str(value)


@dataclass
class TurnScore:
    """What the timeline needs of one scored turn."""

    index: int
    role: str
    scores: dict[str, float]              # client: P(family) per rupture family
    subtype: str | None = None            # client: the most likely subtype (for its predicted family)
    subtype_by_family: dict[str, str] = field(default_factory=dict)
    strategy: str | None = None           # therapist: decided strategy or None
    start: float | None = None
    end: float | None = None


@dataclass
class Moment:
    id: str
    family: str
    subtypes: list[str]
    start_turn: int
    end_turn: int
    peak_turn: int
    peak_score: float
    significance: int
    evidence_turns: list[int]
    start: float | None
    end: float | None
    resolution: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _forward_runs(client: list[TurnScore], family: str, high: float, low: float, max_gap: int,
                  anchored: frozenset[int] = frozenset()) -> list[list[TurnScore]]:
    """Runs of client turns: start at >= high, continue at >= low, bridge <= max_gap quieter turns.
    A turn in `anchored` (answered by a repair) counts as high.

    The quieter turns bridged inside a run are not part of its evidence."""
    runs: list[list[TurnScore]] = []
    current: list[TurnScore] = []
    quiet = 0
    for t in client:
        s = high if t.index in anchored else t.scores.get(family, 0.0)
        if current:
            if s >= low:
                current.append(t)
                quiet = 0
                continue
            quiet += 1
            if quiet > max_gap:
                runs.append(current)
                current, quiet = [], 0
        if not current and s >= high:
            current, quiet = [t], 0
    if current:
        runs.append(current)
    return runs


def _runs(client: list[TurnScore], family: str, high: float, low: float, max_gap: int,
          both_ways: bool = False, anchored: frozenset[int] = frozenset()) -> list[list[TurnScore]]:
    """The runs `_forward_runs` finds; with `both_ways`, also grown backwards from each high turn
    (the same rule read right to left), so a run keeps the lukewarm turns that led up to its peak."""
    forward = _forward_runs(client, family, high, low, max_gap, anchored)
    if not both_ways:
        return forward
    backward = _forward_runs(client[::-1], family, high, low, max_gap, anchored)
    evidence = {t.index for run in forward + backward for t in run}
    runs: list[list[TurnScore]] = []
    current: list[TurnScore] = []
    quiet = 0
    for t in client:  # regroup the evidence: turns at most max_gap quieter client turns apart
        if t.index in evidence:
            current.append(t)
            quiet = 0
        elif current:
            quiet += 1
            if quiet > max_gap:
                runs.append(current)
                current, quiet = [], 0
    if current:
        runs.append(current)
    return runs


def _significance(peak: float, high: float, n_evidence: int, cfg: TimelineConfig) -> int:
    span = max(1e-6, 1.0 - high)
    level = 1 + int(min(3.999, 4 * max(0.0, peak - high) / span))
    if n_evidence >= cfg.long_moment_turns:
        level += 1
    return max(1, min(5, level))


def candidate_config(cfg: TimelineConfig) -> TimelineConfig:
    """Settings whose moments include every run a therapist's repair could still start or
    corroborate: before therapist turns are judged, their repair windows are the ones to judge."""
    if cfg.min_client_turns_repaired and cfg.min_client_turns_repaired < cfg.min_client_turns:
        cfg = replace(cfg, min_client_turns=cfg.min_client_turns_repaired)
    if cfg.repair_start_ratio > 0:
        cfg = replace(cfg, any_therapist_turn_may_repair=True)
    return cfg


def _repair_anchored(turns: Sequence[TurnScore], family: str, floor: float, cfg: TimelineConfig) -> frozenset[int]:
    """Client turns at or above `floor` that the very next turn, the therapist's, answers with a
    resolution strategy (`repair_start_ratio`)."""
    if cfg.repair_start_ratio <= 0:
        return frozenset()
    return frozenset(t.index for t, nxt in zip(turns, turns[1:])
                     if t.role == "client" and t.scores.get(family, 0.0) >= floor and nxt.role == "therapist"
                     and (nxt.strategy or cfg.any_therapist_turn_may_repair))


def build_moments(turns: Sequence[TurnScore], families: Sequence[str], cfg: TimelineConfig) -> list[Moment]:
    """All tension moments of one session, in order of their first turn."""
    client = [t for t in turns if t.role == "client"]
    moments: list[Moment] = []
    for family in families:
        high = cfg.high_for(family)
        low = high * cfg.low_ratio
        anchored = _repair_anchored(turns, family, high * cfg.repair_start_ratio, cfg)
        for run in _runs(client, family, high, low, cfg.max_gap, cfg.both_ways, anchored):
            peak = max(run, key=lambda t: t.scores.get(family, 0.0))
            corroborated = len(run) >= cfg.min_client_turns or peak.scores.get(family, 0.0) >= cfg.single_turn_peak
            if not corroborated and not 0 < cfg.min_client_turns_repaired <= len(run):
                continue  # a lone or brief lukewarm run: left as flagged turns, not a moment
            start_turn, end_turn = run[0].index, run[-1].index
            resolution = _resolution(turns, family, start_turn, end_turn, low, cfg)
            if not corroborated and not resolution["attempted"]:
                continue  # ... unless a therapist's repair answered it
            subtypes: dict[str, int] = {}
            for t in run:
                code = t.subtype_by_family.get(family) or t.subtype
                if code:
                    subtypes[code] = subtypes.get(code, 0) + 1
            moments.append(Moment(
                id="", family=family, subtypes=sorted(subtypes, key=lambda c: -subtypes[c]),
                start_turn=start_turn, end_turn=end_turn, peak_turn=peak.index,
                peak_score=round(peak.scores.get(family, 0.0), 4),
                significance=_significance(peak.scores.get(family, 0.0), high, len(run), cfg),
                evidence_turns=[t.index for t in run], start=run[0].start,
                end=run[-1].end if run[-1].end is not None else run[-1].start, resolution=resolution))
    moments.sort(key=lambda m: (m.start_turn, m.family))
    for k, m in enumerate(moments, 1):
        m.id = f"m{k}"
    return moments


def _window_end(turns: Sequence[TurnScore], end_turn: int, cfg: TimelineConfig) -> int:
    """The last turn of a moment's repair window: its `window`-th therapist turn after the moment."""
    window_end = end_turn
    seen_therapist = 0
    for t in turns:
        if t.index > end_turn and t.role == "therapist":
            seen_therapist += 1
            window_end = t.index
            if seen_therapist >= cfg.window:
                break
    return window_end


def repair_window_turns(turns: Sequence[TurnScore], moments: Sequence[Moment], cfg: TimelineConfig) -> list[int]:
    """Indices of the therapist turns whose strategy can decide a moment's resolution: those inside
    a moment or in its repair window. Only these need a strategy for the timeline to be complete."""
    windows = [(m.start_turn, _window_end(turns, m.end_turn, cfg)) for m in moments]
    return [t.index for t in turns if t.role == "therapist" and any(a <= t.index <= b for a, b in windows)]


def _resolution(turns: Sequence[TurnScore], family: str, start_turn: int, end_turn: int, low: float,
                cfg: TimelineConfig) -> dict[str, Any]:
    window_end = _window_end(turns, end_turn, cfg)
    repair = [t for t in turns if start_turn <= t.index <= window_end and t.role == "therapist" and t.strategy]
    after = [t for t in turns if t.index > end_turn and t.role == "client"][: cfg.after_turns]
    if after:
        tension_fell: bool | None = all(t.scores.get(family, 0.0) < low for t in after)
    else:
        tension_fell = None
    strategies = list(dict.fromkeys(t.strategy for t in repair if t.strategy))
    return {
        "attempted": bool(repair),
        "strategies": strategies,
        "repair_turns": [t.index for t in repair],
        "tension_fell": tension_fell,
        "resolved": bool(repair) and bool(tension_fell),
    }
