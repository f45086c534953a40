"""The score stage: the typed timeline of a drill, the pure scoring of it, and the scorecard."""
