"""A simulated FreeSWITCH: the same event-socket protocol over a configurable population."""

from fs_app.switchsim.population import CallPlan, Distribution, Population, plan_call
from fs_app.switchsim.server import SimSwitch, SwitchConfig

__all__ = ["CallPlan", "Distribution", "Population", "SimSwitch", "SwitchConfig", "plan_call"]
