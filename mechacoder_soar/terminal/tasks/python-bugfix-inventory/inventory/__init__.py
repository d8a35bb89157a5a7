"""A tiny inventory and pricing package."""
