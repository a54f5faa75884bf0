"""onramp's cost model: dated price catalog, usage files, an exact Decimal cost engine."""
