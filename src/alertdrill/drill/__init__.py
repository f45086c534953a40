"""The drill stage: a plan, the runner that executes it, and the session that orchestrates one drill
(faults, observers, safety, runbooks, acknowledgement) around its collaborators."""
