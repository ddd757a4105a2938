"""Ongoing monitoring: registered records re-screened, incrementally, on every list change."""

from clearance.monitoring.monitor import AddResult, Alert, Monitor, RunReport
from clearance.monitoring.records import MonitoredRecord, read_monitor_file

__all__ = ["AddResult", "Alert", "Monitor", "MonitoredRecord", "RunReport", "read_monitor_file"]
