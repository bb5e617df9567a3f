"""coach: a live call coach for collection calls."""
