"""Pure rules of onboarding: status machine, validation, enrichment decisions (no AWS imports)."""
