"""The smoke planner: from a plan and a device, what must work and what must fail cleanly.

Pure Python over the plan JSON (schema ``archforge.plan/1``) and the arch model, so it
is tested here without a GPU. The device need not be one the plan was made for: an H100
running a wheel built for ``12.1a`` must see every family fail with its clear error.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from archforge.arch import Capability, LoadKind, Target, best_load, why_not
from archforge.errors import ConfigError
from archforge.plan import PLAN_SCHEMA, family_targets

__all__ = ["Expectation", "Outcome", "expectations"]


class Outcome(enum.Enum):
    RUNS = "runs"
    """Compiled for a target that loads here: registered, loads, matches the reference."""
    CLEAR_ERROR = "clear-error"
    """Not compiled for this device: calling an op must raise the documented error."""


@dataclass(frozen=True, kw_only=True)
class Expectation:
    family: str
    ops: tuple[str, ...]
    outcome: Outcome
    target: Target | None
    how: LoadKind | None
    reason: str


def expectations(plan: dict[str, Any], device: Capability) -> tuple[Expectation, ...]:
    """One expectation per planned family for ``device``."""
    if plan.get("schema") != PLAN_SCHEMA:
        raise ConfigError(f"not an archforge plan: schema {plan.get('schema')!r}, expected {PLAN_SCHEMA!r}")
    out = []
    for name, fam in plan.get("families", {}).items():
        targets = family_targets(fam)
        best = best_load(targets, device)
        ops = tuple(fam.get("ops", []))
        if best is not None:
            target, how = best
            out.append(
                Expectation(
                    family=name,
                    ops=ops,
                    outcome=Outcome.RUNS,
                    target=target,
                    how=how,
                    reason=f"{target.name} loads on {device} ({how.value})",
                )
            )
            continue
        planned = plan.get("devices", {}).get(str(device), {}).get("missing", {}).get(name)
        if planned:
            reason = planned
        elif targets:
            reason = "; ".join(why_not(t, device) for t in targets)
        else:
            reason = "the plan compiled no target for this family"
        out.append(
            Expectation(
                family=name, ops=ops, outcome=Outcome.CLEAR_ERROR, target=None, how=None, reason=reason
            )
        )
    return tuple(out)
