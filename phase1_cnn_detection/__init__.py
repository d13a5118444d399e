"""Learner templates for phase1_cnn_detection: fill in each NotImplementedError (see IMPLEMENTATION_GUIDE.md)."""
