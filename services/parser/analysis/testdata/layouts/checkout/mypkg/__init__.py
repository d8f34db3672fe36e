"""A plain checkout: the repository root is the import root."""
