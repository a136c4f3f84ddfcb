"""The planned executor: queries planned once per document and caller, run level by level in batches."""
