"""Reading the repository's files: drills, contact groups, runbooks. No network."""
