"""Features: each registers its commands with the router and brings its jobs."""
