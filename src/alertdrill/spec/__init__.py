"""The spec stage: the drill vocabulary (grammar), the feature-file compiler and the drill model."""
