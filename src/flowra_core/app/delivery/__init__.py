"""After the commit: the reaction table, its runner and the read-model projections."""
