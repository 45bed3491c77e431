"""Knowledge use cases: one unit of work each."""
