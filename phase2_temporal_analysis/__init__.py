"""Learner templates for phase2_temporal_analysis: fill in each NotImplementedError (see IMPLEMENTATION_GUIDE.md)."""
