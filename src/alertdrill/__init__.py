"""alertdrill: prove an on-call setup works before a real outage does.

Data flow, one package each: drill spec (`catalog`, `grammar`) -> fault injector (`faults`) ->
observers (`observers`) -> timeline (`model`) -> scorecard (`model.scoring`) -> reports (`reports`).
"""

__version__ = "0.1.0"
