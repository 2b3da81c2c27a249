"""Module names do not collide with what they export, and the public names stay where they were.

Covers the packages ``ecosystem``, ``families``, ``datasets`` and ``kernels``: ``import
hftree.ecosystem.<module> as m`` must give the module, never a function of the same name.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import hftree._random
import hftree.datasets
import hftree.ecosystem
import hftree.families
import hftree.kernels

PACKAGES = [hftree.ecosystem, hftree.families, hftree.datasets, hftree.kernels]
MODULES = [f"{p.__name__}.{m.name}" for p in PACKAGES for m in pkgutil.iter_modules(p.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_a_module_is_not_shadowed_by_a_name_it_exports(name):
    module = importlib.import_module(name)
    package, _, leaf = name.rpartition(".")
    assert getattr(importlib.import_module(package), leaf) is module, (
        f"{package}.{leaf} is {getattr(importlib.import_module(package), leaf)!r}, not the module"
    )
    assert isinstance(module, types.ModuleType)


def test_public_names_keep_their_paths():
    from hftree.ecosystem import concentration, family_concentration, license_class
    from hftree.ecosystem.inequality import concentration as moved
    from hftree.ecosystem.licenses import license_class as eco_license_class
    from hftree.families import Membership, family_members
    from hftree.kernels._linalg import RandomState, check_random_state
    from hftree.licenses import license_class as the_one
    from hftree.lineage.membership import family_members as lineage_family_members

    assert concentration is moved and callable(family_concentration)
    assert license_class is eco_license_class is the_one
    assert family_members is lineage_family_members and Membership.__name__ == "Membership"
    assert check_random_state is hftree._random.check_random_state
    assert RandomState is hftree._random.RandomState
