"""Learner templates for phase4_biological_signals: fill in each NotImplementedError (see IMPLEMENTATION_GUIDE.md)."""
