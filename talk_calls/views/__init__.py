"""HTTP endpoints, thin: parse -> access -> service -> serialize. Nothing imports this package."""
