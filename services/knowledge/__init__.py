"""The knowledge context: documents, their full-text indexing, and search."""
