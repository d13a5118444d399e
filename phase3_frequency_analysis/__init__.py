"""Learner templates for phase3_frequency_analysis: fill in each NotImplementedError (see IMPLEMENTATION_GUIDE.md)."""
