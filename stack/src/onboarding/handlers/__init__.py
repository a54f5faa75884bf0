"""Lambda entry points (SAM Handler ``onboarding.handlers.<module>.handler``) and their stream
plumbing."""
