"""Reference solutions for phase2_temporal_analysis."""
