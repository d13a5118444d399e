"""Reference solutions for phase5_advanced_methods."""
