"""The pure model: plain dataclasses, standard library only, no I/O. Everything else imports it."""

from alertdrill.model.events import Event, EventName, Timeline
from alertdrill.model.scorecard import Check, DrillResult, PhaseResult, Scorecard
from alertdrill.model.spec import (
    AlertFires,
    DrillSpec,
    InjectFault,
    LinksRunbook,
    LocatesFault,
    ReachesContactGroup,
    Recovers,
    SteadyState,
    Step,
)

__all__ = [
    "AlertFires", "Check", "DrillResult", "DrillSpec", "Event", "EventName", "InjectFault",
    "LinksRunbook", "LocatesFault", "PhaseResult", "ReachesContactGroup", "Recovers", "Scorecard",
    "SteadyState", "Step", "Timeline",
]
