"""Pricing: the dated price catalog, usage, cost components, the engine that turns usage into a
bill."""
