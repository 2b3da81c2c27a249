"""Licence classes, as :mod:`hftree.licenses` defines them (kept here for the public import path)."""

from hftree.licenses import (
    LICENSE_CLASSES,
    LICENSE_FAMILIES,
    LICENSE_TABLE,
    PERMISSIVE,
    LicenseClass,
    license_class,
    license_classes,
)

__all__ = [
    "LICENSE_CLASSES",
    "LICENSE_FAMILIES",
    "LICENSE_TABLE",
    "PERMISSIVE",
    "LicenseClass",
    "license_class",
    "license_classes",
]
