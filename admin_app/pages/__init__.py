"""Console pages that are not a model's list or form (SQLAdmin ``BaseView`` pages)."""
