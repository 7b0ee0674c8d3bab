"""Procedures as explicit state machines (identification, risk elimination, gradual exit), the
working-day calendar and deadline arithmetic. Pure: no Flask, no database."""
from .calendar import (DEADLINES, CalendarError, WorkingCalendar, calendar_from_data, china_today,
                       load_calendar)
from .definitions import (BACKDATE_DAYS, GRADUAL_EXIT_OPENS, HOUSEHOLD_NO, IDENTIFICATION_OPENS, PROCEDURES, ROLES, DeadlineRule,
                          Procedure, Transition)
from .engine import (DeadlineStatus, Option, Reason, Step, TransitionError, deadlines, options, step_date_reason,
                     take)
from .guards import ENTRY_CHANNELS, GUARDS
from .regions import DEFAULT_CONFIG, UnknownProcedure, procedure_for, validate_config

__all__ = [
    "DEADLINES", "CalendarError", "WorkingCalendar", "calendar_from_data", "china_today", "load_calendar",
    "BACKDATE_DAYS", "GRADUAL_EXIT_OPENS", "HOUSEHOLD_NO", "IDENTIFICATION_OPENS", "PROCEDURES", "ROLES", "DeadlineRule", "Procedure",
    "Transition", "DeadlineStatus", "Option", "Reason", "Step", "TransitionError", "deadlines", "options",
    "step_date_reason", "take",
    "ENTRY_CHANNELS", "GUARDS", "DEFAULT_CONFIG", "UnknownProcedure", "procedure_for", "validate_config",
]
