"""Learner templates for phase5_advanced_methods: fill in each NotImplementedError (see IMPLEMENTATION_GUIDE.md)."""
