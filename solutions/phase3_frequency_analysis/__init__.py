"""Reference solutions for phase3_frequency_analysis."""
