"""Reference solutions: the source of truth the learner templates are generated from."""
