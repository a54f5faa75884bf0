"""The AWS side: moto's server (in its own process), its traffic meter, stream reads and
retention, resources."""
