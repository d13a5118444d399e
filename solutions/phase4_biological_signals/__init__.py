"""Reference solutions for phase4_biological_signals."""
