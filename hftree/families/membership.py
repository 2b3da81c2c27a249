"""Family membership, as :mod:`hftree.lineage.membership` computes it (kept for the public import path)."""

from hftree.lineage.membership import Membership, family_members

__all__ = ["Membership", "family_members"]
