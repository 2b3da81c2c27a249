"""Families: the subtrees under each root, and their statistics."""

from hftree.families.membership import Membership, family_members
from hftree.families.stats import family_size_distribution, family_stats

__all__ = ["Membership", "family_members", "family_size_distribution", "family_stats"]
