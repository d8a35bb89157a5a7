"""`soar report`: an HTML page (figures embedded) from a run directory and its skill store."""
from .build import ReportConfig, build_report, winning_programs
from .rundata import RunData, RunDirError, load_run

__all__ = ["ReportConfig", "RunData", "RunDirError", "build_report", "load_run", "winning_programs"]
