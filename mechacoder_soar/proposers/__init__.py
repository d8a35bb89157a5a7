"""Proposers: programs from LLMs (litellm), an in-process model, or the library search."""
from .base import Proposal, Proposer

__all__ = ["Proposal", "Proposer"]
